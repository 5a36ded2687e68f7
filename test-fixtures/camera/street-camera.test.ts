// A camera showing the street scene, against real ffmpeg/ffprobe readers: both streams, at their sizes and rates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { startCameraFarm, type CameraFarm } from './farm.js';
import { decodedFrames as decodedFramesOf, probeStreams } from '../../test/rtsp-read.js';

const LOOP_SECONDS = 30;

let tools: FfmpegTools;
let farm: CameraFarm;

beforeAll(async () => {
  tools = await locateFfmpeg();
  // the first run encodes the scene (~20 s on 2 cores for a 30 s loop); later runs find it in .cache/scenes
  farm = await startCameraFarm({ scene: 'street', loopSeconds: LOOP_SECONDS });
}, 300_000);

afterAll(async () => {
  await farm?.stop();
});

async function probeStream(url: string): Promise<Record<string, unknown>> {
  const streams = await probeStreams(tools, url);
  expect(streams).toHaveLength(1);
  return streams[0]!;
}

const decodedFrames = (url: string, seconds: number) => decodedFramesOf(tools, url, seconds);

describe('a camera showing the street scene', () => {
  it('serves main (1280×720, 15 fps) and sub (640×360, 10 fps) as H.264, both decodable', async () => {
    const camera = farm.cameras[0]!;
    expect(await probeStream(camera.urlWithCredentials('main'))).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, r_frame_rate: '15/1' });
    expect(await probeStream(camera.urlWithCredentials('sub'))).toMatchObject({ codec_name: 'h264', width: 640, height: 360, r_frame_rate: '10/1' });
    const [main, sub] = await Promise.all([decodedFrames(camera.urlWithCredentials('main'), 3), decodedFrames(camera.urlWithCredentials('sub'), 3)]);
    expect(main).toBeGreaterThanOrEqual(40);
    expect(sub).toBeGreaterThanOrEqual(25);
  });

  it('carries the street truth for its loop, and says where in the loop it is', () => {
    const camera = farm.cameras[0]!;
    expect(camera.groundTruth).toMatchObject({ scene: 'street', loopSeconds: LOOP_SECONDS, frame: { width: 1280, height: 720 }, objects: [] });
    expect(camera.groundTruth.street!.objects.length).toBeGreaterThan(15);
    const offset = camera.loopOffsetSeconds();
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(LOOP_SECONDS);
  });
});
