// Step 4 of the int8 recipe (README.md here): the known-answer accuracy gate. Runs the fp32 and the int8 model over
// the reference frames (frames.ts: the shipped pictures, the dense street scene, the street clips when their folder
// is there) and writes the gate report beside the int8 model (yolox_nano_int8.onnx → yolox_nano_int8.gate.json),
// which anything that runs an int8 model must see passed first (gate-report.ts). Exit 0 passed, 1 not.
//   npx tsx tools/int8/gate.ts models/yolox_nano_int8.onnx [--fp32 models/yolox_nano.onnx] [--clips ../shared/media/streets]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { packagedModel } from '../../edge/detect/model-file.js';
import { gateReportFile } from './gate-report.js';
import { writeFileAtomicSync } from '../../shared/atomic.js';
import { loadFrames } from './frames.js';
import { runGate } from './gate-run.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { fp32: { type: 'string', default: packagedModel().path }, clips: { type: 'string' } } });
const [int8File] = positionals;
if (int8File === undefined) {
  console.error('usage: npx tsx tools/int8/gate.ts INT8.onnx [--fp32 FP32.onnx] [--clips DIR]');
  process.exit(64);
}
const started = Date.now();
const frames = await loadFrames('reference', values.clips);
console.log(`reference: ${frames.length} frames; load ${loadavg()[0]!.toFixed(2)}`);
const report = await runGate(values.fp32, int8File, frames);
for (const [source, s] of Object.entries(report.by_source)) console.log(`  ${source}: ${s.frames} frames, ${s.fp32} fp32 detections, kept ${s.kept}, added ${s.added}`);
const file = gateReportFile(int8File);
writeFileAtomicSync(file, `${JSON.stringify(report, null, 1)}\n`);
console.log(
  `${report.passed ? 'PASSED' : 'FAILED'}: kept ${report.kept} of ${report.fp32_detections} fp32 detections (${report.kept_pct} %), added ${report.added} (${report.added_pct} %) on ${report.frames} frames` +
    `${report.failures.length ? ` — ${report.failures.join('; ')}` : ''}; ${((Date.now() - started) / 1000).toFixed(0)} s; wrote ${file}`,
);
process.exit(report.passed ? 0 : 1);
