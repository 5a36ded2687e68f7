// Counts over the last minute, by the second: frames analysed, frames lost, sightings, alerts. Fixed memory.

const WINDOW_S = 60;

export class MinuteWindow {
  private readonly perSecond = new Uint32Array(WINDOW_S);
  private lastSecond = 0;

  /** One (or n) more at time `ms`. */
  add(ms: number, n = 1): void {
    const s = Math.floor(ms / 1000);
    this.roll(s);
    // a time older than the window (a late frame) counts in the oldest second still kept
    this.perSecond[Math.max(s, this.lastSecond - WINDOW_S + 1) % WINDOW_S]! += n;
  }

  /** How many over the minute up to `nowMs`. */
  total(nowMs: number): number {
    this.roll(Math.floor(nowMs / 1000));
    let n = 0;
    for (const c of this.perSecond) n += c;
    return n;
  }

  /** Per second, averaged over the minute, one decimal. */
  rate(nowMs: number): number {
    return Math.round((this.total(nowMs) / WINDOW_S) * 10) / 10;
  }

  private roll(second: number): void {
    if (second <= this.lastSecond) return;
    const steps = Math.min(WINDOW_S, second - this.lastSecond);
    for (let i = 1; i <= steps; i++) this.perSecond[(this.lastSecond + i) % WINDOW_S] = 0;
    this.lastSecond = second;
  }
}
