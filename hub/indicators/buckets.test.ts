import { describe, expect, it } from 'vitest';
import { bucketStart, bucketStarts, localHour } from './buckets.js';

const HCM = 'Asia/Ho_Chi_Minh'; // UTC+7, no DST
const KTM = 'Asia/Kathmandu'; // UTC+5:45
const PARIS = 'Europe/Paris'; // DST
const utc = (s: string) => Date.parse(s);

describe('bucketStart', () => {
  it.each([
    ['a quarter is UTC', utc('2026-12-06T04:29:59Z'), 'quarter', HCM, '2026-12-06T04:15:00.000Z'],
    ['an hour in Hồ Chí Minh City', utc('2026-12-06T04:29:59Z'), 'hour', HCM, '2026-12-06T04:00:00.000Z'],
    ['a day starts at local midnight (17:00 UTC)', utc('2026-12-06T04:29:59Z'), 'day', HCM, '2026-12-05T17:00:00.000Z'],
    ['just after local midnight', utc('2026-12-05T17:00:00Z'), 'day', HCM, '2026-12-05T17:00:00.000Z'],
    ['an hour at +5:45 starts at :15 UTC', utc('2026-12-06T04:29:59Z'), 'hour', KTM, '2026-12-06T04:15:00.000Z'],
    ['a Paris day in summer (+2)', utc('2026-07-01T12:00:00Z'), 'day', PARIS, '2026-06-30T22:00:00.000Z'],
  ] as const)('%s', (_name, t, bucket, zone, expected) => {
    expect(new Date(bucketStart(t, bucket, zone)).toISOString()).toBe(expected);
  });
});

describe('bucketStarts', () => {
  it('lists every bucket of a range, the first one holding from', () => {
    const starts = bucketStarts(utc('2026-12-06T04:20:00Z'), utc('2026-12-06T05:20:00Z'), 'quarter', HCM);
    expect(starts.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual(['04:15', '04:30', '04:45', '05:00', '05:15']);
  });

  it('gives the day of a change to summer time its 23 hours', () => {
    const days = bucketStarts(utc('2026-03-28T12:00:00Z'), utc('2026-03-31T00:00:00Z'), 'day', PARIS);
    expect(days.map((t) => new Date(t).toISOString())).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', '2026-03-30T22:00:00.000Z']);
  });
});

describe('localHour', () => {
  it.each([
    [utc('2026-12-06T04:29:59Z'), HCM, 11, 0],
    [utc('2026-12-05T16:59:59Z'), HCM, 23, 6], // Saturday night
    [utc('2026-12-05T17:00:00Z'), HCM, 0, 0],
  ])('%s in %s is hour %s of weekday %s', (t, zone, hour, weekday) => {
    expect(localHour(t, zone)).toEqual({ hour, weekday });
  });
});
