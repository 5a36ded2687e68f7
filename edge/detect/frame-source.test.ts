// The frame source against a real fake camera and the real ffmpeg: whole frames, pooled buffers, restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { FramePool, FrameSource, type Frame, type FrameSourceState } from './frame-source.js';

let tools: FfmpegTools;
let farm: CameraFarm;

beforeAll(async () => {
  tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 1, scene: 'quiet', loopSeconds: 20 });
}, 180_000);
afterAll(async () => {
  await farm?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('FramePool', () => {
  it('reuses given-back buffers, keeps only a few, and refuses foreign ones', () => {
    const pool = new FramePool(12, 2);
    const a = pool.take();
    const b = pool.take();
    const c = pool.take();
    expect(pool.allocated).toBe(3);
    pool.give(a);
    pool.give(b);
    pool.give(c);
    expect(pool.available).toBe(2);
    expect(pool.take()).toBe(b);
    pool.give(new Uint8Array(13));
    pool.give(new Uint8Array(new ArrayBuffer(24), 12, 12));
    expect(pool.available).toBe(1);
  });
});

describe('FrameSource', () => {
  it('delivers whole frames at the detect rate from pooled buffers, and restarts ffmpeg after a kill and a stall', async () => {
    const cam = farm.cameras[0]!;
    const frames: Frame[] = [];
    const states: FrameSourceState[] = [];
    let restarts = 0;
    const source: FrameSource = new FrameSource({
      camera: 'cam-a',
      url: cam.urlWithCredentials('sub'),
      fps: 5,
      width: 320,
      height: 180,
      tools,
      logger: silentLogger(),
      stallMs: 3000,
      backoff: new Backoff({ initialMs: 200, maxMs: 1000 }),
      onFrame: (frame) => {
        frames.push({ ...frame, data: frame.data.slice(0, 3) });
        source.pool.give(frame.data);
      },
      onRestart: () => restarts++,
      onState: (s) => states.push(s),
    });
    source.start();
    try {
      await until(() => frames.length >= 30, 25_000, '30 frames');
      const first = frames[0]!;
      expect(first).toMatchObject({ camera: 'cam-a', width: 320, height: 180, seq: 0 });
      // 5 fps: 20 intervals of ~200 ms once the start-up burst (what ffmpeg buffered while probing) is out;
      // loose, as a loaded machine delivers in bursts
      const span = frames[29]!.timestampMs - frames[9]!.timestampMs;
      expect(span).toBeGreaterThan(2500);
      expect(span).toBeLessThan(8000);
      // frames handed back at once: the pool needs one or two buffers, not one per frame
      expect(source.pool.allocated).toBeLessThanOrEqual(2);

      const pid = source.pid()!;
      process.kill(pid, 'SIGKILL');
      const before = frames.length;
      await until(() => source.pid() !== undefined && source.pid() !== pid && frames.length > before + 5, 20_000, 'frames after a kill');
      expect(restarts).toBeGreaterThanOrEqual(2);

      cam.freeze();
      await until(() => states.includes('stalled'), 15_000, 'the stall to be seen');
      cam.unfreeze();
      const afterStall = frames.length;
      await until(() => frames.length > afterStall + 5 && source.currentState === 'running', 30_000, 'frames after the stall');
      expect(restarts).toBeGreaterThanOrEqual(3);
      // seq keeps counting across restarts
      expect(frames.at(-1)!.seq).toBe(frames.length - 1);
    } finally {
      cam.unfreeze();
      await source.stop();
    }
    expect(source.currentState).toBe('stopped');
    expect(source.pid()).toBeUndefined();
  }, 90_000);
});
