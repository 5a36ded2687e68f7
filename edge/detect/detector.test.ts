import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INPUT_SIZE,
  createDetector,
  decodeOutput,
  letterbox,
  letterboxGeometry,
  modelInputSize,
  nms,
  type Box,
  type Detection,
  type Detector,
  type DetectorError,
  type RgbFrame,
} from './detector.js';
import { packagedModel } from './model-file.js';
import { MEDIA_DIR as MEDIA } from '../../test-fixtures/media/index.js';

const MODEL = packagedModel().path;
const PLANE = INPUT_SIZE * INPUT_SIZE;

function solid(width: number, height: number, [r, g, b]: [number, number, number]): RgbFrame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
  }
  return { data, width, height };
}

/** The (B, G, R) the model sees at input pixel (x, y). */
const at = (t: Float32Array, x: number, y: number) => [t[y * INPUT_SIZE + x], t[PLANE + y * INPUT_SIZE + x], t[2 * PLANE + y * INPUT_SIZE + x]];

describe('letterbox', () => {
  it.each([
    { size: [640, 360], r: 0.65, resized: [416, 234] },
    { size: [1920, 1080], r: 416 / 1920, resized: [416, 234] },
    { size: [768, 576], r: 416 / 768, resized: [416, 312] },
    { size: [360, 640], r: 0.65, resized: [234, 416] },
    { size: [416, 416], r: 1, resized: [416, 416] },
    { size: [100, 50], r: 4.16, resized: [416, 208] },
    { size: [1, 1], r: 416, resized: [416, 416] },
  ])('fits $size into 416×416 as $resized', ({ size: [w, h], r, resized }) => {
    const g = letterboxGeometry(w!, h!);
    expect(g.r).toBeCloseTo(r, 10);
    expect([g.newW, g.newH]).toEqual(resized);
  });

  it.each([
    { size: [640, 360] as const },
    { size: [360, 640] as const },
    { size: [500, 500] as const },
  ])('puts a $size frame top-left in B, G, R planes and pads the rest with 114', ({ size: [w, h] }) => {
    const out = new Float32Array(3 * PLANE).fill(-1);
    const g = letterbox(solid(w, h, [10, 20, 30]), out);
    expect(at(out, 0, 0)).toEqual([30, 20, 10]);
    expect(at(out, g.newW - 1, g.newH - 1)).toEqual([30, 20, 10]);
    if (g.newW < INPUT_SIZE) expect(at(out, g.newW, 0)).toEqual([114, 114, 114]);
    if (g.newH < INPUT_SIZE) expect(at(out, 0, g.newH)).toEqual([114, 114, 114]);
    expect(at(out, INPUT_SIZE - 1, INPUT_SIZE - 1)).toEqual(g.newW === INPUT_SIZE && g.newH === INPUT_SIZE ? [30, 20, 10] : [114, 114, 114]);
    // Every element written: nothing left of the -1 fill.
    expect(out.every((v) => v >= 0)).toBe(true);
  });

  it('leaves nothing of a previous frame in a reused buffer', () => {
    const reused = new Float32Array(3 * PLANE);
    letterbox(solid(360, 640, [200, 200, 200]), reused);
    letterbox(solid(640, 360, [1, 2, 3]), reused);
    const fresh = new Float32Array(3 * PLANE);
    letterbox(solid(640, 360, [1, 2, 3]), fresh);
    // (a plain loop: toEqual on half a million floats takes over a second)
    let differing = 0;
    for (let i = 0; i < fresh.length; i++) if (reused[i] !== fresh[i]) differing++;
    expect(differing).toBe(0);
  });

  it('copies a 416×416 frame exactly and interpolates a downscaled gradient linearly', () => {
    const frame = solid(416, 416, [0, 0, 0]);
    for (let i = 0; i < 416 * 416; i++) frame.data[i * 3] = i % 256;
    const out = new Float32Array(3 * PLANE);
    letterbox(frame, out);
    for (const x of [0, 17, 255, 300]) expect(at(out, x, 5)[2]).toBe((5 * 416 + x) % 256);

    // A horizontal ramp 0..255 over 832 px halves to 416 px: pixel x samples source 2x + 0.5.
    const ramp = solid(832, 100, [0, 0, 0]);
    for (let y = 0; y < 100; y++) for (let x = 0; x < 832; x++) ramp.data[(y * 832 + x) * 3 + 1] = Math.floor(x / 4);
    letterbox(ramp, out);
    expect(at(out, 100, 10)[1]).toBeCloseTo((Math.floor(200 / 4) + Math.floor(201 / 4)) / 2, 5);
  });

  it('rejects a frame whose data is too short for its size', () => {
    expect(() => letterbox({ data: new Uint8Array(10), width: 640, height: 360 }, new Float32Array(3 * PLANE))).toThrow(/640×360 needs 691200 bytes/);
  });
});

