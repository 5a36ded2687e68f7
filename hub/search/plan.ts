// How a sighting search reads the index (pure): which index walks which rows, and the SQL of each walk.
//
// A search is a union of "streams": each is one range of one index with its leading columns pinned (one camera,
// or one label and colour), read in time order from the cursor on, so each stops after a page. The pages are
// merged in time order (merge.ts). The filters that the covering indexes hold (label, colour, camera, heading) are
// checked in the index; zone and dwell need the row. Which index serves which filter is chosen here, and the SQL
// text depends only on the filter's shape (values are parameters), so statements are prepared once per shape.
import { COLOURS, LABELS, type Colour, type Label } from '../../shared/contract/index.js';
import type { Sql } from '../../shared/sql/sql.js';
import { indexedBy, joinLeftFirst } from '../store/planner-hints.js';
import type { CameraRef } from './radius.js';

export interface SearchFilter {
  /** first seen ≥ from (ms); with a line: crossed at ≥ from */
  from: number;
  /** first seen < to (ms); with a line: crossed at < to */
  to: number;
  /** where; absent: every camera */
  cameras?: CameraRef[] | undefined;
  labels?: Label[] | undefined;
  colours?: Colour[] | undefined;
  /** heading in the picture, degrees clockwise from up: from → to clockwise (so 315 → 45 is "up", ±45°) */
  heading?: { from: number; to: number } | undefined;
  /** with exactly one camera: sightings that crossed this counting line (then from/to are the crossing time) */
  line?: { line: string; direction?: 'forward' | 'backward' | undefined } | undefined;
  /** sightings that were in this zone */
  zone?: string | undefined;
  /** seconds: in the zone at least this long (with zone), or in view at least this long (without) */
  minDwell?: number | undefined;
}

export type Order = 'desc' | 'asc';

export type Driver = 'line' | 'place' | 'kind' | 'time';

/** One index range: its pinned values, as SQL parameters. */
export type StreamKey = { ward: string; camera: string } | { label: string; colour: string | null } | Record<string, never>;

export interface Plan {
  driver: Driver;
  streams: StreamKey[];
}

/** The longest window one search may cover: a district's day is ~5 million sightings. */
export const MAX_WINDOW_HOURS = 24;
/** "near": at most this many metres around a camera (a district is a few kilometres across). */
export const MAX_RADIUS_M = 5000;
export const DEFAULT_RADIUS_M = 500;

/** The labels that may have a colour (people never do). */
export const VEHICLE_LABELS = LABELS.filter((l) => l !== 'person');

/** A place with more cameras than this is read by kind (or by time), the cameras then checked in the index. */
export const MAX_PLACE_STREAMS = 64;
/** More (label, colour) pairs than this and the time index is walked instead. */
export const MAX_KIND_STREAMS = 66;

/** The (label, colour) pairs a kind search walks; undefined when the filter names neither labels nor colours. */
export function kindPairs(f: Pick<SearchFilter, 'labels' | 'colours'>): { label: string; colour: string | null }[] | undefined {
  if (!f.labels?.length && !f.colours?.length) return undefined;
  // a colour asked for leaves people out (they never have one)
  const labels = f.labels?.length ? f.labels : VEHICLE_LABELS;
  const colours: (string | null)[] = f.colours?.length ? f.colours : [...COLOURS, null];
  const pairs: { label: string; colour: string | null }[] = [];
  for (const label of labels) {
    // people: no colour in any sighting, so only the null stream can hold them
    const theirs = label === 'person' ? colours.filter((c) => c === null) : colours;
    for (const colour of theirs) pairs.push({ label, colour });
  }
  return pairs;
}

/**
 * `prefer`: which of place and kind reads fewer index entries, when both could serve (search.ts estimates it on a
 * slice of the window); without it a place is read by place.
 */
