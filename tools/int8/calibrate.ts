// Step 2 of the int8 recipe (README.md here): runs the fp32 model with its extra outputs (add_outputs.py) over the
// calibration frames (frames.ts) in onnxruntime-node and writes the range each tensor is to be quantized over.
//   npx tsx tools/int8/calibrate.ts .cache/int8/calibrate.onnx .cache/int8/ranges.json [--clips ../shared/media/streets] [--method percentile|mse|minmax] [--percentile 99.99] [--histograms FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { INPUT_SIZE, letterbox } from '../../edge/detect/detector.js';
import { loadFrames } from './frames.js';
import { addValues, chooseRange, emptyHistogram, type Histogram, type RangeMethod } from './ranges.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { clips: { type: 'string' }, histograms: { type: 'string' }, method: { type: 'string', default: 'percentile' }, percentile: { type: 'string', default: '99.99' } },
});
const [modelFile, outFile] = positionals;
if (modelFile === undefined || outFile === undefined) {
  console.error('usage: npx tsx tools/int8/calibrate.ts CALIBRATE.onnx RANGES.json [--clips DIR] [--method percentile|mse|minmax] [--percentile 99.99]');
  process.exit(64);
}
const percentile = Number(values.percentile);
if (!(percentile > 90 && percentile <= 100)) throw new Error(`--percentile must be in (90, 100] (got ${values.percentile})`);
const how: RangeMethod =
  values.method === 'percentile' ? { method: 'percentile', percentile } : values.method === 'mse' ? { method: 'mse' } : values.method === 'minmax' ? { method: 'minmax' } : (() => {
    throw new Error(`--method must be percentile, mse or minmax (got ${values.method})`);
  })();

const { tensors } = JSON.parse(readFileSync(`${modelFile}.tensors.json`, 'utf8')) as { tensors: string[] };
const started = Date.now();
const frames = await loadFrames('calibration', values.clips);
console.log(`calibration: ${frames.length} frames (${[...new Set(frames.map((f) => f.source.split('@')[0]))].join(', ')}); ${tensors.length} tensors; load ${loadavg()[0]!.toFixed(2)}`);

const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
const input = new Float32Array(3 * INPUT_SIZE * INPUT_SIZE);

async function each(visit: (name: string, data: Float32Array) => void): Promise<void> {
  for (const f of frames) {
    letterbox(f.frame, input);
    const out = await session.run({ images: new ort.Tensor('float32', input, [1, 3, INPUT_SIZE, INPUT_SIZE]) }, tensors);
    for (const t of tensors) visit(t, out[t]!.data as Float32Array);
  }
}

// two passes: each tensor's overall min and max, then its histogram between them
const bounds = new Map<string, [number, number]>();
await each((name, data) => {
  const b = bounds.get(name) ?? [Infinity, -Infinity];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < b[0]) b[0] = v;
    if (v > b[1]) b[1] = v;
  }
  bounds.set(name, b);
});
const histograms = new Map<string, Histogram>([...bounds].map(([name, [lo, hi]]) => [name, emptyHistogram(lo, hi)]));
await each((name, data) => addValues(histograms.get(name)!, data));
await session.release();

const ranges: Record<string, [number, number]> = {};
for (const [name, h] of histograms) ranges[name] = chooseRange(h, how);
// --histograms FILE keeps what was measured, to try other range choices without running the model again
if (values.histograms) writeFileSync(values.histograms, JSON.stringify(Object.fromEntries([...histograms].map(([n, h]) => [n, { min: h.min, max: h.max, counts: Array.from(h.counts) }]))));
const report = { ...how, frames: frames.length, sources: frames.map((f) => f.source), tensors: ranges, minmax: Object.fromEntries(bounds) };
writeFileSync(outFile, `${JSON.stringify(report, null, 1)}\n`);
console.log(`wrote ${outFile} (${how.method}${how.method === 'percentile' ? ` ${percentile}` : ''}) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
