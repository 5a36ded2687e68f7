// What a camera's day looks like and what to play: pure choices over segments (no I/O).

export interface TimedSegment {
  path: string;
  startMs: number;
  endMs: number;
}

export interface CoverageRun {
  fromMs: number;
  toMs: number;
}

/**
 * Consecutive segments closer than this are one continuous recording: the segment muxer's boundaries are a few
 * ms apart, a real outage is seconds (the recorder notices a stall after 3 segment lengths).
 */
export const CONTINUOUS_TOLERANCE_MS = 1_000;

/** Recorded coverage: segments merged into runs, oldest first. */
export function coverageRuns(segments: readonly TimedSegment[], toleranceMs = CONTINUOUS_TOLERANCE_MS): CoverageRun[] {
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs);
  const runs: CoverageRun[] = [];
  for (const s of sorted) {
    const last = runs.at(-1);
    if (last && s.startMs <= last.toMs + toleranceMs) last.toMs = Math.max(last.toMs, s.endMs);
    else runs.push({ fromMs: s.startMs, toMs: s.endMs });
  }
  return runs;
}

export interface PlaybackPlan {
  segments: TimedSegment[];
  /** wall-clock time of the stream's time 0: the first segment's start */
  startMs: number;
  /** where this continuous run ends (a gap, or the limit) */
  endMs: number;
  /** where the viewer asked to be, in seconds of stream time (0 when the recording only begins later) */
  offsetSeconds: number;
}

/**
 * A playback from `fromMs`: the segment that holds it (or the next one) and the segments continuing it without a
 * gap, up to `maxMs` of recording. A gap ends the plan, so stream time maps to wall-clock time by one offset; the
 * page asks for the next run when this one ends.
 */
export function playbackPlan(segments: readonly TimedSegment[], fromMs: number, maxMs: number, toleranceMs = CONTINUOUS_TOLERANCE_MS): PlaybackPlan | undefined {
  const sorted = [...segments].sort((a, b) => a.startMs - b.startMs);
  const firstIndex = sorted.findIndex((s) => s.endMs > fromMs);
  if (firstIndex < 0) return undefined;
  const first = sorted[firstIndex]!;
  const picked = [first];
  for (let i = firstIndex + 1; i < sorted.length; i++) {
    const s = sorted[i]!;
    const prev = picked.at(-1)!;
    if (s.startMs > prev.endMs + toleranceMs) break;
    if (s.startMs < prev.endMs - toleranceMs) continue; // an overlapping leftover (recorder restart): skip it
    if (prev.endMs - first.startMs >= maxMs) break;
    picked.push(s);
  }
  return {
    segments: picked,
    startMs: first.startMs,
    endMs: picked.at(-1)!.endMs,
    offsetSeconds: Math.max(0, (fromMs - first.startMs) / 1000),
  };
}

/** A UTC-agnostic day: [from, to) given by the page (the officer's local midnight), checked to be sane. */
export function checkRange(fromMs: number, toMs: number, maxMs: number): string | undefined {
  if (!Number.isSafeInteger(fromMs) || fromMs < 0) return 'from: must be a time in ms since 1970';
  if (!Number.isSafeInteger(toMs) || toMs <= fromMs) return 'to: must be a time in ms after from';
  if (toMs - fromMs > maxMs) return `to: the range may span at most ${Math.round(maxMs / 3_600_000)} hours`;
  return undefined;
}