export function searchPlan(f: SearchFilter, prefer?: 'place' | 'kind'): Plan {
  if (f.line !== undefined) {
    const c = f.cameras?.[0];
    if (!c || f.cameras!.length !== 1) throw new Error('a line search needs exactly one camera');
    return { driver: 'line', streams: [{ ward: c.ward, camera: c.camera }] };
  }
  const pairs = kindPairs(f);
  const byKind = pairs !== undefined && pairs.length <= MAX_KIND_STREAMS;
  if (f.cameras !== undefined && f.cameras.length <= MAX_PLACE_STREAMS && !(byKind && prefer === 'kind')) return { driver: 'place', streams: f.cameras.map((c) => ({ ward: c.ward, camera: c.camera })) };
  if (byKind) return { driver: 'kind', streams: pairs };
  return { driver: 'time', streams: [{}] };
}

/**
 * Every column but the thumbnail, whose bytes stay on their overflow pages: the list says only whether there is one
 * (0 or 1 on both engines: PostgreSQL's `IS NOT NULL` is a boolean).
 */
export const SIGHTING_COLUMNS =
  's.id, s.ward, s.camera, s.label, s.first, s.last, s.score, s.box, s.best_at, s.heading, s.lines, s.zones, s.colour, s.riders, s.final, CASE WHEN s.thumbnail IS NULL THEN 0 ELSE 1 END AS has_thumbnail';

/** What each `?` of a stream's statements stands for; search.ts gives the values in this order. */
export type StreamParam =
  | 'from' | 'to' | 'ward' | 'camera' | 'label' | 'colour' | 'labels' | 'colours' | 'cameras' | 'headingFrom' | 'headingTo'
  | 'line' | 'direction' | 'zone' | 'minDwell' | 'cursorTime' | 'cursorId' | 'limit' | 'cap';

/**
 * `column` is the colour parameter, which may be NULL (people; vehicles without a colour). SQLite's IS does it; on
 * PostgreSQL, whose IS takes no value and whose IS NOT DISTINCT FROM reads no index, an OR that its planner folds,
 * once it has the value, into `= 'red'` or `IS NULL`, both read from sightings_kind. Its `?`: colourParams.
 */
export function colourIs(dialect: Sql['dialect'], column: string): string {
  return dialect === 'sqlite' ? `${column} IS ?` : `(${column} = ? OR (${column} IS NULL AND CAST(? AS TEXT) IS NULL))`;
}

/** The values of colourIs's `?`: the colour once on SQLite, twice on PostgreSQL. */
export function colourParams<T>(dialect: Sql['dialect'], colour: T): T[] {
  return dialect === 'sqlite' ? [colour] : [colour, colour];
}

export interface StreamSql {
  /** a page: rows after the cursor (if any), in order, at most `limit` */
  page: string;
  /** what the page's `?` stand for, in order */
  pageParams: readonly StreamParam[];
  /** how many rows match, counted up to `cap` (from the index alone unless zone or dwell is asked) */
  count: string;
  countParams: readonly StreamParam[];
  /** the column the order and the cursor are on */
  time: 'first' | 'at';
}

/**
 * The SQL of one stream for a filter shape, in the SQL both engines take, but for what only one has: SQLite's planner
 * hints (planner-hints.ts), and reading a JSON array (`json_each` in SQLite, `json_array_elements` in PostgreSQL,
 * whose `->>` gives text, so a number is cast). Parameters (`?`, named in pageParams / countParams): from, to, the
 * stream's key (ward, camera or label, colour), labels, colours, cameras (JSON arrays), headingFrom, headingTo, line,
 * direction, zone, minDwell, cursorTime, cursorId, limit, cap.
 */
