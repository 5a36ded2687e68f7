// What the dashboard says about the traffic (pure): the busiest hour, and now against the usual for this weekday
// and hour.
import { localHour } from './buckets.js';

export interface Hourly {
  /** start of the local hour (UTC ms) */
  at: number;
  n: number;
}

/** The single busiest hour of a series; null for an empty one. */
export function busiestHour(hours: readonly Hourly[]): Hourly | null {
  let best: Hourly | null = null;
  for (const h of hours) if (!best || h.n > best.n) best = h;
  return best;
}

/**
 * The local hour of day that is busiest on average over the days the series covers (hours with no report are left
 * out of the average, not counted as zero); null when nothing was counted.
 */
export function peakHourOfDay(hours: readonly Hourly[], timeZone: string): { hour: number; perHour: number; days: number } | null {
  const sums = new Map<number, { n: number; days: number }>();
  for (const h of hours) {
    const { hour } = localHour(h.at, timeZone);
    const s = sums.get(hour) ?? { n: 0, days: 0 };
    s.n += h.n;
    s.days++;
    sums.set(hour, s);
  }
  let best: { hour: number; perHour: number; days: number } | null = null;
  for (const [hour, s] of sums) {
    const perHour = s.n / s.days;
    if (perHour > 0 && (!best || perHour > best.perHour)) best = { hour, perHour: Math.round(perHour), days: s.days };
  }
  return best;
}

export const USUAL_WEEKS = 4;

/** The same hour-long window 1–4 weeks back: the usual for this weekday and hour. */
export function usualWindows(to: number, weeks = USUAL_WEEKS): { from: number; to: number }[] {
  const WEEK = 7 * 86_400_000;
  return Array.from({ length: weeks }, (_, i) => ({ from: to - (i + 1) * WEEK - 3_600_000, to: to - (i + 1) * WEEK }));
}

/**
 * The usual: the mean over the past windows that were watched (a week the camera was off is no evidence of a
 * quiet hour); null when none was. `ratio`: now over the usual, null without a usual or with a usual of 0.
 */
export function nowAgainstUsual(now: number, past: readonly { n: number; watchedMinutes: number }[]): { usual: number | null; weeks: number; ratio: number | null } {
  const watched = past.filter((p) => p.watchedMinutes > 0);
  if (!watched.length) return { usual: null, weeks: 0, ratio: null };
  const usual = watched.reduce((a, p) => a + p.n, 0) / watched.length;
  return { usual: Math.round(usual), weeks: watched.length, ratio: usual > 0 ? Number((now / usual).toFixed(2)) : null };
}
