// The main thread's handle on the detector worker: detect() posts a frame (its buffer transferred, not copied)
// and resolves with the detections; the buffer comes back into `frame.data`. A crashed worker is restarted.
import { Worker } from 'node:worker_threads';
import { Backoff } from '../../shared/backoff.js';
import type { Logger } from '../../shared/log.js';
import { DetectorError, type Detection, type Detector, type DetectorOptions, type DetectorStats, type RgbFrame } from './detector.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';
import { workerEntry } from './worker-entry.js';

interface Waiting {
  frame: RgbFrame;
  resolve: (d: Detection[]) => void;
  reject: (e: unknown) => void;
}

export interface WorkerDetectorOptions extends DetectorOptions {
  logger: Logger;
}

/**
 * Starts the worker and waits until its session is loaded. Rejects with the worker's DetectorError code
 * (MODEL_NOT_FOUND, MODEL_INVALID, RUNTIME_UNAVAILABLE) when it cannot start.
 */
export async function createWorkerDetector(options: WorkerDetectorOptions): Promise<Detector> {
  const { logger, ...detectorOptions } = options;
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let stats: DetectorStats = { inferences: 0, preprocessMs: 0, runMs: 0, decodeMs: 0 };
  /** inferences of workers that crashed, so the totals only grow */
  let carried: DetectorStats = { ...stats };
  let closed = false;
  let worker: Worker | undefined;
  const backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  let startedAt = 0;

  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  };

  const spawn = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const entry = workerEntry(new URL('./detector-worker.ts', import.meta.url));
      const w = new Worker(entry.filename, { eval: entry.eval, workerData: detectorOptions, name: 'wardwatch-detector' });
      startedAt = Date.now();
      let ready = false;
      w.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'ready':
            ready = true;
            resolve(w);
            return;
          case 'init-failed':
            reject(new DetectorError(m.code, m.message));
            void w.terminate();
            return;
          case 'result':
          case 'failed': {
            const job = waiting.get(m.id);
            if (job === undefined) return;
            waiting.delete(m.id);
            job.frame.data = new Uint8Array(m.buffer, m.byteOffset, m.length);
            if (m.type === 'result') {
              stats = m.stats;
              job.resolve(m.detections);
            } else job.reject(new DetectorError('BAD_FRAME', m.message));
          }
        }
      });
      w.on('error', (err) => {
        if (!ready) reject(new DetectorError('RUNTIME_UNAVAILABLE', `detector worker failed to start: ${err.message}`, { cause: err }));
        else logger.error({ err: err.message }, 'detector worker crashed');
      });
      w.on('exit', (code) => {
        if (!ready || closed) return;
        worker = undefined;
        carried = sum(carried, stats);
        stats = { inferences: 0, preprocessMs: 0, runMs: 0, decodeMs: 0 };
        failAll(new DetectorError('CLOSED', `detector worker exited (code ${code})`));
        const delay = backoff.next(Date.now() - startedAt);
        logger.warn({ code, restartInMs: delay }, 'detector worker exited: restarting it');
        setTimeout(() => {
          if (closed) return;
          spawn().then(
            (w2) => (worker = w2),
            (err: unknown) => logger.error({ err: (err as Error).message }, 'detector worker did not restart'),
          );
        }, delay).unref();
      });
    });

  worker = await spawn();

  return {
    detect(frame: RgbFrame): Promise<Detection[]> {
      if (closed) return Promise.reject(new DetectorError('CLOSED', 'detector is closed'));
      const w = worker;
      if (w === undefined) return Promise.reject(new DetectorError('CLOSED', 'detector worker is restarting'));
      const { data, width, height } = frame;
      if (!(data.buffer instanceof ArrayBuffer)) return Promise.reject(new DetectorError('BAD_FRAME', 'frame data must be on a transferable ArrayBuffer'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { frame, resolve, reject });
        const message: ToWorker = { type: 'detect', id, buffer: data.buffer as ArrayBuffer, byteOffset: data.byteOffset, length: data.byteLength, width, height };
        w.postMessage(message, [data.buffer as ArrayBuffer]);
      });
    },
    stats: () => sum(carried, stats),
    async close() {
      if (closed) return;
      closed = true;
      const w = worker;
      worker = undefined;
      if (w === undefined) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.postMessage({ type: 'close' } satisfies ToWorker);
      const timer = setTimeout(() => void w.terminate(), 5000);
      await exited;
      clearTimeout(timer);
      failAll(new DetectorError('CLOSED', 'detector is closed'));
    },
  };
}

function sum(a: DetectorStats, b: DetectorStats): DetectorStats {
  return { inferences: a.inferences + b.inferences, preprocessMs: a.preprocessMs + b.preprocessMs, runMs: a.runMs + b.runMs, decodeMs: a.decodeMs + b.decodeMs };
}
