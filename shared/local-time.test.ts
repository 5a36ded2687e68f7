import { describe, expect, it } from 'vitest';
import { isTimeZone, localDay, localIso, localMidnight, localToUtc, minuteOfDay, offsetAt, offsetSpans, offsetText } from './local-time.js';

const H = 3_600_000;

describe('local time', () => {
  it.each([
    ['Asia/Ho_Chi_Minh', Date.UTC(2026, 11, 5, 20), 7 * H],
    ['Asia/Kolkata', Date.UTC(2026, 11, 5, 20), 5.5 * H],
    ['UTC', Date.UTC(2026, 11, 5, 20, 0, 0, 123), 0],
    ['Europe/Berlin', Date.UTC(2026, 0, 15), 1 * H],
    ['Europe/Berlin', Date.UTC(2026, 6, 15), 2 * H],
    ['America/New_York', Date.UTC(2026, 0, 15), -5 * H],
  ])('%s is %d ms from UTC at %d', (zone, t, offset) => {
    expect(offsetAt(t, zone)).toBe(offset);
  });

  it('finds the instant of a local midnight, also on the day summer time starts', () => {
    expect(localToUtc(Date.UTC(2026, 11, 6), 'Asia/Ho_Chi_Minh')).toBe(Date.UTC(2026, 11, 5, 17));
    expect(localToUtc(Date.UTC(2026, 2, 29), 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 28, 23));
    expect(localToUtc(Date.UTC(2026, 2, 30), 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 22));
    // 02:30 does not exist in Berlin on 29 March 2026: the instant after the gap
    expect(localToUtc(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1, 30));
  });

  it('cuts a range where the offset changes, to the minute, and nowhere else', () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2027, 0, 1);
    expect(offsetSpans(from, to, 'Asia/Ho_Chi_Minh')).toEqual([{ from, to, offset: 7 * H }]);
    expect(offsetSpans(from, to, 'Europe/Berlin')).toEqual([
      { from, to: Date.UTC(2026, 2, 29, 1), offset: 1 * H },
      { from: Date.UTC(2026, 2, 29, 1), to: Date.UTC(2026, 9, 25, 1), offset: 2 * H },
      { from: Date.UTC(2026, 9, 25, 1), to, offset: 1 * H },
    ]);
    const short = offsetSpans(Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1, 30), 'Europe/Berlin');
    expect(short.map((s) => [s.from, s.to])).toEqual([
      [Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 29, 1)],
      [Date.UTC(2026, 2, 29, 1), Date.UTC(2026, 2, 29, 1, 30)],
    ]);
  });

  it('knows a real zone from a made-up one', () => {
    expect(isTimeZone('Asia/Ho_Chi_Minh')).toBe(true);
    expect(isTimeZone('Asia/Phu_Nhuan')).toBe(false);
  });
});

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

describe('localDay', () => {
  it.each([
    // Asia/Ho_Chi_Minh: UTC+7 all year
    ['Hồ Chí Minh, mid-morning', '2026-11-26T03:00:00Z', 'Asia/Ho_Chi_Minh', '2026-11-25T17:00:00Z', 24],
    ['Hồ Chí Minh, a UTC evening that is already tomorrow there', '2026-11-26T20:30:00Z', 'Asia/Ho_Chi_Minh', '2026-11-26T17:00:00Z', 24],
    ['Hồ Chí Minh, midnight itself starts its day', '2026-11-25T17:00:00Z', 'Asia/Ho_Chi_Minh', '2026-11-25T17:00:00Z', 24],
    ['Hồ Chí Minh, a millisecond before midnight is the day before', '2026-11-25T16:59:59.999Z', 'Asia/Ho_Chi_Minh', '2026-11-24T17:00:00Z', 24],
    // Europe/Paris: UTC+1, UTC+2 in summer
    ['Paris in winter', '2026-01-15T12:00:00Z', 'Europe/Paris', '2026-01-14T23:00:00Z', 24],
    ['Paris in summer, 23:30 local', '2026-07-01T21:30:00Z', 'Europe/Paris', '2026-06-30T22:00:00Z', 24],
    ['Paris in summer, 00:30 local the next day', '2026-07-01T22:30:00Z', 'Europe/Paris', '2026-07-01T22:00:00Z', 24],
    ['Paris, the spring day that loses an hour', '2026-03-29T12:00:00Z', 'Europe/Paris', '2026-03-28T23:00:00Z', 23],
    ['Paris, the autumn day that gains an hour', '2026-10-25T12:00:00Z', 'Europe/Paris', '2026-10-24T22:00:00Z', 25],
    // Chile moves its clocks at midnight: on 6 September 00:00 never happens, the day starts at 01:00
    ['Santiago, a day whose midnight is skipped', '2026-09-06T12:00:00Z', 'America/Santiago', '2026-09-06T04:00:00Z', 23],
    ['Kathmandu, a quarter-hour offset', '2026-11-26T12:00:00Z', 'Asia/Kathmandu', '2026-11-25T18:15:00Z', 24],
  ])('%s', (_name, at, timeZone, from, hours) => {
    const day = localDay(Date.parse(at), timeZone);
    expect(iso(day.from)).toBe(from);
    expect((day.to - day.from) / 3_600_000).toBe(hours);
    expect(localMidnight(day.to - 1, timeZone)).toBe(day.from);
  });
});

describe('minuteOfDay', () => {
  it.each([
    ['Hồ Chí Minh 23:59', '2026-12-05T16:59:30Z', 'Asia/Ho_Chi_Minh', 23 * 60 + 59],
    ['Hồ Chí Minh midnight', '2026-12-05T17:00:00Z', 'Asia/Ho_Chi_Minh', 0],
    ['Paris in summer, 02:30 local', '2026-07-01T00:30:00Z', 'Europe/Paris', 150],
  ])('%s', (_name, at, timeZone, want) => {
    expect(minuteOfDay(Date.parse(at), timeZone)).toBe(want);
  });
});

describe('localIso', () => {
  it.each([
    ['Hồ Chí Minh, afternoon', '2026-11-26T07:03:12.000Z', 'Asia/Ho_Chi_Minh', '2026-11-26T14:03:12.000+07:00'],
    ['Hồ Chí Minh, a UTC evening that is already tomorrow there', '2026-11-26T20:30:00.250Z', 'Asia/Ho_Chi_Minh', '2026-11-27T03:30:00.250+07:00'],
    ['UTC itself', '2026-11-26T07:03:12.000Z', 'UTC', '2026-11-26T07:03:12.000+00:00'],
    ['Kolkata, a half-hour offset', '2026-11-26T07:03:12.000Z', 'Asia/Kolkata', '2026-11-26T12:33:12.000+05:30'],
    ["St John's, a negative half-hour offset", '2026-01-15T12:00:00.000Z', 'America/St_Johns', '2026-01-15T08:30:00.000-03:30'],
    ['New York in summer', '2026-07-01T12:00:00.000Z', 'America/New_York', '2026-07-01T08:00:00.000-04:00'],
  ])('%s', (_name, at, timeZone, want) => {
    expect(localIso(Date.parse(at), timeZone)).toBe(want);
    expect(Date.parse(want)).toBe(Date.parse(at)); // the same instant, read back
  });

  it.each([
    [7 * H, '+07:00'],
    [0, '+00:00'],
    [-3.5 * H, '-03:30'],
    [5.75 * H, '+05:45'],
    [7 * H + 6 * 60_000 + 40_000, '+07:06:40'], // Saigon's mean time before 1906
  ])('writes the offset %d ms as %s', (ms, want) => {
    expect(offsetText(ms)).toBe(want);
  });
});