const box = (x: number, y: number, w: number, h: number): Box => ({ x, y, w, h });

describe('nms', () => {
  it.each([
    {
      name: 'keeps the better of two overlapping boxes of one label',
      input: [{ label: 'car', score: 0.6, box: box(0, 0, 100, 100) }, { label: 'car', score: 0.9, box: box(10, 10, 100, 100) }],
      kept: [0.9],
    },
    {
      name: 'keeps overlapping boxes of different labels (class-aware)',
      input: [{ label: 'car', score: 0.6, box: box(0, 0, 100, 100) }, { label: 'truck', score: 0.9, box: box(0, 0, 100, 100) }],
      kept: [0.9, 0.6],
    },
    {
      // 100×100 boxes offset by 50: IoU 5000/15000 = 0.33
      name: 'keeps boxes of one label that overlap less than 0.45',
      input: [{ label: 'person', score: 0.5, box: box(0, 0, 100, 100) }, { label: 'person', score: 0.7, box: box(50, 0, 100, 100) }],
      kept: [0.7, 0.5],
    },
    {
      // offset by 37.931…: IoU exactly 0.45 is not "more than" the threshold
      name: 'keeps boxes at exactly IoU 0.45',
      input: [{ label: 'person', score: 0.5, box: box(0, 0, 100, 100) }, { label: 'person', score: 0.7, box: box(100 - 90 / 1.45, 0, 100, 100) }],
      kept: [0.7, 0.5],
    },
    {
      name: 'suppresses a chain only through kept boxes',
      // b overlaps a (suppressed), c overlaps b but not a: c survives.
      input: [
        { label: 'car', score: 0.9, box: box(0, 0, 100, 100) },
        { label: 'car', score: 0.8, box: box(20, 0, 100, 100) },
        { label: 'car', score: 0.7, box: box(90, 0, 100, 100) },
      ],
      kept: [0.9, 0.7],
    },
    { name: 'returns nothing for nothing', input: [], kept: [] },
  ])('$name', ({ input, kept }) => {
    expect(nms(input, 0.45).map((d) => d.score)).toEqual(kept);
  });
});

describe('decodeOutput', () => {
  const ROWS = 52 * 52 + 26 * 26 + 13 * 13;
  function output(rows: { index: number; t: [number, number, number, number]; obj: number; cls: number; p: number }[]) {
    const out = new Float32Array(ROWS * 85);
    for (const { index, t, obj, cls, p } of rows) {
      out.set(t, index * 85);
      out[index * 85 + 4] = obj;
      out[index * 85 + 5 + cls] = p;
    }
    return out;
  }

  it('decodes grid cells of each stride, undoes the letterbox scale, keeps only our classes', () => {
    const out = output([
      // stride 8, gy 2, gx 3: centre (3.5·8, 2.5·8) = (28, 20), 32×16 → /0.5
      { index: 2 * 52 + 3, t: [0.5, 0.5, Math.log(4), Math.log(2)], obj: 0.9, cls: 0, p: 0.8 },
      // stride 32, gy 1, gx 4: centre (4·32, 1·32) = (128, 32), 32×32 → /0.5
      { index: 52 * 52 + 26 * 26 + 13 + 4, t: [0, 0, 0, 0], obj: 0.7, cls: 7, p: 0.9 },
      // a dog (COCO 16), scoring high: dropped
      { index: 500, t: [0, 0, 0, 0], obj: 0.95, cls: 16, p: 0.95 },
      // a person under the threshold: 0.5 · 0.5 = 0.25
      { index: 600, t: [0, 0, 0, 0], obj: 0.5, cls: 0, p: 0.5 },
    ]);
    const detections = decodeOutput(out, { r: 0.5, newW: 416, newH: 416 }, 832, 832, 0.3);
    expect(detections).toHaveLength(2);
    expect(detections[0]!.label).toBe('person');
    expect(detections[0]!.score).toBeCloseTo(0.72, 6);
    expectBox(detections[0]!.box, box(24, 24, 64, 32), 1e-4);
    expect(detections[1]!.label).toBe('truck');
    expect(detections[1]!.score).toBeCloseTo(0.63, 6);
    expectBox(detections[1]!.box, box(224, 32, 64, 64), 1e-4);
  });

  it('clips boxes to the frame', () => {
    // stride 32, gy 0, gx 0: centre (0, 0), 64×64 → half of it is outside
    const out = output([{ index: 52 * 52 + 26 * 26, t: [0, 0, Math.log(2), Math.log(2)], obj: 0.9, cls: 2, p: 0.9 }]);
    const [d] = decodeOutput(out, { r: 1, newW: 416, newH: 234 }, 416, 234);
    expectBox(d!.box, box(0, 0, 32, 32), 1e-4);
  });
});

