// The local day of a moment in an IANA time zone: when it started and when it ends, in ms. Pure.

const HOUR_MS = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `ms` in `timeZone`, read as if it were UTC (so `wallClock(ms) - ms` is the zone's offset then). */
function wallClock(ms: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (((ms % 1000) + 1000) % 1000);
}

/**
 * The first moment of the local day holding `ms`. Where clocks go back at midnight that is the first of the two
 * midnights; where they jump over midnight (Chile, some years elsewhere), the jump itself.
 */
export function localMidnight(ms: number, timeZone: string): number {
  const wall = wallClock(ms, timeZone);
  const midnight = wall - (((wall % 86_400_000) + 86_400_000) % 86_400_000); // local midnight, on the wall clock
  // the zone's offsets a day either side cover any change of offset near that midnight
  const before = wallClock(midnight - 86_400_000, timeZone) - (midnight - 86_400_000);
  const after = wallClock(midnight + 86_400_000, timeZone) - (midnight + 86_400_000);
  const candidates = [midnight - before, midnight - after].filter((t) => wallClock(t, timeZone) === midnight);
  if (candidates.length > 0) return Math.min(...candidates);
  // midnight does not exist that day: the day begins when the clocks jump, where the old offset reads midnight
  return midnight - before;
}

/** The local day holding `ms`: [from, to) in ms (23, 24 or 25 hours long). */
export function localDay(ms: number, timeZone: string): { from: number; to: number } {
  const from = localMidnight(ms, timeZone);
  // a day is at most 25 hours: 30 hours on is inside the next one
  return { from, to: localMidnight(from + 30 * HOUR_MS, timeZone) };
}
