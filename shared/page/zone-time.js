// Times on both pages in the box's or the district's time zone (edge.yaml / hub.yaml `timeZone`), always with their
// UTC offset, whatever zone the viewer's browser is set to; the pages' date and time boxes read in that zone; and how
// far a camera's clock is off the box's.
// A classic script, like mse-appender.js: the review page's classic scripts and the hub's modules both find it as
// `window.ZoneTime`. The arithmetic is shared/local-time.ts's (offsetAt, localToUtc), which a page cannot import:
// the pages are served as they are, without a build.
window.ZoneTime = (() => {
  const formatters = new Map();
  const pad = (n) => String(n).padStart(2, '0');

  function formatter(timeZone) {
    let f = formatters.get(timeZone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
      formatters.set(timeZone, f);
    }
    return f;
  }

  /** The wall clock in `timeZone` at the instant `ms`: { year, month (1–12), day, hour, minute, second }. */
  function wall(ms, timeZone) {
    const p = {};
    for (const part of formatter(timeZone).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return p;
  }

  /** Milliseconds to add to the UTC instant `ms` for the wall clock of `timeZone` (+7 h in Hồ Chí Minh City). */
  function offsetAt(ms, timeZone) {
    const p = wall(ms, timeZone);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - (ms - (((ms % 1000) + 1000) % 1000));
  }

  /** `+07:00`, `-03:30` */
  function offsetText(offsetMs) {
    const s = Math.round(Math.abs(offsetMs) / 1000);
    return `${offsetMs < 0 ? '-' : '+'}${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}`;
  }

  /** `14:03:12 +07:00`; without the offset (`14:03:12`) where a heading already says it. */
  function time(ms, timeZone, withOffset = true) {
    const p = wall(ms, timeZone);
    const hms = `${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
    return withOffset ? `${hms} ${offsetText(offsetAt(ms, timeZone))}` : hms;
  }

  /** `26/11/2026 14:03:12 +07:00` (day first, as both Vietnamese and British English write it). */
  function dateTime(ms, timeZone) {
    const p = wall(ms, timeZone);
    return `${pad(p.day)}/${pad(p.month)}/${p.year} ${time(ms, timeZone)}`;
  }

  /** `2026-11-26T14:03:12`, the value of an <input type=datetime-local step=1> (its first 10 characters: type=date). */
  function inputValue(ms, timeZone) {
    const p = wall(ms, timeZone);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
  }

  /**
   * The instant of a wall-clock reading in `timeZone`, as date and time boxes give it (`2026-11-26`,
   * `2026-11-26T14:03`, `2026-11-26T14:03:12`, optionally `T`-less with a time box's `14:03:12` after a space); NaN
   * when it is not one. A time skipped by a change to summer time gives the instant after the gap.
   */
  function fromInput(value, timeZone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(String(value).trim());
    if (!m) return NaN;
    const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
    const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    const guess = local - offsetAt(local, timeZone);
    return local - offsetAt(guess, timeZone);
  }

  /** A clock skew: `+3.2 s`, `−0.4 s`; Vietnamese (`lang` vi) writes a decimal comma: `+3,2 s`. */
  function skew(ms, lang) {
    const s = `${ms < 0 ? '−' : '+'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
    return lang === 'vi' ? s.replace('.', ',') : s;
  }

  return { offsetAt, offsetText, time, dateTime, inputValue, fromInput, skew };
})();
