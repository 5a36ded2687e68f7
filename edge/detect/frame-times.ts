// When each decoded frame was taken, and whether it is live. ffmpeg's `showinfo` prints every frame the reader
// keeps (its pts, in the stream's time base); the frame's bytes come on stdout in the same order. A reader that
// (re)connects first gets old frames — the camera's cached GOP, what ffmpeg read while probing — in a burst:
// they are recognised by their timestamps (they arrive faster than they were taken), not fed to the tracker as
// live, and every frame is stamped with the time it was taken, not when it reached us.
import { StreamClock } from '../stream-clock.js';

export type ShowinfoLine = { kind: 'config'; timeBase: number; frameIntervalMs: number | undefined } | { kind: 'frame'; pts: number };

/** Reads a `showinfo` line: the link's time base and frame rate, or one frame's pts; undefined for anything else. */
export function parseShowinfo(line: string): ShowinfoLine | undefined {
  if (!line.includes('showinfo')) return undefined;
  const frame = /\bn:\s*\d+\s+pts:\s*(-?\d+)\s/.exec(line);
  if (frame) return { kind: 'frame', pts: Number(frame[1]) };
  const config = /config in time_base:\s*(\d+)\/(\d+),\s*frame_rate:\s*(\d+)\/(\d+)/.exec(line);
  if (!config) return undefined;
  const [num, den, rateNum, rateDen] = config.slice(1).map(Number) as [number, number, number, number];
  if (!num || !den) return undefined;
  return { kind: 'config', timeBase: num / den, frameIntervalMs: rateNum && rateDen ? (1000 * rateDen) / rateNum : undefined };
}

/** A frame more than this behind the freshest is history: the recording has it, the tracker does not need it. */
export const STALE_MS = 1000;
/** this many late frames in a row at the live pace mean the timestamps moved, not that we fell behind */
const LATE_AT_LIVE_PACE = 5;

export interface Timed<T> {
  item: T;
  /** when its last byte reached us (box clock) */
  arrivedMs: number;
  /** its stream time (ms from the run's first frame) */
  streamMs: number;
}

export interface Decision<T> {
  /** live frames, oldest first, with the time each was taken */
  keep: { item: T; takenMs: number }[];
  /** stale frames: give them back */
  drop: T[];
}

/**
 * One reader run's frames, judged one by one. Until the stream has shown its live pace, the newest frame is held:
 * a frame that arrives as slowly as it was taken (at least half its stream interval after the one before) is live,
 * and tells how old the held one was. From then on a frame is stale when it arrives more than STALE_MS later than
 * the fastest did.
 */
export class FrameTimes<T> {
  readonly clock: StreamClock;
  private held: Timed<T> | undefined;
  private live = false;
  /** the last frame judged, and how many frames in a row came at the live pace yet late */
  private previous: Timed<T> | undefined;
  private lateAtLivePace = 0;
  stale = 0;

  constructor(frameIntervalMs?: number) {
    this.clock = new StreamClock(frameIntervalMs ? { frameIntervalMs } : {});
  }

  accept(frame: Timed<T>): Decision<T> {
    this.clock.observe(frame.arrivedMs, frame.streamMs);
    const out: Decision<T> = { keep: [], drop: [] };
    if (!this.live) {
      const held = this.held;
      this.held = frame;
      if (!held) return out;
      const livePace = frame.arrivedMs - held.arrivedMs >= 0.5 * (frame.streamMs - held.streamMs);
      if (!livePace) {
        this.dropStale(held, out);
        return out;
      }
      this.live = true;
      this.held = undefined;
      this.judge(held, out);
    }
    this.judge(frame, out);
    return out;
  }

  /** The reader ended: a held frame never showed it was live. */
  release(): T[] {
    const held = this.held;
    this.held = undefined;
    return held ? [held.item] : [];
  }

  private judge(frame: Timed<T>, out: Decision<T>): void {
    const previous = this.previous;
    this.previous = frame;
    if (this.clock.lagMs(frame.arrivedMs, frame.streamMs) > STALE_MS) {
      // late frames that keep arriving at the live pace are not a backlog: the camera's timestamps moved
      const livePace = previous !== undefined && frame.arrivedMs - previous.arrivedMs >= 0.5 * (frame.streamMs - previous.streamMs);
      this.lateAtLivePace = livePace ? this.lateAtLivePace + 1 : 0;
      if (this.lateAtLivePace < LATE_AT_LIVE_PACE) return this.dropStale(frame, out);
      this.clock.restart();
      this.clock.observe(frame.arrivedMs, frame.streamMs);
    }
    this.lateAtLivePace = 0;
    out.keep.push({ item: frame.item, takenMs: this.clock.toWall(frame.streamMs)! });
  }

  private dropStale(frame: Timed<T>, out: Decision<T>): void {
    this.stale++;
    out.drop.push(frame.item);
  }
}
