// Exponential backoff with jitter, reset after a healthy period: used by every restart and reconnect loop.
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** a run this long counts as healthy and resets the delay */
  resetAfterMs?: number;
  /** 0–1: the delay is scaled by a random factor in [1 - jitter, 1] */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly o: Required<BackoffOptions>;

  constructor(options: BackoffOptions = {}) {
    this.o = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000, jitter: 0.3, random: Math.random, ...options };
  }

  /** The delay before the next try, given how long the last run lasted. */
  next(lastRunMs = 0): number {
    if (lastRunMs >= this.o.resetAfterMs) this.attempt = 0;
    const base = Math.min(this.o.maxMs, this.o.initialMs * 2 ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 - this.o.jitter * this.o.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
