import { describe, expect, it } from 'vitest';
import type { Box, RgbFrame } from './detector.js';
import { MotionDetector, type MotionOptions, type MotionResult } from './motion.js';
import { insidePolygon } from '../geometry.js';

const W = 320;
const H = 180;

/** Small deterministic PRNG so that "noise" is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Square {
  x: number;
  y: number;
  size: number;
  value: number;
}

/** A textured static scene, sensor noise of ±noise per channel, and optional flat squares. */
function makeScene(noise: number) {
  const texture = new Uint8Array(W * H * 3);
  const tex = rng(1);
  for (let i = 0; i < texture.length; i++) texture[i] = 60 + Math.floor(tex() * 60);
  const jitter = rng(2);
  return (squares: Square[] = []): RgbFrame => {
    const data = new Uint8Array(texture.length);
    for (let i = 0; i < data.length; i++) {
      data[i] = Math.max(0, Math.min(255, texture[i]! + Math.round((jitter() * 2 - 1) * noise)));
    }
    for (const s of squares) {
      for (let y = s.y; y < s.y + s.size; y++) {
        for (let x = s.x; x < s.x + s.size; x++) data.fill(s.value, (y * W + x) * 3, (y * W + x) * 3 + 3);
      }
    }
    return { data, width: W, height: H };
  };
}

function contains(outer: Box, inner: { x: number; y: number; w: number; h: number }): boolean {
  return outer.x <= inner.x && outer.y <= inner.y && outer.x + outer.w >= inner.x + inner.w && outer.y + outer.h >= inner.y + inner.h;
}

const STATIC_FRAMES = 6;
const movingSquare = (frame: number, size = 40): Square[] =>
  frame < STATIC_FRAMES ? [] : [{ x: 40 + (frame - STATIC_FRAMES) * 12, y: 70, size, value: 230 }];

interface Case {
  name: string;
  options?: Partial<MotionOptions>;
  squares: (frame: number) => Square[];
  frames: number;
  expectMotion: boolean;
}

const cases: Case[] = [
  { name: 'static noise gives no motion', squares: () => [], frames: 20, expectMotion: false },
  { name: 'a moving square gives motion with a box around it', squares: movingSquare, frames: 12, expectMotion: true },
  {
    name: 'a moving square inside a mask gives no motion',
    // The square's whole path (x 40–192, y 70–110) lies inside this mask.
    options: { masks: [[[0.05, 0.3], [0.7, 0.3], [0.7, 0.7], [0.05, 0.7]]] },
    squares: movingSquare,
    frames: 12,
    expectMotion: false,
  },
  {
    name: 'a change smaller than minArea gives no motion',
    // 6×6 px = 9 grey cells of 14 400; minArea 0.002 needs 29.
    squares: (f) => (f < STATIC_FRAMES ? [] : [{ x: 100 + (f % 2) * 6, y: 50, size: 6, value: 250 }]),
    frames: 12,
    expectMotion: false,
  },
];

describe('MotionDetector', () => {
  it.each(cases)('$name', ({ options, squares, frames, expectMotion }) => {
    const scene = makeScene(8);
    const motion = new MotionDetector({ width: W, height: H, ...options });
    const results: MotionResult[] = [];
    for (let f = 0; f < frames; f++) results.push(motion.update(scene(squares(f))));

    // Before anything moves (background still being learnt, then static scene): never motion.
    for (const r of results.slice(0, STATIC_FRAMES)) expect(r).toEqual({ motion: false, score: 0, boxes: [] });
    const after = results.slice(STATIC_FRAMES);
    if (!expectMotion) {
      for (const r of after) {
        expect(r.motion).toBe(false);
        expect(r.boxes).toEqual([]);
      }
      return;
    }
    after.forEach((r, i) => {
      const square = squares(STATIC_FRAMES + i)[0]!;
      expect(r.motion).toBe(true);
      expect(r.score).toBeGreaterThan(0.002);
      // One object, one box, which holds the square where it is now and is not the whole frame.
      expect(r.boxes).toHaveLength(1);
      const box = r.boxes[0]!;
      expect(contains(box, { x: square.x, y: square.y, w: square.size, h: square.size })).toBe(true);
      expect(box.w * box.h).toBeLessThan(0.25 * W * H);
    });
  });

  it('reports nothing during the first frames, even when they differ', () => {
    const scene = makeScene(0);
    const motion = new MotionDetector({ width: W, height: H, warmupFrames: 3 });
    expect(motion.update(scene()).motion).toBe(false);
    expect(motion.update(scene([{ x: 0, y: 0, size: 100, value: 255 }])).motion).toBe(false);
    expect(motion.update(scene([{ x: 150, y: 50, size: 100, value: 255 }])).motion).toBe(false);
    expect(motion.update(scene([{ x: 200, y: 50, size: 100, value: 0 }])).motion).toBe(true);
  });

  it('fades a stopped object into the background', () => {
    const scene = makeScene(4);
    const motion = new MotionDetector({ width: W, height: H, alpha: 0.2 });
    for (let f = 0; f < 4; f++) motion.update(scene());
    const parked: Square[] = [{ x: 100, y: 60, size: 40, value: 240 }];
    expect(motion.update(scene(parked)).motion).toBe(true);
    let last: MotionResult | undefined;
    for (let f = 0; f < 30; f++) last = motion.update(scene(parked));
    expect(last?.motion).toBe(false);
  });

  it('gives boxes in source pixels, clipped to the frame, for a frame that does not divide evenly', () => {
    const w = 333;
    const h = 101;
    const motion = new MotionDetector({ width: w, height: h, maxWidth: 160 });
    expect(motion.factor).toBe(3);
    expect([motion.gridWidth, motion.gridHeight]).toEqual([111, 33]);
    const dark = { data: new Uint8Array(w * h * 3).fill(20), width: w, height: h };
    const lit = { data: new Uint8Array(w * h * 3).fill(20), width: w, height: h };
    for (let y = 60; y < h; y++) lit.data.fill(250, (y * w + 300) * 3, (y * w + w) * 3);
    motion.update(dark);
    motion.update(dark);
    const r = motion.update(lit);
    expect(r.boxes).toEqual([{ x: 300, y: 60, w: 33, h: 41 }]);
  });

  it('rejects a frame of another size', () => {
    const motion = new MotionDetector({ width: W, height: H });
    expect(() => motion.update({ data: new Uint8Array(10 * 10 * 3), width: 10, height: 10 })).toThrow(/320×180/);
  });

  it('rasterises masks once at construction', () => {
    const half = new MotionDetector({ width: W, height: H, masks: [[[0, 0], [0.5, 0], [0.5, 1], [0, 1]]] });
    expect(half.maskedFraction).toBeCloseTo(0.5, 2);
    const none = new MotionDetector({ width: W, height: H });
    expect(none.maskedFraction).toBe(0);
  });

  it.each([
    { point: [0.5, 0.5], inside: true },
    { point: [0.05, 0.5], inside: false },
    { point: [0.5, 0.95], inside: false },
    { point: [0.35, 0.35], inside: true },
  ] as const)('insidePolygon($point) on a diamond is $inside', ({ point, inside }) => {
    const diamond = [[0.5, 0.1], [0.9, 0.5], [0.5, 0.9], [0.1, 0.5]] as const;
    expect(insidePolygon(diamond, point[0], point[1])).toBe(inside);
  });
});
