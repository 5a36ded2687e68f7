import { describe, expect, it } from 'vitest';
import { localDay, localMidnight } from './local-day.js';

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
