// Detector throughput bench: letterbox of a 640×360 frame + session run + decode, at 1 and 2 threads.
// CPU time per inference is printed too: it moves much less than inferences/s when other work
// shares the machine, so it is the figure to compare between runs.
//
//   npm run bench:detect-throughput [-- --model path/to/yolox_nano.onnx --seconds 10 --warmup 2]
//
// The last line is one JSON object for scripts:
//   {"infer_per_s_1t":…,"infer_per_s_2t":…,"preprocess_ms":…,"run_ms":…,…}
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createDetector, type DetectorStats, type RgbFrame } from '../edge/detect/detector.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { DOG_JPG } from '../test-fixtures/media/index.js';


const { values } = parseArgs({
  options: {
    model: { type: 'string', default: packagedModel().path },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
  },
});
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);

/** A real picture at the sub-stream size, as a Buffer like the ffmpeg frame reader gives. */
async function subStreamFrame(): Promise<RgbFrame> {
  const source = DOG_JPG;
  try {
    const data = await sharp(source).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer();
    return { data, width: 640, height: 360 };
  } catch {
    // No sample picture: noise costs the same to letterbox and run, and decodes fewer boxes.
    const data = Buffer.alloc(640 * 360 * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    return { data, width: 640, height: 360 };
  }
}

interface Result {
  threads: number;
  inferences: number;
  perSecond: number;
  preprocessMs: number;
  runMs: number;
  decodeMs: number;
  /** process CPU time per inference: what the box pays */
  cpuMs: number;
  /** onnxruntime-node runs the session on the JS thread: how long a timer waited, worst 1 % */
  loopDelayP99Ms: number;
}

async function measure(threads: number, frame: RgbFrame, spinning = false): Promise<Result> {
  const detector = await createDetector({ modelPath: values.model, threads, spinning });
  try {
    const warmupEnd = performance.now() + warmupSeconds * 1000;
    while (performance.now() < warmupEnd) await detector.detect(frame);

    const before: DetectorStats = detector.stats();
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    const end = start + seconds * 1000;
    while (performance.now() < end) await detector.detect(frame);
    const elapsed = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    loop.disable();
    const after = detector.stats();

    const n = after.inferences - before.inferences;
    return {
      threads,
      inferences: n,
      perSecond: (n * 1000) / elapsed,
      preprocessMs: (after.preprocessMs - before.preprocessMs) / n,
      runMs: (after.runMs - before.runMs) / n,
      decodeMs: (after.decodeMs - before.decodeMs) / n,
      cpuMs: (cpu.user + cpu.system) / 1000 / n,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
    };
  } finally {
    await detector.close();
  }
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;

const frame = await subStreamFrame();
console.log(`detector throughput: ${values.model}`);
console.log(`frame 640×360 RGB, ${warmupSeconds} s warm-up then ${seconds} s per thread count, sequential detect() calls`);
const results: Result[] = [];
// The product default (pool threads sleep between operators), then onnxruntime's own default.
for (const [threads, spinning] of [[1, false], [2, false], [2, true]] as const) {
  const r = await measure(threads, frame, spinning);
  results.push(r);
  console.log(
    `${threads} thread${threads > 1 ? 's' : ' '}${spinning ? ' (spinning)' : '           '}: ` +
      `${r.perSecond.toFixed(1)} inferences/s (${r.inferences} in ${seconds} s)` +
      ` | per inference: letterbox ${r.preprocessMs.toFixed(2)} ms, run ${r.runMs.toFixed(2)} ms,` +
      ` decode ${r.decodeMs.toFixed(3)} ms, CPU ${r.cpuMs.toFixed(2)} ms | event loop delay p99 ${r.loopDelayP99Ms.toFixed(1)} ms`,
  );
}
const [one, two, twoSpinning] = results as [Result, Result, Result];
console.log(
  JSON.stringify({
    infer_per_s_1t: round(one.perSecond, 1),
    infer_per_s_2t: round(two.perSecond, 1),
    preprocess_ms: round((one.preprocessMs + two.preprocessMs) / 2, 3),
    run_ms: round(two.runMs),
    run_ms_1t: round(one.runMs),
    decode_ms: round((one.decodeMs + two.decodeMs) / 2, 3),
    cpu_ms_per_infer_1t: round(one.cpuMs),
    cpu_ms_per_infer_2t: round(two.cpuMs),
    infer_per_s_2t_spinning: round(twoSpinning.perSecond, 1),
    cpu_ms_per_infer_2t_spinning: round(twoSpinning.cpuMs),
  }),
);