describe('an input shaped like the frame (640×384 for 640×360)', () => {
  const input = { width: 640, height: 384 };

  it('puts the frame at scale 1 in the top-left and pads only the 24 rows below it', () => {
    const out = new Float32Array(3 * 640 * 384).fill(-1);
    const g = letterbox(solid(640, 360, [10, 20, 30]), out, input);
    expect(g).toEqual({ r: 1, newW: 640, newH: 360 });
    const px = (x: number, y: number) => [out[y * 640 + x], out[640 * 384 + y * 640 + x], out[2 * 640 * 384 + y * 640 + x]];
    expect(px(0, 0)).toEqual([30, 20, 10]);
    expect(px(639, 359)).toEqual([30, 20, 10]);
    expect(px(0, 360)).toEqual([114, 114, 114]);
    expect(px(639, 383)).toEqual([114, 114, 114]);
    expect(out.includes(-1)).toBe(false);
  });

  it('copies every pixel as it is, B G R planes, when the frame fits at scale 1', () => {
    const frame = solid(640, 360, [0, 0, 0]);
    for (let i = 0; i < frame.data.length; i++) frame.data[i] = (i * 7919) % 251;
    const out = new Float32Array(3 * 640 * 384);
    letterbox(frame, out, input);
    for (const [x, y] of [[0, 0], [639, 0], [17, 200], [639, 359]] as const) {
      const p = (y * 640 + x) * 3;
      expect([out[y * 640 + x], out[640 * 384 + y * 640 + x], out[2 * 640 * 384 + y * 640 + x]]).toEqual([frame.data[p + 2], frame.data[p + 1], frame.data[p]]);
    }
  });

  it('decodes a grid of 80×48, 40×24 and 20×12 cells', () => {
    const rows = 80 * 48 + 40 * 24 + 20 * 12;
    const out = new Float32Array(rows * 85);
    // stride 16, gy 3, gx 30: centre (30.5·16, 3.5·16) = (488, 56), 32×32
    const index = 80 * 48 + 3 * 40 + 30;
    out.set([0.5, 0.5, Math.log(2), Math.log(2), 0.9], index * 85);
    out[index * 85 + 5 + 2] = 0.9;
    const [d] = decodeOutput(out, { r: 1, newW: 640, newH: 360 }, 640, 360, 0.3, input);
    expect(d!.label).toBe('car');
    expectBox(d!.box, box(472, 40, 32, 32), 1e-4);
    expect(() => decodeOutput(new Float32Array(3549 * 85), { r: 1, newW: 640, newH: 360 }, 640, 360, 0.3, input)).toThrow(/expected 428400/);
  });
});

describe('modelInputSize', () => {
  const cases: { shape: (number | string)[] | undefined; expected: { width: number; height: number } | undefined }[] = [
    { shape: [1, 3, 416, 416], expected: { width: 416, height: 416 } },
    { shape: [1, 3, 384, 640], expected: { width: 640, height: 384 } },
    { shape: [1, 3, 'h', 'w'], expected: undefined },
    { shape: [1, 3, 360, 640], expected: undefined },
    { shape: [2, 3, 416, 416], expected: undefined },
    { shape: [1, 416, 416, 3], expected: undefined },
    { shape: undefined, expected: undefined },
  ];
  for (const c of cases) {
    it(`input shape ${JSON.stringify(c.shape)} → ${JSON.stringify(c.expected)}`, () => {
      expect(modelInputSize({ isTensor: true, ...(c.shape ? { shape: c.shape } : {}) })).toEqual(c.expected);
    });
  }
});

function expectBox(actual: Box, expected: Box, tolerance: number): void {
  for (const k of ['x', 'y', 'w', 'h'] as const) {
    expect(Math.abs(actual[k] - expected[k]), `${k}: ${actual[k]} vs ${expected[k]}`).toBeLessThanOrEqual(tolerance);
  }
}

