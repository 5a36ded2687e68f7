// Detector scheduler: shares one detector fairly across cameras, latest frame wins, nothing queues without bound.
import type { Detection } from './detector.js';

export interface ResultInfo {
  /** submit → result */
  latencyMs: number;
  /** submit → start of detection (time spent waiting for its turn) */
  waitMs: number;
}

export interface SchedulerOptions<F> {
  /** the shared detector's detect function */
  detect: (frame: F) => Promise<Detection[]>;
  /** called once per inferred frame, in frame order per camera */
  onResult: (cameraId: string, frame: F, detections: Detection[], info: ResultInfo) => void;
  /** a failed detection, or an onResult that threw; the scheduler carries on */
  onError: (cameraId: string, error: unknown) => void;
  /** detections running at once, default 1 */
  concurrency?: number;
  /** clock in ms, default performance.now */
  now?: () => number;
}

export interface CameraStats {
  submitted: number;
  inferred: number;
  /** frames replaced by a newer one before their turn came, or discarded at close */
  dropped: number;
  failed: number;
  lastLatencyMs: number | null;
}

export interface LatencyStats {
  /** over the last LATENCY_WINDOW results */
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface SchedulerStats {
  submitted: number;
  inferred: number;
  dropped: number;
  failed: number;
  /** frames waiting: never more than the number of cameras */
  pending: number;
  inFlight: number;
  perCamera: Record<string, CameraStats>;
  latency: LatencyStats | null;
}

interface Pending<F> {
  frame: F;
  submittedAt: number;
}

const LATENCY_WINDOW = 512;

export class DetectScheduler<F> {
  private readonly detect: (frame: F) => Promise<Detection[]>;
  private readonly onResult: SchedulerOptions<F>['onResult'];
  private readonly onError: SchedulerOptions<F>['onError'];
  private readonly concurrency: number;
  private readonly now: () => number;

  /** at most one frame per camera: the latest */
  private readonly pending = new Map<string, Pending<F>>();
  /** cameras with a detection running; one at a time per camera keeps its results in order */
  private readonly busy = new Set<string>();
  /** cameras in the order first seen; the round-robin cursor walks this ring */
  private readonly ring: string[] = [];
  private cursor = 0;
  private readonly perCamera = new Map<string, CameraStats>();
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private latencyCount = 0;
  private pumpScheduled = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(options: SchedulerOptions<F>) {
    this.detect = options.detect;
    this.onResult = options.onResult;
    this.onError = options.onError;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.now = options.now ?? (() => performance.now());
  }

  /** Offer a camera's newest frame. A frame of that camera still waiting is dropped for it. */
  submit(cameraId: string, frame: F): void {
    if (this.closed) return;
    const stats = this.cameraStats(cameraId);
    stats.submitted++;
    if (this.pending.has(cameraId)) stats.dropped++;
    this.pending.set(cameraId, { frame, submittedAt: this.now() });
    // Start on the next turn of the event loop, not inside submit: the caller is a frame
    // reader, and frames from several cameras arriving together then compete fairly.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  stats(): SchedulerStats {
    const perCamera: Record<string, CameraStats> = {};
    let submitted = 0;
    let inferred = 0;
    let dropped = 0;
    let failed = 0;
    for (const [id, s] of this.perCamera) {
      perCamera[id] = { ...s };
      submitted += s.submitted;
      inferred += s.inferred;
      dropped += s.dropped;
      failed += s.failed;
    }
    return {
      submitted,
      inferred,
      dropped,
      failed,
      pending: this.pending.size,
      inFlight: this.busy.size,
      perCamera,
      latency: this.latencyStats(),
    };
  }

  /** Resolves when nothing is pending or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.busy.size === 0 && !this.pumpScheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop taking frames, drop what waits (counted), and wait for running detections. */
  async close(): Promise<void> {
    this.closed = true;
    for (const id of this.pending.keys()) this.cameraStats(id).dropped++;
    this.pending.clear();
    this.pumpScheduled = false;
    if (this.busy.size > 0) await this.idle();
    else this.notifyIdle();
  }

  private pump(): void {
    while (!this.closed && this.busy.size < this.concurrency) {
      const cameraId = this.nextCamera();
      if (cameraId === undefined) break;
      const job = this.pending.get(cameraId)!;
      this.pending.delete(cameraId);
      void this.run(cameraId, job);
    }
    this.notifyIdle();
  }

  /** Round robin: the first camera after the last one served that has a frame and none running. */
  private nextCamera(): string | undefined {
    const n = this.ring.length;
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n;
      const id = this.ring[i]!;
      if (this.pending.has(id) && !this.busy.has(id)) {
        this.cursor = (i + 1) % n;
        return id;
      }
    }
    return undefined;
  }

  private async run(cameraId: string, job: Pending<F>): Promise<void> {
    const stats = this.cameraStats(cameraId);
    this.busy.add(cameraId);
    const startedAt = this.now();
    try {
      let detections: Detection[];
      try {
        detections = await this.detect(job.frame);
      } catch (error) {
        stats.failed++;
        this.onError(cameraId, error);
        return;
      }
      const latencyMs = this.now() - job.submittedAt;
      stats.inferred++;
      stats.lastLatencyMs = latencyMs;
      this.latencies[this.latencyCount++ % LATENCY_WINDOW] = latencyMs;
      try {
        this.onResult(cameraId, job.frame, detections, { latencyMs, waitMs: startedAt - job.submittedAt });
      } catch (error) {
        this.onError(cameraId, error);
      }
    } finally {
      this.busy.delete(cameraId);
      this.pump();
    }
  }

  private cameraStats(cameraId: string): CameraStats {
    let s = this.perCamera.get(cameraId);
    if (s === undefined) {
      s = { submitted: 0, inferred: 0, dropped: 0, failed: 0, lastLatencyMs: null };
      this.perCamera.set(cameraId, s);
      this.ring.push(cameraId);
    }
    return s;
  }

  private latencyStats(): LatencyStats | null {
    const count = Math.min(this.latencyCount, LATENCY_WINDOW);
    if (count === 0) return null;
    const sorted = this.latencies.slice(0, count).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    const at = (q: number) => sorted[Math.min(count - 1, Math.floor(q * count))]!;
    return { count, meanMs: sum / count, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: sorted[count - 1]! };
  }

  private notifyIdle(): void {
    if (this.pending.size > 0 || this.busy.size > 0 || this.pumpScheduled) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
