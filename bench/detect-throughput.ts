// Detector throughput bench: which arrangement of onnxruntime sessions gets the most out of the box's cores, and how
// close the product pipeline (letterbox of a 640×360 frame in the worker, run, decode, frames posted from the main
// thread) comes to the bare model measured in the same run.
//
//   npm run bench:detect-throughput [-- --model models/yolox_nano.onnx --int8 path/to/int8.onnx --seconds 3 --warmup 2 --rounds 5]
//
// For each arrangement — one session with 2 threads, two 1-thread sessions in two workers; spinning off and on — it
// measures the bare rate (session.run on one prepared tensor in a loop, in worker threads) and the pipeline rate
// (edge/detect/detector-pool.ts, two frames in hand per session) in alternating slices of --seconds, --rounds of
// each, keeping the best slice of each (other work on a shared machine then weighs on both alike), and from the CPU
// time per inference what the cores would give if the detector had them to itself. The last line is one JSON object:
//   {"pipeline_per_s_fp32":…,"bare_per_s_two_sessions":…,"pipeline_per_s_int8":…,"int8_kept_pct":…,"int8_added_pct":…}
// where pipeline_per_s_fp32 is the product's default arrangement (defaultArrangement in detector-pool.ts), and the
// int8 figures are its pipeline in that arrangement and the kept/added of its gate report (null without --int8).
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { silentLogger } from '../shared/log.js';
import { createDetectorPool, defaultArrangement, type DetectorArrangement } from '../edge/detect/detector-pool.js';
import { INPUT_SIZE, letterbox, type RgbFrame } from '../edge/detect/detector.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { int8GateProblem, readGateReport, sha256File, type GateReportFields } from '../tools/int8/gate-report.js';
import { workerEntry } from '../edge/detect/worker-entry.js';
import { DOG_JPG } from '../test-fixtures/media/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: packagedModel().path },
    int8: { type: 'string' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
  },
});
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const rounds = Number(values.rounds);
if (!(seconds > 0) || !(warmupSeconds >= 0)) throw new Error('--seconds must be > 0 and --warmup ≥ 0 (numbers of seconds)');
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number ≥ 1 (got ${values.rounds})`);

/** A real picture at the sub-stream size, on its own ArrayBuffer (the pipeline transfers it to a worker). */
async function subStreamFrame(): Promise<RgbFrame> {
  const raw = await sharp(DOG_JPG).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer();
  const data = new Uint8Array(new ArrayBuffer(raw.length));
  data.set(raw);
  return { data, width: 640, height: 360 };
}

const load = () => loadavg()[0]!.toFixed(2);

interface Slice {
  perSecond: number;
  /** process CPU (every thread) per inference */
  cpuMs: number;
}

/** N bare sessions in N workers: slices of session.run in a loop, all started together and stopped at one instant. */
async function bareSessions(modelPath: string, a: DetectorArrangement, input: Float32Array) {
  const entry = workerEntry(new URL('./detect-throughput/bare-session-worker.ts', import.meta.url));
  const workers = Array.from({ length: a.sessions }, () =>
    new Worker(entry.filename, {
      eval: entry.eval,
      workerData: { modelPath, threads: a.threads, spinning: a.spinning, input, dims: [1, 3, INPUT_SIZE, INPUT_SIZE], warmupMs: warmupSeconds * 1000 },
    }),
  );
  const next = (w: Worker, type: string) =>
    new Promise<Record<string, number>>((resolve, reject) => {
      const on = (m: { type: string } & Record<string, number>) => {
        if (m.type !== type) return;
        w.off('message', on);
        resolve(m);
      };
      w.on('message', on);
      w.once('error', reject);
    });
  await Promise.all(workers.map((w) => next(w, 'warm')));
  return {
    async slice(ms: number): Promise<Slice> {
      const cpuBefore = process.cpuUsage();
      const untilMs = performance.timeOrigin + performance.now() + ms;
      const done = Promise.all(workers.map((w) => next(w, 'done')));
      for (const w of workers) w.postMessage({ untilMs });
      const results = await done;
      const cpu = process.cpuUsage(cpuBefore);
      const runs = results.reduce((n, r) => n + r.runs!, 0);
      return { perSecond: results.reduce((n, r) => n + (r.runs! * 1000) / r.elapsedMs!, 0), cpuMs: (cpu.user + cpu.system) / 1000 / runs };
    },
    async close() {
      for (const w of workers) w.postMessage({ close: true });
      await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
    },
  };
}

/** The product detector: frames posted from this thread, two in hand per session, as the scheduler keeps it fed. */
async function pipelinePool(modelPath: string, a: DetectorArrangement, frame: RgbFrame) {
  const pool = await createDetectorPool({ modelPath, logger: silentLogger(), ...a });
  const frames = Array.from({ length: 2 * a.sessions }, () => ({ ...frame, data: frame.data.slice() }));
  let stopAt = 0;
  const loop = async (f: RgbFrame) => {
    while (performance.now() < stopAt) await pool.detect(f);
  };
  const run = async (ms: number): Promise<Slice & { preprocessMs: number; runMs: number; decodeMs: number }> => {
    const before = pool.stats();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    stopAt = start + ms;
    await Promise.all(frames.map(loop));
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const after = pool.stats();
    const n = Math.max(1, after.inferences - before.inferences);
    return {
      perSecond: (n * 1000) / elapsed,
      cpuMs: (cpu.user + cpu.system) / 1000 / n,
      preprocessMs: (after.preprocessMs - before.preprocessMs) / n,
      runMs: (after.runMs - before.runMs) / n,
      decodeMs: (after.decodeMs - before.decodeMs) / n,
    };
  };
  await run(warmupSeconds * 1000);
  return { slice: run, close: () => pool.close() };
}

type PipeSlice = Awaited<ReturnType<Awaited<ReturnType<typeof pipelinePool>>['slice']>>;

/**
 * One arrangement: its bare sessions and its pipeline both loaded, measured in alternating slices (bare, pipeline,
 * bare, …) so that other work on a shared machine weighs on both alike; each keeps its best slice.
 */
async function measure(modelPath: string, a: DetectorArrangement, frame: RgbFrame, input: Float32Array, withBare: boolean) {
  const b = withBare ? await bareSessions(modelPath, a, input) : undefined;
  const p = await pipelinePool(modelPath, a, frame);
  let bare: Slice | undefined;
  let pipe: PipeSlice | undefined;
  try {
    for (let i = 0; i < rounds; i++) {
      if (b) {
        const s = await b.slice(seconds * 1000);
        if (bare === undefined || s.perSecond > bare.perSecond) bare = s;
      }
      const s = await p.slice(seconds * 1000);
      if (pipe === undefined || s.perSecond > pipe.perSecond) pipe = s;
    }
  } finally {
    await b?.close();
    await p.close();
  }
  return { bare, pipe: pipe! };
}

const name = (a: DetectorArrangement) => `${a.sessions} session${a.sessions > 1 ? 's' : ''} × ${a.threads} thread${a.threads > 1 ? 's' : ''}, spinning ${a.spinning ? 'on ' : 'off'}`;
const same = (a: DetectorArrangement, b: DetectorArrangement) => a.sessions === b.sessions && a.threads === b.threads && a.spinning === b.spinning;
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

const frame = await subStreamFrame();
const input = new Float32Array(3 * INPUT_SIZE * INPUT_SIZE);
letterbox(frame, input);
const cores = availableParallelism();
const chosen = defaultArrangement(cores);
console.log(`detector throughput: ${values.model}; ${cores} cores; frame 640×360 RGB; ${warmupSeconds} s warm-up then ${seconds} s per measure; load ${load()}`);

const arrangements: DetectorArrangement[] = [
  { sessions: 1, threads: 2, spinning: false },
  { sessions: 1, threads: 2, spinning: true },
  { sessions: 2, threads: 1, spinning: false },
  { sessions: 2, threads: 1, spinning: true },
];
if (!arrangements.some((a) => same(a, chosen))) arrangements.push(chosen);

type Row = { a: DetectorArrangement; bare: Slice; pipe: PipeSlice };
const rows: Row[] = [];
for (const a of arrangements) {
  const m = await measure(values.model, a, frame, input, true);
  const row = { a, bare: m.bare!, pipe: m.pipe };
  rows.push(row);
  console.log(
    `${name(a)}: bare ${row.bare.perSecond.toFixed(1)}/s (CPU ${row.bare.cpuMs.toFixed(1)} ms each) | pipeline ${row.pipe.perSecond.toFixed(1)}/s = ${((100 * row.pipe.perSecond) / row.bare.perSecond).toFixed(0)} % of bare` +
      ` (CPU ${row.pipe.cpuMs.toFixed(1)} ms; letterbox ${row.pipe.preprocessMs.toFixed(2)} ms, run ${row.pipe.runMs.toFixed(2)} ms, decode ${row.pipe.decodeMs.toFixed(3)} ms) | load ${load()}`,
  );
}
// CPU time per inference moves much less than the rate when other work shares the machine. For 1-thread sessions,
// one per core, what the cores would give if the detector had them to itself is cores / CPU per inference; a session
// with more threads than that waits for its threads at every operator, which CPU time does not show.
for (const r of rows) {
  const cpuBound = (x: Slice) => ((cores * 1000) / x.cpuMs).toFixed(0);
  const alone = r.a.threads === 1 && r.a.sessions === cores ? `; by CPU per inference, ${cores} idle cores would give bare ${cpuBound(r.bare)}/s, pipeline ${cpuBound(r.pipe)}/s (${((100 * r.bare.cpuMs) / r.pipe.cpuMs).toFixed(0)} %)` : '';
  console.log(`${name(r.a)}: bare ${r.bare.perSecond.toFixed(1)}/s, pipeline ${r.pipe.perSecond.toFixed(1)}/s (${((100 * r.pipe.perSecond) / r.bare.perSecond).toFixed(0)} %)${alone}`);
}
const best = rows.reduce((x, y) => (y.pipe.perSecond > x.pipe.perSecond ? y : x));
const product = rows.find((r) => same(r.a, chosen))!;
const twoSessions = rows.find((r) => r.a.sessions === 2 && r.a.threads === 1 && !r.a.spinning)!;
console.log(`best here: ${name(best.a)} (${best.pipe.perSecond.toFixed(1)}/s); the product default is ${name(chosen)} (${product.pipe.perSecond.toFixed(1)}/s)`);

// int8: measured with the figures of its accuracy gate report (tools/int8/gate.ts writes it beside the model); a
// model without a report is refused, one whose report failed is measured and said to have failed.
let int8: { perSecond: number; gate: GateReportFields } | null = null;
const int8Path = values.int8;
if (int8Path !== undefined) {
  if (!existsSync(int8Path)) throw new Error(`--int8 ${int8Path}: no such file`);
  const gate = readGateReport(int8Path);
  if (typeof gate === 'string') throw new Error(`--int8 ${int8Path}: ${gate}: run \`npx tsx tools/int8/gate.ts ${int8Path}\` first (tools/int8/README.md)`);
  const problem = int8GateProblem(int8Path, sha256File(values.model));
  // int8 against fp32 in the product arrangement, both pipelines loaded and measured in alternating slices, so that
  // other work on a shared machine weighs on both alike (the table above ran earlier, perhaps at another load)
  const f = await pipelinePool(values.model, chosen, frame);
  const q = await pipelinePool(int8Path, chosen, frame);
  let fp32Best: PipeSlice | undefined;
  let int8Best: PipeSlice | undefined;
  try {
    for (let i = 0; i < rounds; i++) {
      const a = await f.slice(seconds * 1000);
      if (fp32Best === undefined || a.perSecond > fp32Best.perSecond) fp32Best = a;
      const b = await q.slice(seconds * 1000);
      if (int8Best === undefined || b.perSecond > int8Best.perSecond) int8Best = b;
    }
  } finally {
    await f.close();
    await q.close();
  }
  int8 = { perSecond: int8Best!.perSecond, gate };
  console.log(
    `int8 ${int8Path}, ${name(chosen)}: pipeline ${int8Best!.perSecond.toFixed(1)}/s (CPU ${int8Best!.cpuMs.toFixed(1)} ms, run ${int8Best!.runMs.toFixed(2)} ms) against fp32's ${fp32Best!.perSecond.toFixed(1)}/s (CPU ${fp32Best!.cpuMs.toFixed(1)} ms, run ${fp32Best!.runMs.toFixed(2)} ms) in the same slices: ` +
      `${(int8Best!.perSecond / fp32Best!.perSecond).toFixed(2)}× by rate, ${(fp32Best!.cpuMs / int8Best!.cpuMs).toFixed(2)}× by CPU per inference (target ≥ 1.4×) | load ${load()}`,
  );
  console.log(`int8 gate: kept ${gate.kept_pct} %, added ${gate.added_pct} % on ${gate.frames} frames: ${problem === undefined ? 'passed' : `NOT PASSED (${problem})`}`);
} else console.log('int8: no int8 model given (--int8 FILE): figures null');

console.log(
  JSON.stringify({
    pipeline_per_s_fp32: round(product.pipe.perSecond),
    bare_per_s_two_sessions: round(twoSessions.bare.perSecond),
    pipeline_per_s_int8: int8 === null ? null : round(int8.perSecond),
    int8_kept_pct: int8 === null ? null : int8.gate.kept_pct,
    int8_added_pct: int8 === null ? null : int8.gate.added_pct,
  }),
);
