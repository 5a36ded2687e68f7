// File mode: an MP4 written the way ordinary files are (SPS/PPS only in the header, B-frames, and here an access
// unit delimiter before every frame, so a keyframe never starts with its IDR) served as a camera, read back by
// real ffmpeg/ffprobe; files that cannot be served are refused, each with its reason.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { startCameraFarm, type CameraFarm } from './farm.js';
import { decodedFrames as decodedFramesOf, probeStreams } from '../../test/rtsp-read.js';

const run = promisify(execFile);

let tools: FfmpegTools;
let dir: string;
let clip: string;
let farm: CameraFarm<undefined>;

beforeAll(async () => {
  tools = await locateFfmpeg();
  dir = await mkdtemp(path.join(os.tmpdir(), 'wardwatch-file-camera-'));
  clip = path.join(dir, 'clip.mp4');
  const encode = (out: string, codec: string[]) =>
    run(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=3', ...codec, '-pix_fmt', 'yuv420p', out]);
  await encode(clip, ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '10', '-x264-params', 'aud=1']);
  await encode(path.join(dir, 'mpeg4.mp4'), ['-c:v', 'mpeg4']);
  farm = await startCameraFarm({ files: [clip], auth: false });
}, 60_000);

afterAll(async () => {
  await farm?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function probeStream(url: string): Promise<Record<string, unknown>> {
  const streams = await probeStreams(tools, url);
  return streams[0]!;
}

const decodedFrames = (url: string, seconds: number) => decodedFramesOf(tools, url, seconds);

describe('a camera serving a file', () => {
  it('serves its video as both main and sub, looped past its end, without ground truth', async () => {
    const camera = farm.cameras[0]!;
    for (const stream of ['main', 'sub'] as const) {
      expect(await probeStream(camera.url(stream))).toMatchObject({ codec_name: 'h264', width: 320, height: 240, r_frame_rate: '10/1' });
    }
    // 5 s of a 3 s file: it wraps at least once and keeps decoding
    expect(await decodedFrames(camera.url('main'), 5)).toBeGreaterThanOrEqual(45);
    expect(camera.groundTruth).toBeUndefined();
    expect(farm.files.get(camera.id)).toMatchObject({ file: clip, width: 320, height: 240, fps: 10, durationSeconds: 3 });
    expect(farm.scenes.size).toBe(0);
  });

  it('refuses files it cannot serve, all at once, each with its reason', async () => {
    const refused = await startCameraFarm({ files: [path.join(dir, 'mpeg4.mp4'), path.join(dir, 'missing.mp4')] }).then(
      async (f) => {
        await f.stop();
        return 'served';
      },
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/mpeg4\.mp4 cannot be served as a camera: its video is mpeg4, .*H\.264 only.*\(ffprobe: video mpeg4 320×240 10 fps; 3 s\)/);
    expect(refused).toMatch(/could not read .*missing\.mp4/);
  });

  it('does not mix files with scenes', async () => {
    await expect(startCameraFarm({ files: [clip], scene: 'street' })).rejects.toThrow(/leave out count, scene and scenes/);
  });
});
