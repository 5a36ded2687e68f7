// Wall-clock time in a named time zone: the hub's count buckets, the review page's "today", alert rules' hours,
// an export's local times (pure: Intl only, no I/O). A "local" time here is the wall-clock reading written as if
// it were UTC ms, so that whole local hours and days are plain multiples of 3 600 000 and 86 400 000.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether this machine knows the IANA time zone (e.g. Asia/Ho_Chi_Minh). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The time zone of the machine the hub runs on (TZ, or /etc/localtime). */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Milliseconds to add to the UTC instant `t` to get the local wall-clock time in `timeZone` (+7 h in Hồ Chí Minh City). */
export function offsetAt(t: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - (t - (((t % 1000) + 1000) % 1000));
}

/** The UTC instant of a local wall-clock time; a time skipped by a change to summer time gives the instant after the gap. */
export function localToUtc(local: number, timeZone: string): number {
  const guess = local - offsetAt(local, timeZone);
  return local - offsetAt(guess, timeZone);
}

export interface OffsetSpan {
  from: number;
  to: number;
  /** offsetAt for every instant in [from, to) */
  offset: number;
}

const DAY = 86_400_000;
const MINUTE = 60_000;

/** The first whole minute in (a, b] whose offset differs from `offset`, where a has it and b does not. */
function changeAt(a: number, b: number, offset: number, timeZone: string): number {
  let lo = Math.floor(a / MINUTE);
  let hi = Math.ceil(b / MINUTE);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(mid * MINUTE, timeZone) === offset) lo = mid;
    else hi = mid;
  }
  return hi * MINUTE;
}

/**
 * [from, to) cut where the zone's UTC offset changes: a day at a time, then a binary search to the minute where it
 * moved (zones change it at most a few times a year, never twice within a day).
 */
export function offsetSpans(from: number, to: number, timeZone: string): OffsetSpan[] {
  const spans: OffsetSpan[] = [];
  let start = from;
  let offset = offsetAt(from, timeZone);
  for (let t = from; t < to; ) {
    const next = Math.min(t + DAY, to - 1);
    if (next <= t) break;
    if (offsetAt(next, timeZone) === offset) {
      t = next;
      continue;
    }
    const change = Math.min(changeAt(t, next, offset, timeZone), to);
    if (change > start) spans.push({ from: start, to: change, offset });
    start = change;
    offset = offsetAt(change, timeZone);
    t = change;
  }
  spans.push({ from: start, to, offset });
  return spans;
}

/** Minutes since local midnight at `t` (0–1439): what an alert rule's hours are compared with. */
export function minuteOfDay(t: number, timeZone: string): number {
  const local = t + offsetAt(t, timeZone);
  return Math.floor((((local % DAY) + DAY) % DAY) / MINUTE);
}

/**
 * The first moment of the local day holding `ms`. Where clocks go back at midnight that is the first of the two
 * midnights; where they jump over midnight (Chile, some years elsewhere), the jump itself.
 */
export function localMidnight(ms: number, timeZone: string): number {
  const wall = ms + offsetAt(ms, timeZone);
  const midnight = wall - (((wall % DAY) + DAY) % DAY); // local midnight, on the wall clock
  // the zone's offsets a day either side cover any change of offset near that midnight
  const before = offsetAt(midnight - DAY, timeZone);
  const after = offsetAt(midnight + DAY, timeZone);
  const candidates = [midnight - before, midnight - after].filter((t) => t + offsetAt(t, timeZone) === midnight);
  if (candidates.length > 0) return Math.min(...candidates);
  // midnight does not exist that day: the day begins when the clocks jump, where the old offset reads midnight
  return midnight - before;
}

/** The local day holding `ms`: [from, to) in ms (23, 24 or 25 hours long). */
export function localDay(ms: number, timeZone: string): { from: number; to: number } {
  const from = localMidnight(ms, timeZone);
  // a day is at most 25 hours: 30 hours on is inside the next one
  return { from, to: localMidnight(from + 30 * 3_600_000, timeZone) };
}

/** A UTC offset as ISO 8601 writes it: `+07:00`, `-03:30`, `+00:00` (seconds only for the odd historic offset). */
export function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? '-' : '+';
  const s = Math.round(Math.abs(offsetMs) / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const hm = `${sign}${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}`;
  return s % 60 ? `${hm}:${pad(s % 60)}` : hm;
}

/**
 * The instant `t` as ISO 8601 local time with its offset, e.g. `2026-11-26T14:03:12.000+07:00`: what an exported
 * manifest shows beside the UTC time, so a reader needs no zone table to see the clock on the wall.
 */
export function localIso(t: number, timeZone: string): string {
  const offset = offsetAt(t, timeZone);
  return `${new Date(t + offset).toISOString().slice(0, 23)}${offsetText(offset)}`;
}
