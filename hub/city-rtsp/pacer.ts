// One clock for every camera stream the hub sends the city: a single timer ticks while any stream has frames due, and
// each tick sends what is due in every stream. A timer per stream woke the hub 15 times a second per camera, and the
// wake-ups, not the packets, were most of its cost (≈ 0.4 % of a core per camera against ≈ 0.2 % for the rest).

/** A stream with frames waiting: sends those due by `now`; says whether some are still waiting. */
export interface Paced {
  sendDue(now: number): boolean;
}

/** Frames leave at most this late (a receiver's jitter buffer absorbs far more); 25 wake-ups a second in all. */
export const PACER_TICK_MS = 40;

export class Pacer {
  private readonly waiting = new Set<Paced>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly tickMs = PACER_TICK_MS) {}

  /** The stream has frames queued: it is asked every tick until it has none. */
  add(stream: Paced): void {
    this.waiting.add(stream);
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  remove(stream: Paced): void {
    this.waiting.delete(stream);
    this.stopIfIdle();
  }

  private tick(): void {
    const now = Date.now();
    for (const stream of this.waiting) if (!stream.sendDue(now)) this.waiting.delete(stream);
    this.stopIfIdle();
  }

  private stopIfIdle(): void {
    if (this.waiting.size || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The hub's one pacer. */
export const pacer = new Pacer();
