// Indicators as CSV for a spreadsheet (pure): one row per bucket and split, the bucket's start in UTC and in the
// district's local time with its offset.
import { offsetAt } from '../../shared/local-time.js';
import type { Dimension, IndicatorRow } from './query.js';

const cell = (v: string | number) => {
  const s = String(v);
  // a cell a spreadsheet would run as a formula is quoted as text
  return /[",\n\r]|^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** `2026-12-06 11:15 +07:00` */
export function localStamp(t: number, timeZone: string): string {
  const offset = offsetAt(t, timeZone);
  const local = new Date(t + offset).toISOString();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset) / 60_000;
  return `${local.slice(0, 10)} ${local.slice(11, 16)} ${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function indicatorCsv(rows: readonly IndicatorRow[], by: readonly Dimension[], timeZone: string): string {
  const lines = [['start_utc', 'start_local', ...by, 'n'].join(',')];
  for (const r of rows) lines.push([new Date(r.at).toISOString(), localStamp(r.at, timeZone), ...by.map((d) => r[d] ?? ''), r.n].map(cell).join(','));
  return lines.join('\r\n') + '\r\n';
}
