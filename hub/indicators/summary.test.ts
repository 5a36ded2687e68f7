import { describe, expect, it } from 'vitest';
import { busiestHour, nowAgainstUsual, peakHourOfDay, usualWindows } from './summary.js';

const HCM = 'Asia/Ho_Chi_Minh';
const HOUR = 3_600_000;
// local midnight of 2026-12-01 in Hồ Chí Minh City
const D0 = Date.parse('2026-11-30T17:00:00Z');
const h = (day: number, hour: number, n: number) => ({ at: D0 + day * 24 * HOUR + hour * HOUR, n });

describe('busiestHour', () => {
  it.each([
    ['none', [], null],
    ['one', [h(0, 7, 10)], h(0, 7, 10)],
    ['the first of equals', [h(0, 7, 10), h(0, 8, 30), h(0, 17, 30)], h(0, 8, 30)],
  ])('%s', (_name, hours, expected) => {
    expect(busiestHour(hours)).toEqual(expected);
  });
});

describe('peakHourOfDay', () => {
  it.each([
    ['nothing counted', [h(0, 7, 0)], null],
    ['the morning rush on both days', [h(0, 7, 100), h(0, 17, 80), h(1, 7, 120), h(1, 17, 90)], { hour: 7, perHour: 110, days: 2 }],
    ['an hour seen once is averaged over once', [h(0, 7, 100), h(1, 7, 100), h(1, 17, 150)], { hour: 17, perHour: 150, days: 1 }],
  ])('%s', (_name, hours, expected) => {
    expect(peakHourOfDay(hours, HCM)).toEqual(expected);
  });
});

describe('usualWindows', () => {
  it('is the hour before the same instant 1 to 4 weeks back', () => {
    const to = D0 + 9 * HOUR;
    const w = usualWindows(to);
    expect(w).toHaveLength(4);
    expect(w[0]).toEqual({ from: to - 7 * 24 * HOUR - HOUR, to: to - 7 * 24 * HOUR });
    expect(w[3]!.to).toBe(to - 28 * 24 * HOUR);
  });
});

describe('nowAgainstUsual', () => {
  it.each([
    ['no past', 50, [], { usual: null, weeks: 0, ratio: null }],
    ['four watched weeks', 150, [{ n: 100, watchedMinutes: 60 }, { n: 100, watchedMinutes: 60 }, { n: 80, watchedMinutes: 60 }, { n: 120, watchedMinutes: 60 }], { usual: 100, weeks: 4, ratio: 1.5 }],
    ['a week the camera was off is left out', 50, [{ n: 100, watchedMinutes: 60 }, { n: 0, watchedMinutes: 0 }], { usual: 100, weeks: 1, ratio: 0.5 }],
    ['a usual of zero has no ratio', 5, [{ n: 0, watchedMinutes: 60 }], { usual: 0, weeks: 1, ratio: null }],
  ])('%s', (_name, now, past, expected) => {
    expect(nowAgainstUsual(now, past)).toEqual(expected);
  });
});