export function streamSql(f: SearchFilter, driver: Driver, order: Order, hasCursor: boolean, dialect: Sql['dialect'] = 'sqlite'): StreamSql {
  const where: string[] = [];
  const names: StreamParam[] = [];
  const add = (clause: string, ...params: StreamParam[]) => {
    where.push(clause);
    names.push(...params);
  };
  const sqlite = dialect === 'sqlite';
  // the values of a JSON array parameter, as a subquery
  const elements = sqlite ? 'SELECT value FROM json_each(?)' : 'SELECT json_array_elements_text(CAST(? AS json))';
  let from: string;
  let time: string;
  let id: string;
  let columns = SIGHTING_COLUMNS;
  switch (driver) {
    case 'line':
      // the crossing drives; CROSS JOIN keeps it outside, each sighting is then found by its id
      from = `sighting_lines l ${joinLeftFirst(dialect)} sightings s ON s.id = l.id`;
      time = 'l.at';
      id = 'l.id';
      columns += ', l.at AS crossed_at, l.direction AS crossed_direction';
      add('l.ward = ?', 'ward');
      add('l.camera = ?', 'camera');
      add('l.line = ?', 'line');
      if (f.line?.direction !== undefined) add('l.direction = ?', 'direction');
      break;
    case 'place':
      from = `sightings s${indexedBy(dialect, 'sightings_place')}`;
      time = 's.first';
      id = 's.id';
      add('s.ward = ?', 'ward');
      add('s.camera = ?', 'camera');
      break;
    case 'kind':
      from = `sightings s${indexedBy(dialect, 'sightings_kind')}`;
      time = 's.first';
      id = 's.id';
      add('s.label = ?', 'label');
      add(colourIs(dialect, 's.colour'), ...colourParams<StreamParam>(dialect, 'colour'));
      break;
    case 'time':
      from = `sightings s${indexedBy(dialect, 'sightings_first')}`;
      time = 's.first';
      id = 's.id';
      break;
  }
  add(`${time} >= ?`, 'from');
  add(`${time} < ?`, 'to');
  // the filters the driver does not pin, checked in the covering index where it holds them
  if (driver !== 'place' && driver !== 'line' && f.cameras !== undefined) add(`s.ward || '/' || s.camera IN (${elements})`, 'cameras');
  if (driver !== 'kind') {
    if (f.labels?.length) add(`s.label IN (${elements})`, 'labels');
    if (f.colours?.length) add(`s.colour IN (${elements})`, 'colours');
  }
  if (f.heading !== undefined) {
    // clockwise from → to; a range through north wraps
    add(f.heading.from <= f.heading.to ? 's.heading BETWEEN ? AND ?' : '(s.heading >= ? OR s.heading <= ?)', 'headingFrom', 'headingTo');
  }
  if (f.zone !== undefined) {
    const zones = sqlite ? 'json_each(s.zones) z' : 'json_array_elements(CAST(s.zones AS json)) AS z(value)';
    const seconds = sqlite ? "z.value ->> 'seconds'" : "CAST(z.value ->> 'seconds' AS DOUBLE PRECISION)";
    if (f.minDwell !== undefined) add(`EXISTS (SELECT 1 FROM ${zones} WHERE z.value ->> 'zone' = ? AND ${seconds} >= ?)`, 'zone', 'minDwell');
    else add(`EXISTS (SELECT 1 FROM ${zones} WHERE z.value ->> 'zone' = ?)`, 'zone');
  } else if (f.minDwell !== undefined) add('s.last - s.first >= ? * 1000', 'minDwell');
  const countWhere = where.join(' AND ');
  const countParams: StreamParam[] = [...names, 'cap'];
  if (hasCursor) add(`(${time}, ${id}) ${order === 'desc' ? '<' : '>'} (?, ?)`, 'cursorTime', 'cursorId');
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  return {
    page: `SELECT ${columns} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${time} ${dir}, ${id} ${dir} LIMIT ?`,
    pageParams: [...names, 'limit'],
    // PostgreSQL wants a name for a subquery in FROM
    count: `SELECT count(*) AS n FROM (SELECT 1 FROM ${from} WHERE ${countWhere} LIMIT ?) AS matched`,
    countParams,
    time: driver === 'line' ? 'at' : 'first',
  };
}
