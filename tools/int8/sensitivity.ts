// Optional step 3a of the int8 recipe (README.md here): which convs hurt most in int8. For each conv quantize.py
// would quantize, a model with only that conv in int8 is written and run over every 20th calibration frame; its
// error against fp32 (score and box of every row the fp32 model scores ≥ 0.2) ranks the convs, worst first, into a
// file quantize.py --float takes (its first N lines: the N convs kept in float).
//   npx tsx tools/int8/sensitivity.ts models/yolox_nano.onnx .cache/int8/ranges.json .cache/int8/sensitivity.txt [--clips DIR]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { INPUT_SIZE, letterbox } from '../../edge/detect/detector.js';
import { loadFrames } from './frames.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { clips: { type: 'string' }, python: { type: 'string', default: '/usr/bin/python3' } } });
const [fp32File, rangesFile, outFile] = positionals;
if (fp32File === undefined || rangesFile === undefined || outFile === undefined) {
  console.error('usage: npx tsx tools/int8/sensitivity.ts FP32.onnx RANGES.json OUT.txt [--clips DIR] [--python /usr/bin/python3]');
  process.exit(64);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const python = (args: string[]) => execFileSync(values.python, args, { cwd: here, encoding: 'utf8' });
const started = Date.now();

const frames = (await loadFrames('calibration', values.clips)).filter((_, i) => i % 20 === 5);
const inputs = frames.map((f) => {
  const x = new Float32Array(3 * INPUT_SIZE * INPUT_SIZE);
  letterbox(f.frame, x);
  return x;
});
async function outputs(file: string): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(file, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const out: Float32Array[] = [];
  for (const x of inputs) out.push((await s.run({ images: new ort.Tensor('float32', x, [1, 3, INPUT_SIZE, INPUT_SIZE]) })).output!.data as Float32Array);
  await s.release();
  return out;
}
const reference = await outputs(fp32File);
/** Mean error over the rows fp32 scores ≥ 0.2: |Δ score| + 0.1 · Σ|Δ box term|. */
function error(got: Float32Array[]): number {
  let sum = 0;
  let n = 0;
  got.forEach((y, k) => {
    const x = reference[k]!;
    for (let r = 0; r < x.length / 85; r++) {
      const o = r * 85;
      let cx = 0;
      let cy = 0;
      for (let c = 5; c < 85; c++) {
        cx = Math.max(cx, x[o + c]!);
        cy = Math.max(cy, y[o + c]!);
      }
      const sx = x[o + 4]! * cx;
      if (sx < 0.2) continue;
      sum += Math.abs(sx - y[o + 4]! * cy) + 0.1 * [0, 1, 2, 3].reduce((e, c) => e + Math.abs(x[o + c]! - y[o + c]!), 0);
      n++;
    }
  });
  return sum / Math.max(1, n);
}

const nodes = python([
  '-c',
  `import onnx, qdq_plan; m = onnx.load(${JSON.stringify(path.resolve(fp32File))}); q, h, t = qdq_plan.plan(m); print("\\n".join(n.name for n in m.graph.node)); print("--"); print("\\n".join(n.name for n in m.graph.node if n.name in q and n.op_type == "Conv"))`,
]).trim().split('\n--\n');
const all = nodes[0]!.split('\n');
const convs = nodes[1]!.split('\n');
console.log(`sensitivity: ${convs.length} convs, ${frames.length} calibration frames; load ${loadavg()[0]!.toFixed(2)}`);
const dir = mkdtempSync(path.join(tmpdir(), 'ww-int8-sens-'));
const rows: [string, number][] = [];
try {
  for (const conv of convs) {
    const keep = path.join(dir, 'float.txt');
    writeFileSync(keep, all.filter((n) => n !== conv).join('\n'));
    const model = path.join(dir, 'one.onnx');
    python(['quantize.py', path.resolve(fp32File), path.resolve(rangesFile), model, '--float', keep]);
    rows.push([conv, error(await outputs(model))]);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
rows.sort((a, b) => b[1] - a[1]);
writeFileSync(outFile, `# error with only this conv in int8, worst first (tools/int8/sensitivity.ts)\n${rows.map(([c]) => c).join('\n')}\n`);
console.log(rows.slice(0, 8).map(([c, e]) => `  ${e.toFixed(4)} ${c}`).join('\n'));
console.log(`wrote ${outFile} in ${((Date.now() - started) / 1000).toFixed(0)} s: keep its first N lines in float with quantize.py --float`);
