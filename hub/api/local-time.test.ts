import { describe, expect, it } from 'vitest';
import { isTimeZone, localToUtc, offsetAt, offsetSpans } from './local-time.js';

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
