// One ffmpeg run's stream times mapped to the box's clock. A camera stamps every frame (RTP timestamps); ffmpeg
// turns them into times from the run's first frame. When a frame reaches us is its capture time plus the way
// here: the network, the camera's cached GOP handed to a new reader, ffmpeg probing, a stall. The smallest
// `arrival − stream time` seen is the frame that came fastest, the closest we get to "live"; every frame's time is
// its stream time plus that. RTCP sender reports would give the camera's own NTP time, but ffmpeg's RTSP demuxer
// uses them only with more than one stream, and prints them nowhere: arrival it is, as the issue allows.

/**
 * Frame rates cameras send. The frame interval is read off the stream times themselves (they fall on a lattice of
 * one interval), and it matters: ffmpeg's H.264 parser knows a frame is whole only when the next one begins, so
 * every frame reaches us one interval late.
 */
const FRAME_RATES = [1, 2, 3, 4, 5, 6, 7.5, 8, 10, 12, 12.5, 15, 20, 24, 25, 29.97, 30, 50, 59.94, 60];

/**
 * The frame interval (ms) whose multiples all stream times fall on, the longest that fits; undefined until there
 * are enough distinct times to tell (a lattice of 15 fps also fits 30 fps: the longer interval is the answer only
 * once some difference is an odd multiple of the shorter).
 */
export function frameIntervalOf(streamTimesMs: readonly number[], toleranceMs = 2): number | undefined {
  if (streamTimesMs.length < 6) return undefined;
  const base = streamTimesMs[0]!;
  const steps = streamTimesMs.slice(1).map((t) => t - base).filter((d) => d > 0);
  if (steps.length < 5) return undefined;
  for (const fps of FRAME_RATES) {
    const interval = 1000 / fps;
    if (steps.every((d) => Math.abs(d - Math.round(d / interval) * interval) <= toleranceMs)) return interval;
  }
  return undefined;
}

export interface StreamClockOptions {
  /** the fastest arrival is looked for over this long (a camera's clock drifts; a window follows it) */
  windowMs?: number;
  /** a known interval (ffmpeg said the frame rate); otherwise it is read off the stream times */
  frameIntervalMs?: number;
}

const BUCKET_MS = 1000;
const LATTICE_SAMPLES = 40;


export class StreamClock {
  /** the fastest `arrival − stream time` in each second of arrival, oldest first */
  private readonly buckets: { second: number; min: number }[] = [];
  private readonly windowMs: number;
  private readonly lattice: number[] = [];
  private interval: number | undefined;
  private lastStreamMs = -Infinity;
  /** observations so far in this run */
  samples = 0;
  /** times the stream's timestamps went back and the mapping began again */
  jumps = 0;

  constructor(o: StreamClockOptions = {}) {
    this.windowMs = o.windowMs ?? 60_000;
    this.interval = o.frameIntervalMs;
  }

  /** A frame (or a progress report) with stream time `streamMs` arrived at `wallMs`. */
  observe(wallMs: number, streamMs: number): void {
    this.samples++;
    const delay = wallMs - streamMs;
    // stream time that goes back (a camera that reset its RTP clock) starts a new mapping; one that leaps ahead
    // needs nothing: its smaller delay is the new fastest at once
    if (streamMs < this.lastStreamMs) this.restart();
    this.lastStreamMs = streamMs;
    const second = Math.floor(wallMs / BUCKET_MS);
    const last = this.buckets[this.buckets.length - 1];
    if (last && last.second === second) last.min = Math.min(last.min, delay);
    else this.buckets.push({ second, min: delay });
    while (this.buckets.length > 1 && (second - this.buckets[0]!.second) * BUCKET_MS > this.windowMs) this.buckets.shift();
    if (this.interval === undefined && this.lattice.length < LATTICE_SAMPLES && streamMs !== this.lattice[this.lattice.length - 1]) {
      this.lattice.push(streamMs);
      if (this.lattice.length >= 10) this.interval = frameIntervalOf(this.lattice);
    }
  }

  /** ffmpeg said the frame rate (or frames were counted): no need to read it off the lattice. */
  setFrameInterval(ms: number): void {
    if (Number.isFinite(ms) && ms > 0) this.interval = ms;
  }

  /** The frame interval, once known (ms). */
  get frameIntervalMs(): number | undefined {
    return this.interval;
  }

  /**
   * The stream's timestamps no longer follow the old mapping (they went back, leapt ahead, or frames that arrive at
   * the live pace have all looked late for a while): map afresh from the next observation.
   */
  restart(): void {
    this.buckets.length = 0;
    this.jumps++;
  }

  private minDelay(): number | undefined {
    if (!this.buckets.length) return undefined;
    let min = Infinity;
    for (const b of this.buckets) min = Math.min(min, b.min);
    return min;
  }

  /** Box time of stream time 0, or undefined before the first observation. */
  get offsetMs(): number | undefined {
    const min = this.minDelay();
    return min === undefined ? undefined : min - (this.interval ?? 0);
  }

  /** The box's time of a stream time. */
  toWall(streamMs: number): number | undefined {
    const offset = this.offsetMs;
    return offset === undefined ? undefined : Math.round(offset + streamMs);
  }

  /** How much later than the fastest this arrival was: 0 for a live frame, seconds for a stale one. */
  lagMs(wallMs: number, streamMs: number): number {
    const offset = this.offsetMs;
    return offset === undefined ? 0 : wallMs - streamMs - offset - (this.interval ?? 0);
  }
}
