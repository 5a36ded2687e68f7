import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createDetector } from '../shared/detect/session.js';
import { iou } from '../edge/geometry.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { DOG_JPG } from '../test-fixtures/media/index.js';
import { UsageError } from '../shared/command.js';
import { chooseInput } from './model.js';
import { inputSizeFor, modelShape, ModelShapeError, outputRows, withInputSize } from './model-shape.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ww-model-shape-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('inputSizeFor', () => {
  const cases: [number, number, number, number][] = [
    [640, 360, 640, 384],
    [416, 416, 416, 416],
    [320, 180, 320, 192],
    [1280, 720, 1280, 736],
    [1, 1, 32, 32],
  ];
  for (const [w, h, ew, eh] of cases) {
    it(`${w}×${h} frames → ${ew}×${eh} input`, () => expect(inputSizeFor(w, h)).toEqual({ width: ew, height: eh }));
  }
  it('refuses a size that is not whole numbers', () => {
    expect(() => inputSizeFor(640.5, 360)).toThrow(ModelShapeError);
  });
});

describe('outputRows', () => {
  it('counts the cells at strides 8, 16 and 32', () => {
    expect(outputRows(416, 416)).toBe(3549);
    expect(outputRows(640, 384)).toBe(80 * 48 + 40 * 24 + 20 * 12);
  });
});

describe('chooseInput', () => {
  const cam = (width: number, height: number, enabled = true) => ({ detect: { enabled, width, height } });
  const cases: { name: string; asked: string | undefined; cameras: ReturnType<typeof cam>[] | undefined; expected: ReturnType<typeof chooseInput> }[] = [
    { name: 'with edge.yaml: shaped like the cameras\' frames', asked: undefined, cameras: [cam(640, 360), cam(640, 360)], expected: { width: 640, height: 384 } },
    { name: 'the most common detect size wins', asked: 'auto', cameras: [cam(640, 360), cam(320, 180), cam(320, 180)], expected: { width: 320, height: 192 } },
    { name: 'cameras without detection do not vote', asked: 'auto', cameras: [cam(640, 360), cam(320, 180, false), cam(320, 180, false)], expected: { width: 640, height: 384 } },
    { name: 'no camera detects: as shipped', asked: 'auto', cameras: [cam(640, 360, false)], expected: 'square' },
    { name: 'without edge.yaml: as shipped', asked: undefined, cameras: undefined, expected: 'square' },
    { name: 'square asked', asked: 'square', cameras: [cam(640, 360)], expected: 'square' },
    { name: 'a size asked', asked: '512x288', cameras: undefined, expected: { width: 512, height: 288 } },
  ];
  for (const c of cases) it(c.name, () => expect(chooseInput(c.asked, c.cameras)).toEqual(c.expected));

  it('refuses a size that is not multiples of 32, or not a size, naming the option and an example', () => {
    expect(() => chooseInput('640x360', undefined)).toThrow(UsageError);
    expect(() => chooseInput('640x360', undefined)).toThrow(/--input 640x360: both sides must be multiples of 32.*640x384/);
    expect(() => chooseInput('wide', undefined)).toThrow(/--input must be auto, square or WIDTHxHEIGHT/);
  });
});

describe('withInputSize', () => {
  const shipped = readFileSync(packagedModel().path);

  it('declares the new input and output shapes and leaves every weight as it was', () => {
    expect(modelShape(shipped)).toEqual({ input: [1, 3, 416, 416], output: [1, 3549, 85] });
    const shaped = withInputSize(shipped, 640, 384);
    expect(modelShape(shaped)).toEqual({ input: [1, 3, 384, 640], output: [1, 5040, 85] });
    // back to 416² gives the shipped bytes again
    expect(Buffer.compare(Buffer.from(withInputSize(shaped, 416, 416)), shipped)).toBe(0);
  });

  it('refuses sizes that are not multiples of 32 and files that are not the YOLOX export', () => {
    expect(() => withInputSize(shipped, 640, 360)).toThrow(/multiples of 32/);
    expect(() => withInputSize(readFileSync(DOG_JPG), 640, 384)).toThrow(ModelShapeError);
  });

  it('runs in onnxruntime and finds in a 640×360 frame what the square model finds (at its larger scale, more)', async () => {
    const file = path.join(dir, 'yolox_nano_640x384.onnx');
    writeFileSync(file, withInputSize(shipped, 640, 384));
    const raw = await sharp(DOG_JPG).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer();
    const frame = { data: new Uint8Array(raw), width: 640, height: 360 };
    const shaped = await createDetector({ modelPath: file });
    const square = await createDetector({ modelPath: packagedModel().path });
    try {
      expect(shaped.inputSize).toEqual({ width: 640, height: 384 });
      const a = await shaped.detect(frame);
      const b = await square.detect(frame);
      expect(b.map((d) => d.label).sort()).toEqual(['bicycle', 'car']);
      for (const d of b) expect(a.some((e) => e.label === d.label && iou(e.box, d.box) > 0.7), `${d.label} found by both`).toBe(true);
    } finally {
      await shaped.close();
      await square.close();
    }
  });
});
