// One bare onnxruntime session in a worker thread, for bench/detect-throughput.ts: session.run on one prepared
// tensor in a loop, nothing else (no letterbox, no decode, no messages per run). The ceiling the pipeline is held to.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

interface BareJob {
  modelPath: string;
  threads: number;
  spinning: boolean;
  input: Float32Array;
  dims: number[];
  warmupMs: number;
}

const port = parentPort!;
const { modelPath, threads, spinning, input, dims, warmupMs } = workerData as BareJob;
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
});
const feeds = { images: new ort.Tensor('float32', input, dims) };
const warmupEnd = performance.now() + warmupMs;
while (performance.now() < warmupEnd) await session.run(feeds);
port.postMessage({ type: 'warm' });
// one slice per message, until told to close: the bench alternates slices of bare runs and of the pipeline
port.on('message', (m: { untilMs: number } | { close: true }) => {
  if ('close' in m) {
    void session.release().then(() => port.close());
    return;
  }
  void (async () => {
    // every worker stops at the same wall-clock instant (performance.timeOrigin differs between threads)
    const until = m.untilMs - performance.timeOrigin;
    const start = performance.now();
    let runs = 0;
    while (performance.now() < until) {
      await session.run(feeds);
      runs++;
    }
    port.postMessage({ type: 'done', runs, elapsedMs: performance.now() - start });
  })();
});
