import { describe, expect, it } from 'vitest';
import { indicatorCsv, localStamp } from './csv.js';

const T = Date.parse('2026-12-06T04:15:00Z');

describe('localStamp', () => {
  it.each([
    ['Asia/Ho_Chi_Minh', '2026-12-06 11:15 +07:00'],
    ['Asia/Kathmandu', '2026-12-06 10:00 +05:45'],
    ['America/New_York', '2026-12-05 23:15 -05:00'],
  ])('%s', (zone, expected) => {
    expect(localStamp(T, zone)).toBe(expected);
  });
});

describe('indicatorCsv', () => {
  it('writes a header, one row per bucket and split, CRLF', () => {
    const csv = indicatorCsv([{ at: T, ward: 'p07', label: 'car', n: 12 }, { at: T, ward: 'p08', label: 'bus', n: 1 }], ['ward', 'label'], 'Asia/Ho_Chi_Minh');
    expect(csv).toBe('start_utc,start_local,ward,label,n\r\n2026-12-06T04:15:00.000Z,2026-12-06 11:15 +07:00,p07,car,12\r\n2026-12-06T04:15:00.000Z,2026-12-06 11:15 +07:00,p08,bus,1\r\n');
  });

  it('quotes what a spreadsheet would run as a formula', () => {
    expect(indicatorCsv([{ at: T, line: '=cmd', n: 1 }], ['line'], 'UTC').split('\r\n')[1]).toBe('2026-12-06T04:15:00.000Z,2026-12-06 04:15 +00:00,"=cmd",1');
  });
});
