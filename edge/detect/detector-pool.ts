// The box's detector: N onnxruntime sessions, each in its own worker thread, behind one detect(); a frame goes to the
// session with the fewest frames in hand. On 2 cores two 1-thread sessions beat one 2-thread session (bench/detect-throughput.ts).
import type { Detection, Detector, DetectorStats, RgbFrame } from './detector.js';
import { createWorkerDetector, type WorkerDetectorOptions } from './worker-detector.js';

export interface DetectorArrangement {
  /** sessions, each in its own worker thread */
  sessions: number;
  /** onnxruntime intra-op threads per session */
  threads: number;
  /** let the sessions' pool threads busy-wait between operators */
  spinning: boolean;
}

/**
 * The arrangement measured best here (bench/detect-throughput.ts, December 2026, 2-core box): one 1-thread session
 * per core; spinning buys nothing when each session has a single thread (there is no pool to spin).
 */
export function defaultArrangement(cores: number): DetectorArrangement {
  return { sessions: Math.max(1, Math.min(4, cores)), threads: 1, spinning: false };
}

export type DetectorPoolOptions = Omit<WorkerDetectorOptions, 'threads' | 'spinning'> & DetectorArrangement;

export interface DetectorPool extends Detector {
  /** frames each session holds now (posted, not answered) */
  load(): number[];
}

/** Pure: the session to give the next frame to: fewest in hand, ties broken after the last one chosen. */
export function pickSession(inHand: readonly number[], last: number): number {
  let best = -1;
  const n = inHand.length;
  for (let k = 1; k <= n; k++) {
    const i = (last + k) % n;
    if (best === -1 || inHand[i]! < inHand[best]!) best = i;
  }
  return best;
}

/** Starts every session and waits until all are loaded; rejects (and closes the ones that started) if one cannot start. */
export async function createDetectorPool(options: DetectorPoolOptions): Promise<DetectorPool> {
  const { sessions, threads, spinning, ...rest } = options;
  if (!Number.isInteger(sessions) || sessions < 1) throw new RangeError(`detector sessions must be a whole number ≥ 1 (got ${sessions})`);
  const started = await Promise.allSettled(Array.from({ length: sessions }, () => createWorkerDetector({ ...rest, threads, spinning })));
  const members = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(members.map((m) => m.close()));
    throw failure.reason;
  }
  const inHand = members.map(() => 0);
  let last = -1;

  return {
    async detect(frame: RgbFrame): Promise<Detection[]> {
      const i = pickSession(inHand, last);
      last = i;
      inHand[i]!++;
      try {
        return await members[i]!.detect(frame);
      } finally {
        inHand[i]!--;
      }
    },
    stats(): DetectorStats {
      const total: DetectorStats = { inferences: 0, preprocessMs: 0, runMs: 0, decodeMs: 0 };
      for (const m of members) {
        const s = m.stats();
        total.inferences += s.inferences;
        total.preprocessMs += s.preprocessMs;
        total.runMs += s.runMs;
        total.decodeMs += s.decodeMs;
      }
      return total;
    },
    load: () => [...inHand],
    async close() {
      await Promise.all(members.map((m) => m.close()));
    },
  };
}
