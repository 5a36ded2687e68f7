import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/log.js';
import { dogFrame } from '../../test-fixtures/media/frames.js';
import type { DetectorError } from './detector.js';
import { createDetectorPool, defaultArrangement, pickSession } from './detector-pool.js';
import { packagedModel } from './model-file.js';

const MODEL = packagedModel().path;

describe('pickSession', () => {
  const cases: { inHand: number[]; last: number; expected: number }[] = [
    { inHand: [0], last: -1, expected: 0 },
    { inHand: [0, 0], last: -1, expected: 0 },
    { inHand: [0, 0], last: 0, expected: 1 },
    { inHand: [1, 0], last: 1, expected: 1 },
    { inHand: [2, 1], last: 1, expected: 1 },
    { inHand: [1, 1, 1], last: 2, expected: 0 },
    { inHand: [2, 2, 1, 2], last: 0, expected: 2 },
  ];
  for (const c of cases) {
    it(`frames in hand ${JSON.stringify(c.inHand)}, last chosen ${c.last} → session ${c.expected}`, () => {
      expect(pickSession(c.inHand, c.last)).toBe(c.expected);
    });
  }
});

describe('defaultArrangement', () => {
  it('runs one 1-thread session per core given, without spinning, at most four', () => {
    expect(defaultArrangement(1)).toEqual({ sessions: 1, threads: 1, spinning: false });
    expect(defaultArrangement(2)).toEqual({ sessions: 2, threads: 1, spinning: false });
    expect(defaultArrangement(16)).toEqual({ sessions: 4, threads: 1, spinning: false });
  });
});

describe('detector pool', () => {
  it('spreads frames over its sessions, each in its own worker, and finds the same objects in each', async () => {
    const pool = await createDetectorPool({ modelPath: MODEL, sessions: 2, threads: 1, spinning: false, logger: silentLogger() });
    try {
      const frames = await Promise.all([dogFrame(), dogFrame(), dogFrame(), dogFrame()]);
      const pending = frames.map((f) => pool.detect(f));
      // two frames in each session's hand before any answer
      expect(pool.load()).toEqual([2, 2]);
      const results = await Promise.all(pending);
      for (const detections of results) expect(detections.map((d) => d.label).sort()).toEqual(['bicycle', 'car']);
      expect(pool.load()).toEqual([0, 0]);
      expect(pool.stats().inferences).toBe(4);
      // every frame's buffer came back to it
      for (const f of frames) expect(f.data.byteLength).toBe(640 * 360 * 3);
    } finally {
      await pool.close();
    }
  });

  it('refuses to start when a session cannot load the model, saying how to install it', async () => {
    const error = (await createDetectorPool({ modelPath: '/nonexistent/yolox_nano.onnx', sessions: 2, threads: 1, spinning: false, logger: silentLogger() }).catch((e: unknown) => e)) as DetectorError;
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toMatch(/provision model/);
  });
});
