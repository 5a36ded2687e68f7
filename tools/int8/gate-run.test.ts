// The gate on real models through onnxruntime: it passes a model against itself and refuses a copy whose
// objectness was lowered (what a badly calibrated int8 model does), on a handful of frames (the tool runs ≥ 200).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { packagedModel } from '../../edge/detect/model-file.js';
import { dogFrame } from '../../test-fixtures/media/frames.js';
import { DOG_JPG, PERSON_JPG } from '../../test-fixtures/media/index.js';
import { gateReportFile, int8GateProblem, readGateReport, sha256File } from './gate-report.js';
import { runGate } from './gate-run.js';
import type { SetFrame } from './frames.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ww-int8-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FP32 = packagedModel().path;

/** The model with the bias of its objectness convs moved by `delta` (a logit), written to a file of its own. */
function withObjectnessShift(delta: number): string {
  const bytes = Buffer.from(readFileSync(FP32));
  for (const level of [0, 1, 2]) {
    const name = Buffer.from(`head.obj_preds.${level}.bias`);
    // the initializer (the last mention of the name): name, then raw_data (field 9, 4 bytes: one float)
    const at = bytes.lastIndexOf(name) + name.length;
    expect(bytes.subarray(at, at + 2)).toEqual(Buffer.from([0x4a, 0x04]));
    bytes.writeFloatLE(bytes.readFloatLE(at + 2) + delta, at + 2);
  }
  const file = path.join(dir, `shifted-${delta}.onnx`);
  writeFileSync(file, bytes);
  return file;
}

async function picture(file: string): Promise<SetFrame> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { source: path.basename(file), frame: { data: new Uint8Array(data), width: info.width, height: info.height } };
}

const frames = async (): Promise<SetFrame[]> => [await picture(DOG_JPG), await picture(PERSON_JPG), await picture(packagedModel().checkImage), { source: 'dog-640x360', frame: await dogFrame() }];

describe('the int8 accuracy gate', () => {
  it('passes a model against itself: every detection kept, none added', async () => {
    const report = await runGate(FP32, FP32, await frames(), 4);
    expect(report).toMatchObject({ passed: true, kept_pct: 100, added_pct: 0, frames: 4, fp32_sha256: sha256File(FP32), int8_sha256: sha256File(FP32) });
    expect(report.fp32_detections).toBeGreaterThanOrEqual(6);
  });

  it('passes a copy whose scores moved by a hair, and refuses one that lost objectness', async () => {
    const set = await frames();
    const close = await runGate(FP32, withObjectnessShift(0.01), set, 4);
    expect(close.passed).toBe(true);
    const shifted = withObjectnessShift(-1);
    const report = await runGate(FP32, shifted, set, 4);
    expect(report.passed).toBe(false);
    expect(report.kept_pct).toBeLessThan(95);
    expect(report.failures.join()).toMatch(/kept [\d.]+ % of the fp32 detections, at least 95 % needed/);

    // its report beside it says so to whoever would run it
    writeFileSync(gateReportFile(shifted), JSON.stringify(report));
    expect(readGateReport(shifted)).toMatchObject({ passed: false });
    expect(int8GateProblem(shifted, sha256File(FP32))).toMatch(/failed its accuracy gate/);
  });

  it('a passing report names its files: another model or another fp32 is refused', async () => {
    const model = withObjectnessShift(0.01);
    writeFileSync(gateReportFile(model), JSON.stringify(await runGate(FP32, model, await frames(), 4)));
    expect(int8GateProblem(model, sha256File(FP32))).toBeUndefined();
    expect(int8GateProblem(model, 'f'.repeat(64))).toMatch(/gated against another fp32 model/);
    expect(int8GateProblem(model, sha256File(FP32), 'e'.repeat(64))).toMatch(/is not the int8 model its gate report passed/);
    expect(int8GateProblem(path.join(dir, 'none.onnx'), sha256File(FP32))).toMatch(/no accuracy gate report beside it/);
  });
});
