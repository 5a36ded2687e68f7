// How much crossed one camera's counting lines: crossings → one count per minute, line, direction and label. Pure.
import { LABELS, type Label } from '../../shared/contract/index.js';
import type { Crossing, Direction } from './sightings.js';

export interface MinuteCount {
  line: string;
  direction: Direction;
  label: Label;
  n: number;
}

/** One camera-minute: `counts: []` means it was watched and nothing crossed. */
export interface CountedMinute {
  /** start of the minute, ms (a multiple of 60 000) */
  minute: number;
  counts: MinuteCount[];
}

export interface LineCountsOptions {
  camera: string;
  lines: readonly { id: string }[];
  /** a minute is over this long after its end, so a crossing confirmed a frame or two late still lands in it (default 2000) */
  graceMs?: number;
}

const MINUTE = 60_000;
/**
 * With no flush for longer than this the camera was not being watched (stopped, stalled, the box was off): the
 * minutes in between are not reported as "none crossed", only those that got a crossing anyway. The camera is
 * watched again from the minute of the flush that ends the gap.
 */
export const UNWATCHED_AFTER_MS = 10 * MINUTE;

const DIRECTIONS: readonly Direction[] = ['forward', 'backward'];
const floorMinute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;

/**
 * One per camera. Call `flush` from the camera's frames (every detected frame, or a timer that runs only while
 * frames arrive): a flush is what says the camera was being watched.
 */
export class LineCounts {
  private readonly camera: string;
  private readonly lineOrder: ReadonlyMap<string, number>;
  private readonly graceMs: number;
  /** counts not yet flushed: minute → "line direction label" → its count */
  private readonly minutes = new Map<number, Map<string, MinuteCount>>();
  /** the oldest minute not yet reported; undefined until watching starts */
  private next: number | undefined;
  private lastFlushMs = 0;

  constructor({ camera, lines, graceMs = 2000 }: LineCountsOptions) {
    this.camera = camera;
    this.lineOrder = new Map(lines.map((l, i) => [l.id, i]));
    this.graceMs = graceMs;
  }

  /** Watching starts at `nowMs` (its minute is the first reported); once started, later calls change nothing. */
  start(nowMs: number): void {
    if (this.next !== undefined) return;
    this.next = floorMinute(nowMs);
    this.lastFlushMs = nowMs;
  }

  add(c: Crossing): void {
    if (c.camera !== this.camera || !this.lineOrder.has(c.line)) return;
    // a crossing before any start or flush starts the watch at its minute
    if (this.next === undefined) this.start(c.at);
    // a crossing of a minute already reported (confirmed later than the grace) goes into the oldest open one: late, not lost
    const minute = Math.max(floorMinute(c.at), this.next!);
    let counts = this.minutes.get(minute);
    if (counts === undefined) this.minutes.set(minute, (counts = new Map()));
    const key = `${c.line} ${c.direction} ${c.label}`;
    const count = counts.get(key);
    if (count === undefined) counts.set(key, { line: c.line, direction: c.direction, label: c.label, n: 1 });
    else count.n++;
  }

  /** Minutes over at `nowMs`, oldest first, each once. */
  flush(nowMs: number): CountedMinute[] {
    if (this.lineOrder.size === 0) return [];
    if (this.next === undefined) {
      this.start(nowMs);
      return [];
    }
    const out: CountedMinute[] = [];
    if (nowMs - this.lastFlushMs > UNWATCHED_AFTER_MS) {
      const watchedUntil = floorMinute(this.lastFlushMs);
      for (; this.next <= watchedUntil; this.next += MINUTE) out.push(this.take(this.next));
      const resume = floorMinute(nowMs);
      for (const minute of [...this.minutes.keys()].filter((m) => m < resume).sort((a, b) => a - b)) out.push(this.take(minute));
      this.next = resume;
    }
    for (; this.next + MINUTE + this.graceMs <= nowMs; this.next += MINUTE) out.push(this.take(this.next));
    this.lastFlushMs = nowMs;
    return out;
  }

  private take(minute: number): CountedMinute {
    const counts = [...(this.minutes.get(minute)?.values() ?? [])];
    this.minutes.delete(minute);
    counts.sort(
      (a, b) =>
        this.lineOrder.get(a.line)! - this.lineOrder.get(b.line)! ||
        DIRECTIONS.indexOf(a.direction) - DIRECTIONS.indexOf(b.direction) ||
        LABELS.indexOf(a.label) - LABELS.indexOf(b.label),
    );
    return { minute, counts };
  }
}