async function loadRgb(name: string): Promise<RgbFrame> {
  const { data, info } = await sharp(path.join(MEDIA, name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('createDetector', () => {
  it('fails with MODEL_NOT_FOUND, naming the path and the fix, when the model is missing', async () => {
    const missing = path.join(MEDIA, 'not-there.onnx');
    const error = (await createDetector({ modelPath: missing }).catch((e: unknown) => e)) as DetectorError;
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain(missing);
    expect(error.message).toContain('wardwatch provision model');
  });

  it('fails with MODEL_INVALID for a file that is not a model', async () => {
    const error = (await createDetector({ modelPath: path.join(MEDIA, 'dog.jpg') }).catch((e: unknown) => e)) as DetectorError;
    expect(error.code).toBe('MODEL_INVALID');
  });
});

describe('YOLOX-Nano known answers (MODEL.md, threshold 0.3)', () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await createDetector({ modelPath: MODEL, threads: 1, minScore: 0.3 });
  });
  afterAll(async () => {
    await detector.close();
  });

  // Expected boxes were computed once with this detector (onnxruntime-node 1.30, sharp 0.35 JPEG
  // decode) and checked by drawing them on the images: the bicycle behind the dog, the white
  // pick-up across the road, the person in blue. Tolerance covers other CPUs' float rounding.
  const BOX_TOLERANCE = 6;

  it('dog.jpg: bicycle and car (the pick-up), no dog', async () => {
    const frame = await loadRgb('dog.jpg');
    const found = await detector.detect(frame);
    const byLabel = (label: string) => found.filter((d) => d.label === label);
    expect(found.every((d) => d.score >= 0.3)).toBe(true);
    expect(found.some((d) => (d.label as string) === 'dog')).toBe(false);
    // Confident labels are exactly these two. The pick-up also scores as a truck at ~0.31,
    // right on the threshold (MODEL.md's reference run, with another resize, had it just under):
    // allowed, but only there and only weakly.
    expect(new Set(found.filter((d) => d.score >= 0.4).map((d) => d.label))).toEqual(new Set(['bicycle', 'car']));
    for (const weak of found.filter((d) => d.score < 0.4)) {
      expect(weak.label).toBe('truck');
      expectBox(weak.box, byLabel('car')[0]!.box, 15);
    }

    const [bicycle] = byLabel('bicycle');
    const [car] = byLabel('car');
    expect(bicycle!.score).toBeGreaterThan(0.82 - 0.05);
    expect(bicycle!.score).toBeLessThan(0.82 + 0.05);
    expect(car!.score).toBeGreaterThan(0.82 - 0.05);
    expect(car!.score).toBeLessThan(0.82 + 0.05);
    expectBox(bicycle!.box, box(53.8, 137.1, 518.5, 286.4), BOX_TOLERANCE);
    expectBox(car!.box, box(466.2, 78.4, 226.2, 92.9), BOX_TOLERANCE);
    // Plausible against the picture: the bicycle is left of centre and reaches the lower half,
    // the car is in the top-right quarter.
    expect(bicycle!.box.x + bicycle!.box.w / 2).toBeLessThan(frame.width / 2);
    expect(bicycle!.box.y + bicycle!.box.h).toBeGreaterThan(frame.height / 2);
    expect(car!.box.x).toBeGreaterThan(frame.width / 2);
    expect(car!.box.y + car!.box.h).toBeLessThan(frame.height / 2);
  });

  it('person.jpg: the person, not the dog or the horse', async () => {
    const frame = await loadRgb('person.jpg');
    const found = await detector.detect(frame);
    expect(found.map((d) => d.label)).toEqual(['person']);
    const [person] = found;
    expect(Math.abs(person!.score - 0.88)).toBeLessThanOrEqual(0.05);
    expectBox(person!.box, box(188.4, 97.0, 88.1, 274.2), BOX_TOLERANCE);
    // Standing, taller than wide, left of the horse.
    expect(person!.box.h).toBeGreaterThan(2 * person!.box.w);
    expect(person!.box.x + person!.box.w).toBeLessThan(frame.width / 2);
  });

  it('gives the same answers for concurrent calls as for one at a time (pooled input buffers)', async () => {
    const [dog, person] = await Promise.all([loadRgb('dog.jpg'), loadRgb('person.jpg')]);
    const alone: Detection[][] = [await detector.detect(dog), await detector.detect(person)];
    const together = await Promise.all([detector.detect(dog), detector.detect(person), detector.detect(dog)]);
    expect(together).toEqual([alone[0], alone[1], alone[0]]);
    expect(detector.stats().inferences).toBeGreaterThanOrEqual(5);
  });

  it('finds nothing in a grey frame', async () => {
    expect(await detector.detect(solid(640, 360, [114, 114, 114]))).toEqual([]);
  });
});
