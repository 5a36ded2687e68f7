// The pages' zone-time helpers (a classic browser script) run here in a bare context: they must read and write
// times exactly as shared/local-time.ts does, whatever zone the machine (or the browser) is in.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { localToUtc, offsetAt, offsetText } from '../local-time.js';
import { packageRoot } from '../package.js';

interface ZoneTime {
  offsetAt(ms: number, timeZone: string): number;
  offsetText(offsetMs: number): string;
  time(ms: number, timeZone: string, withOffset?: boolean): string;
  dateTime(ms: number, timeZone: string): string;
  inputValue(ms: number, timeZone: string): string;
  fromInput(value: string, timeZone: string): number;
  skew(ms: number, lang: string): string;
}

function loadZoneTime(): ZoneTime {
  const window: { ZoneTime?: ZoneTime } = {};
  runInNewContext(readFileSync(path.join(packageRoot(), 'shared/page/zone-time.js'), 'utf8'), { window, Intl, Date, Number, String, Math, Map });
  return window.ZoneTime!;
}

const zt = loadZoneTime();
const HCM = 'Asia/Ho_Chi_Minh';

describe('the pages\' zone time', () => {
  it.each([
    ['an afternoon in Hồ Chí Minh City', '2026-11-26T07:03:12.400Z', HCM, '14:03:12 +07:00', '26/11/2026 14:03:12 +07:00', '2026-11-26T14:03:12'],
    ['a UTC evening that is already tomorrow there', '2026-11-26T20:30:00Z', HCM, '03:30:00 +07:00', '27/11/2026 03:30:00 +07:00', '2026-11-27T03:30:00'],
    ['Kolkata, half an hour', '2026-11-26T07:03:12Z', 'Asia/Kolkata', '12:33:12 +05:30', '26/11/2026 12:33:12 +05:30', '2026-11-26T12:33:12'],
    ['New York in summer', '2026-07-01T12:00:00Z', 'America/New_York', '08:00:00 -04:00', '01/07/2026 08:00:00 -04:00', '2026-07-01T08:00:00'],
  ])('shows %s with its offset', (_name, at, timeZone, time, dateTime, input) => {
    const ms = Date.parse(at);
    expect(zt.time(ms, timeZone)).toBe(time);
    expect(zt.time(ms, timeZone, false)).toBe(time.slice(0, 8));
    expect(zt.dateTime(ms, timeZone)).toBe(dateTime);
    expect(zt.inputValue(ms, timeZone)).toBe(input);
    expect(zt.fromInput(input, timeZone)).toBe(Math.floor(ms / 1000) * 1000); // what a box shows, read back
  });

  it.each([
    ['a day in Hồ Chí Minh City starts at 17:00 UTC the day before', '2026-11-26', HCM, '2026-11-25T17:00:00.000Z'],
    ['a minute there', '2026-11-26T14:03', HCM, '2026-11-26T07:03:00.000Z'],
    ['a time box after a date', '2026-11-26 14:03:12', HCM, '2026-11-26T07:03:12.000Z'],
    ['Berlin, a time skipped by summer time: the instant after the gap', '2026-03-29T02:30', 'Europe/Berlin', '2026-03-29T01:30:00.000Z'],
  ])('reads %s', (_name, value, timeZone, want) => {
    expect(new Date(zt.fromInput(value, timeZone)).toISOString()).toBe(want);
  });

  it.each([
    [3210, 'en', '+3.2 s'],
    [3210, 'vi', '+3,2 s'],
    [-400, 'en', '−0.4 s'],
    [0, 'en', '+0.0 s'],
  ])('writes a clock skew of %d ms in %s as %s', (ms, lang, want) => {
    expect(zt.skew(ms, lang)).toBe(want);
  });

  it.each(['', 'yesterday', '26/11/2026', '2026-11-26T14'])('reads %j as no time', (value) => {
    expect(zt.fromInput(value, HCM)).toBeNaN();
  });

  it('agrees with shared/local-time.ts on offsets and wall clocks through a year of four zones', () => {
    for (const timeZone of [HCM, 'Europe/Berlin', 'America/St_Johns', 'Australia/Lord_Howe']) {
      for (let ms = Date.UTC(2026, 0, 1, 0, 17); ms < Date.UTC(2027, 0, 1); ms += 7 * 3_600_000 + 13 * 60_000) {
        expect(zt.offsetAt(ms, timeZone)).toBe(offsetAt(ms, timeZone));
        expect(zt.offsetText(zt.offsetAt(ms, timeZone))).toBe(offsetText(offsetAt(ms, timeZone)));
        const wall = Math.floor((ms + offsetAt(ms, timeZone)) / 1000) * 1000;
        expect(zt.fromInput(new Date(wall).toISOString().slice(0, 19), timeZone)).toBe(localToUtc(wall, timeZone));
      }
    }
  });
});
