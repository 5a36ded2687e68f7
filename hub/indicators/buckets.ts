// Indicator buckets (pure): 15 minutes, or a local hour or day of a time zone, made of the hub's 15-minute rollups.
// Every real UTC offset is a multiple of 15 minutes, so a local hour or day is a whole number of UTC quarters.
import { localToUtc, offsetAt } from '../../shared/local-time.js';

export const INDICATOR_BUCKETS = ['quarter', 'hour', 'day'] as const;
export type IndicatorBucket = (typeof INDICATOR_BUCKETS)[number];
export const BUCKET_MS: Record<IndicatorBucket, number> = { quarter: 900_000, hour: 3_600_000, day: 86_400_000 };

/** The UTC instant a bucket holding `t` starts at, in the zone's local hours and days. */
export function bucketStart(t: number, bucket: IndicatorBucket, timeZone: string): number {
  if (bucket === 'quarter') return Math.floor(t / BUCKET_MS.quarter) * BUCKET_MS.quarter;
  const local = t + offsetAt(t, timeZone);
  return localToUtc(Math.floor(local / BUCKET_MS[bucket]) * BUCKET_MS[bucket], timeZone);
}

/** The starts of every bucket from the one holding `from` up to `to` (exclusive), so a chart shows empty ones too. */
export function bucketStarts(from: number, to: number, bucket: IndicatorBucket, timeZone: string): number[] {
  const out: number[] = [];
  let t = bucketStart(from, bucket, timeZone);
  while (t < to && out.length < 100_000) {
    out.push(t);
    // the next bucket: a day may be 23 or 25 hours where the zone changes its offset
    const next = bucketStart(t + BUCKET_MS[bucket] + (bucket === 'day' ? 2 * BUCKET_MS.hour : 0), bucket, timeZone);
    t = next > t ? next : t + BUCKET_MS[bucket];
  }
  return out;
}

/** The local hour of day (0–23) and weekday (0 Sunday – 6 Saturday) of an instant. */
export function localHour(t: number, timeZone: string): { hour: number; weekday: number } {
  const local = new Date(t + offsetAt(t, timeZone));
  return { hour: local.getUTCHours(), weekday: local.getUTCDay() };
}
