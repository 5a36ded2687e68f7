import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Detection } from './detector.js';
import { DetectScheduler } from './scheduler.js';

/** Frames in these tests only need to say where they came from. */
interface TestFrame {
  camera: string;
  seq: number;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A detector we finish by hand, so that the order of service is exact. */
function manualDetector() {
  const running: { frame: TestFrame; finish: () => void }[] = [];
  const served: string[] = [];
  const detect = (frame: TestFrame) =>
    new Promise<Detection[]>((resolve) => {
      served.push(frame.camera);
      running.push({ frame, finish: () => resolve([]) });
    });
  const finishOne = async () => {
    running.shift()?.finish();
    await tick();
    await tick();
  };
  return { detect, running, served, finishOne };
}

function scheduler(detect: (f: TestFrame) => Promise<Detection[]>, concurrency = 1) {
  const results: { camera: string; seq: number; latencyMs: number }[] = [];
  const errors: unknown[] = [];
  const s = new DetectScheduler<TestFrame>({
    detect,
    concurrency,
    onResult: (camera, frame, _d, info) => results.push({ camera, seq: frame.seq, latencyMs: info.latencyMs }),
    onError: (_camera, error) => errors.push(error),
  });
  return { s, results, errors };
}

describe('DetectScheduler', () => {
  it('serves cameras round robin even when one floods', async () => {
    const d = manualDetector();
    const { s, results } = scheduler(d.detect);
    let seq = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 10; i++) s.submit('flood', { camera: 'flood', seq: seq++ });
      s.submit('b', { camera: 'b', seq: seq++ });
      s.submit('c', { camera: 'c', seq: seq++ });
      await tick();
      await d.finishOne();
    }
    // Three cameras always have a frame waiting: each gets every third turn.
    expect(d.served).toEqual(['flood', 'b', 'c', 'flood', 'b', 'c', 'flood']);
    expect(results.map((r) => r.camera)).toEqual(['flood', 'b', 'c', 'flood', 'b', 'c']);
    // The flooding camera's result is its newest frame of that round, not a stale one.
    expect(results[3]!.seq).toBeGreaterThan(results[0]!.seq + 10);
    const closing = s.close();
    await d.finishOne();
    await closing;
  });

  it('keeps only the latest frame per camera and counts the ones it replaced', async () => {
    const d = manualDetector();
    const { s, results } = scheduler(d.detect);
    for (let seq = 0; seq < 5; seq++) s.submit('a', { camera: 'a', seq });
    await tick();
    // Frame 4 is running; 5–9 arrive meanwhile and only 9 survives.
    for (let seq = 5; seq < 10; seq++) s.submit('a', { camera: 'a', seq });
    await d.finishOne();
    await d.finishOne();
    await s.idle();
    expect(results.map((r) => r.seq)).toEqual([4, 9]);
    expect(s.stats()).toMatchObject({ submitted: 10, inferred: 2, dropped: 8, failed: 0, pending: 0, inFlight: 0 });
    expect(s.stats().perCamera.a).toMatchObject({ submitted: 10, inferred: 2, dropped: 8 });
    await s.close();
  });

  it('never runs more than `concurrency` detections, nor two of one camera at once', async () => {
    const d = manualDetector();
    const { s } = scheduler(d.detect, 2);
    for (const cam of ['a', 'b', 'c']) s.submit(cam, { camera: cam, seq: 0 });
    await tick();
    s.submit('a', { camera: 'a', seq: 1 });
    expect(d.running.map((r) => r.frame.camera)).toEqual(['a', 'b']);
    await d.finishOne(); // a's first frame: c is next in turn, a's second frame waits
    expect(d.running.map((r) => r.frame.camera)).toEqual(['b', 'c']);
    await d.finishOne();
    expect(d.running.map((r) => r.frame.camera)).toEqual(['c', 'a']);
    await d.finishOne();
    await d.finishOne();
    await s.close();
  });

  it('under a slow detector and a flooding camera, stays fair with pending bounded by the cameras', async () => {
    const detect = async (_f: TestFrame): Promise<Detection[]> => {
      await sleep(8);
      return [];
    };
    const { s, results } = scheduler(detect);
    let maxPending = 0;
    const feed = (camera: string, everyMs: number) => {
      let seq = 0;
      return setInterval(() => {
        s.submit(camera, { camera, seq: seq++ });
        maxPending = Math.max(maxPending, s.stats().pending);
      }, everyMs);
    };
    const timers = [feed('flood', 1), feed('b', 20), feed('c', 20)];
    await sleep(600);
    timers.forEach(clearInterval);
    await s.close();

    const stats = s.stats();
    const inferred = (cam: string) => results.filter((r) => r.camera === cam).length;
    expect(maxPending).toBeLessThanOrEqual(3);
    // The detector (~8 ms+) cannot keep up with the flood; b and c (20 ms apart) still get served.
    expect(stats.perCamera.flood!.dropped).toBeGreaterThan(stats.perCamera.flood!.inferred);
    expect(inferred('b')).toBeGreaterThan(0.5 * stats.perCamera.b!.submitted);
    expect(inferred('c')).toBeGreaterThan(0.5 * stats.perCamera.c!.submitted);
    expect(inferred('flood')).toBeGreaterThan(0.25 * stats.inferred);
    // Every submitted frame is accounted for once the scheduler is closed.
    expect(stats.submitted).toBe(stats.inferred + stats.dropped + stats.failed);
    expect(stats.latency!.count).toBe(Math.min(512, stats.inferred));
    expect(stats.latency!.p50Ms).toBeGreaterThanOrEqual(7);
  });

  it('reports a failed detection and carries on with the next frame', async () => {
    let calls = 0;
    const detect = (): Promise<Detection[]> => (calls++ === 0 ? Promise.reject(new Error('boom')) : Promise.resolve([]));
    const { s, results, errors } = scheduler(detect);
    s.submit('a', { camera: 'a', seq: 0 });
    await s.idle();
    s.submit('a', { camera: 'a', seq: 1 });
    await s.idle();
    expect(errors).toHaveLength(1);
    expect(results.map((r) => r.seq)).toEqual([1]);
    expect(s.stats()).toMatchObject({ submitted: 2, inferred: 1, failed: 1 });
    await s.close();
  });

  it('counts frames still waiting at close as dropped and ignores later ones', async () => {
    const d = manualDetector();
    const { s } = scheduler(d.detect);
    s.submit('a', { camera: 'a', seq: 0 });
    await tick();
    s.submit('a', { camera: 'a', seq: 1 });
    const closing = s.close();
    await d.finishOne();
    await closing;
    s.submit('a', { camera: 'a', seq: 2 });
    expect(s.stats()).toMatchObject({ submitted: 2, inferred: 1, dropped: 1, pending: 0 });
  });
});
