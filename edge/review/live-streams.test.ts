// Live readers against a real fake camera and a real H.265 file: fan-out, idle stop, one transcode at a time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { LiveStreams, type LiveViewer } from './live-streams.js';

let farm: CameraFarm;
let tools: FfmpegTools;
let hevcFile: string;

class Recorder implements LiveViewer {
  log: string[] = [];
  codec = '';
  transcoded = false;
  init(codec: string, _bytes: Buffer, transcoded: boolean) {
    this.codec = codec;
    this.transcoded = transcoded;
    this.log.push('init');
  }
  fragment(_bytes: Buffer, keyframe: boolean) {
    this.log.push(keyframe ? 'key' : 'frag');
  }
  problem(code: string) {
    this.log.push(`problem:${code}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 1, scene: 'quiet', loopSeconds: 12 });
  hevcFile = path.join(mkdtempSync(path.join(tmpdir(), 'ww-live-')), 'hevc.mp4');
  execFileSync(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10:duration=2', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=10', '-tag:v', 'hvc1', '-y', hevcFile]);
}, 120_000);
afterAll(async () => {
  await farm?.stop();
});

describe('live streams', () => {
  it('serves every viewer of a camera stream from one reader, init first, from a keyframe; stops it after the last leaves', async () => {
    const live = new LiveStreams({ tools, logger: silentLogger(), idleStopMs: 500 });
    const source = { camera: 'cam-1', stream: 'sub' as const, url: farm.cameras[0]!.urlWithCredentials('sub') };
    const a = new Recorder();
    const b = new Recorder();
    const leaveA = live.watch(source, a);
    const leaveB = live.watch(source, b);
    await until('fragments for both viewers', () => a.log.length >= 3 && b.log.length >= 3);
    expect(live.running()).toEqual([{ key: 'cam-1/sub', viewers: 2, transcoding: false }]);
    for (const v of [a, b]) {
      expect(v.log.slice(0, 2)).toEqual(['init', 'key']);
      expect(v.codec).toMatch(/^avc1\.[0-9A-F]{6}$/);
    }
    // a late viewer starts at once with the latest keyframe fragment
    const c = new Recorder();
    const leaveC = live.watch(source, c);
    expect(c.log.slice(0, 2)).toEqual(['init', 'key']);
    leaveA();
    leaveB();
    leaveC();
    expect(live.running()).toHaveLength(1); // kept a moment for a viewer who switches views
    await until('the reader to stop', () => live.running().length === 0, 5000);
  });

  it('converts an H.265 stream to H.264 for the browser, one stream at a time box-wide', async () => {
    const live = new LiveStreams({ tools, logger: silentLogger(), idleStopMs: 200 });
    const first = new Recorder();
    const second = new Recorder();
    const leaveFirst = live.watch({ camera: 'cam-h1', stream: 'main', url: hevcFile, loopFile: true }, first);
    await until('the first H.265 stream converted', () => first.log.includes('key'), 30_000);
    expect(first.codec).toMatch(/^avc1\./);
    expect(first.transcoded).toBe(true);
    const leaveSecond = live.watch({ camera: 'cam-h2', stream: 'main', url: hevcFile, loopFile: true }, second);
    await until('the second told to wait', () => second.log.includes('problem:transcode-busy'), 30_000);
    expect(live.running().filter((r) => r.transcoding)).toHaveLength(1);
    leaveFirst();
    await until('the second converted once the slot is free', () => second.log.includes('key'), 30_000);
    expect(second.transcoded).toBe(true);
    leaveSecond();
    live.stop();
  });
});
