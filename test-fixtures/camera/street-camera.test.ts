// A camera showing the street scene, against real ffmpeg/ffprobe readers: both streams, at their sizes and rates.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { startCameraFarm, type CameraFarm } from './farm.js';

const run = promisify(execFile);
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
  const { stdout } = await run(
    tools.ffprobe.path,
    ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'json', url],
    { timeout: 20_000 },
  );
  const streams = (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams;
  expect(streams).toHaveLength(1);
  return streams[0]!;
}

/** Decodes `seconds` of a stream; resolves with the frame count ffmpeg reports. */
function decodedFrames(url: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg.path, ['-hide_banner', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-t', String(seconds), '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`ffmpeg exited ${code}: ${stderr}`));
      else resolve(Number([...stderr.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1] ?? 0));
    });
  });
}

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
