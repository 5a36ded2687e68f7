// How long a restart loop waits before the next run. `Backoff` (shared/backoff.ts: exponential, jitter, reset after a
// healthy run) is one policy; `DelaySteps` is a fixed table for loops that restart only while someone watches.
export interface RestartPolicy {
  /** the wait before the next run, given how long the last one lasted */
  next(lastRunMs: number): number;
  /** the stream is healthy again: the next failure waits the shortest time */
  reset(): void;
}

/** The n-th restart in a row waits `delaysMs[n]`, the last entry from then on, until reset. */
export class DelaySteps implements RestartPolicy {
  private failures = 0;

  constructor(private readonly delaysMs: readonly number[]) {
    if (delaysMs.length === 0) throw new RangeError('DelaySteps needs at least one delay');
  }

  next(): number {
    const delay = this.delaysMs[Math.min(this.failures, this.delaysMs.length - 1)]!;
    this.failures++;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }
}
