// A feeder's timeline: when each keyframe of each ffmpeg run arrived here (wall clock), and from that the
// wall-clock time of any RTP tick of a run. Pure; the feeder feeds it. Ground truth for recorded times.

export const RTP_CLOCK_HZ = 90_000;
const TICKS_PER_MS = RTP_CLOCK_HZ / 1000;
/** marks either side of a frame whose least delayed one times it (±10 s of 2 s GOPs) */
const NEIGHBOUR_MARKS = 5;
/** ~11 h of 2 s GOPs per feeder */
const DEFAULT_MAX_MARKS = 20_000;

/** A keyframe start: its RTP ticks since the run's first packet, and when its first packet arrived. */
export interface KeyframeMark {
  ticks: number;
  arrivalMs: number;
}

/** One ffmpeg run of a feeder: ticks restart at 0 with each run (the run's first packet is scene frame 0). */
export interface FeederRun {
  run: number;
  startedAtMs: number;
  keyframes: readonly KeyframeMark[];
}

/** What readers of a feeder's timeline may ask. */
export interface TimelineView {
  readonly runs: readonly FeederRun[];
  /** The run that was sending at `ms`: the last one started by then (else the oldest kept). */
  runAt(ms: number): FeederRun | undefined;
  /** Wall-clock ms when the frame at `ticks` of `run` was sent (the media clock through the least delayed keyframe near it); undefined if nothing is known. */
  wallClockOfTicks(ticks: number, run: number): number | undefined;
  /** The inverse: the ticks of `run` that arrived at `ms`. */
  ticksAtWallClock(ms: number, run: number): number | undefined;
}

export class Timeline implements TimelineView {
  private readonly kept: { run: number; startedAtMs: number; keyframes: KeyframeMark[] }[] = [];
  private marks = 0;

  constructor(private readonly maxMarks = DEFAULT_MAX_MARKS) {}

  get runs(): readonly FeederRun[] {
    return this.kept;
  }

  startRun(run: number, atMs: number): void {
    this.kept.push({ run, startedAtMs: atMs, keyframes: [] });
  }

  /** Records a keyframe of the current (last started) run; the oldest marks go beyond `maxMarks`. */
  markKeyframe(ticks: number, arrivalMs: number): void {
    const current = this.kept.at(-1);
    if (!current) throw new Error('timeline: markKeyframe before startRun');
    current.keyframes.push({ ticks, arrivalMs });
    this.marks += 1;
    while (this.marks > this.maxMarks) this.forgetOldest();
  }

  runAt(ms: number): FeederRun | undefined {
    let found = this.kept[0];
    for (const r of this.kept) if (r.startedAtMs <= ms) found = r;
    return found;
  }

  wallClockOfTicks(ticks: number, run: number): number | undefined {
    const marks = this.marksOf(run);
    if (marks.length === 0) return undefined;
    // -re paces packets at the media rate, and a packet can only be late (ffmpeg wakes every 10 ms; a run's first
    // frame comes ~80 ms late; on a loaded machine this process may read a keyframe 100 ms after it came): a
    // frame's time is the media clock from the least delayed mark near it, never one mark's own arrival
    const i = Math.max(0, lastAtOrBefore(marks, ticks));
    const near = marks.slice(Math.max(0, i - NEIGHBOUR_MARKS), i + NEIGHBOUR_MARKS + 1);
    const base = near.reduce((best, m) => (delayOf(m) < delayOf(best) ? m : best));
    return base.arrivalMs + (ticks - base.ticks) / TICKS_PER_MS;
  }

  ticksAtWallClock(ms: number, run: number): number | undefined {
    const marks = this.marksOf(run);
    if (marks.length === 0) return undefined;
    const nearest = marks.reduce((best, m) => (Math.abs(m.arrivalMs - ms) < Math.abs(best.arrivalMs - ms) ? m : best));
    return nearest.ticks + (ms - nearest.arrivalMs) * TICKS_PER_MS;
  }

  private marksOf(run: number): readonly KeyframeMark[] {
    return this.kept.find((r) => r.run === run)?.keyframes ?? [];
  }

  private forgetOldest(): void {
    const oldest = this.kept[0]!;
    oldest.keyframes.shift();
    this.marks -= 1;
    if (oldest.keyframes.length === 0 && this.kept.length > 1) this.kept.shift();
  }
}

/** How late a mark is against the run's media clock, up to a constant (smaller = less delayed). */
function delayOf(mark: KeyframeMark): number {
  return mark.arrivalMs - mark.ticks / TICKS_PER_MS;
}

/** Index of the last mark with ticks ≤ `ticks` (marks are in tick order), or -1. */
function lastAtOrBefore(marks: readonly KeyframeMark[], ticks: number): number {
  let lo = 0;
  let hi = marks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid]!.ticks <= ticks) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
