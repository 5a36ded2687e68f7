// The sightings search: filters and keyset paging over the index, newest first, without the thumbnails.
//
// Paging is by (first, id) descending, or by (at, id) of the line crossing when a line is asked for, as the
// incident list pages by (start, id): a row that arrives between two pages lands above the cursor or below it,
// never in both. The driving index is chosen here (INDEXED BY), for the reason incident-query.ts gives.
import type { Db } from '../../shared/db.js';
import type { Cursor } from './cursor.js';

export interface SightingFilter {
  ward?: string | undefined;
  /** with ward */
  camera?: string | undefined;
  label?: string | undefined;
  colour?: string | undefined;
  /** with camera: sightings that crossed this line; from/to then apply to the crossing time */
  line?: string | undefined;
  /** with line */
  direction?: 'forward' | 'backward' | undefined;
  /** first ≥ from (ms); with line: crossed at ≥ from */
  from?: number | undefined;
  /** first < to (ms); with line: crossed at < to */
  to?: number | undefined;
}

export interface SightingRow {
  id: string;
  ward: string;
  camera: string;
  label: string;
  first: number;
  last: number;
  score: number;
  box: string;
  best_at: number;
  heading: number | null;
  lines: string;
  zones: string;
  colour: string | null;
  riders: number | null;
  final: number;
  has_thumbnail: number;
  /** set when the search is by line: the crossing that matched */
  crossed_at?: number;
  crossed_direction?: 'forward' | 'backward';
}

export interface SightingPage {
  rows: SightingRow[];
  next: Cursor | null;
}

export type SightingDriver = 'line' | 'camera' | 'colour' | 'label' | 'first';

const DRIVER_INDEX: Record<Exclude<SightingDriver, 'line'>, string> = {
  camera: 'sightings_camera_first',
  colour: 'sightings_colour_first',
  label: 'sightings_label_first',
  first: 'sightings_first',
};

/** The index that walks the rows for a filter shape: the one whose leading columns the filter pins down. */
export function sightingDriver(f: SightingFilter): SightingDriver {
  if (f.line !== undefined) return 'line';
  if (f.ward !== undefined && f.camera !== undefined) return 'camera';
  // colours are fewer per row than labels (people have none), so a colour narrows more
  if (f.colour !== undefined) return 'colour';
  if (f.label !== undefined) return 'label';
  return 'first';
}

/** Every column but the thumbnail, whose bytes stay on their overflow pages: the list says only whether there is one. */
const COLUMNS = 's.id, s.ward, s.camera, s.label, s.first, s.last, s.score, s.box, s.best_at, s.heading, s.lines, s.zones, s.colour, s.riders, s.final, s.thumbnail IS NOT NULL AS has_thumbnail';

/** The SQL text for a filter shape (values are always parameters; only the shape picks the text). */
export function sightingSql(f: SightingFilter, hasCursor: boolean): { sql: string; driver: SightingDriver } {
  const driver = sightingDriver(f);
  const where: string[] = [];
  let from: string;
  let time: string;
  let columns = COLUMNS;
  if (driver === 'line') {
    // the crossing drives; CROSS JOIN keeps it outside, each sighting is then found by its id
    from = 'sighting_lines l CROSS JOIN sightings s ON s.id = l.id';
    time = 'l.at';
    columns += ', l.at AS crossed_at, l.direction AS crossed_direction';
    where.push('l.ward = @ward', 'l.camera = @camera', 'l.line = @line');
    if (f.direction !== undefined) where.push('l.direction = @direction');
  } else {
    from = `sightings s INDEXED BY ${DRIVER_INDEX[driver]}`;
    time = 's.first';
    if (f.ward !== undefined) where.push('s.ward = @ward');
    if (f.camera !== undefined) where.push('s.camera = @camera');
  }
  if (f.label !== undefined) where.push('s.label = @label');
  if (f.colour !== undefined) where.push('s.colour = @colour');
  if (f.from !== undefined) where.push(`${time} >= @from`);
  if (f.to !== undefined) where.push(`${time} < @to`);
  const id = driver === 'line' ? 'l.id' : 's.id';
  if (hasCursor) where.push(`(${time}, ${id}) < (@cursorTime, @cursorId)`);
  const sql = `SELECT ${columns} FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${time} DESC, ${id} DESC LIMIT @limit`;
  return { sql, driver };
}

export const MAX_SIGHTING_PAGE = 200;

export type SightingQuery = (filter: SightingFilter, page: { limit: number; after?: Cursor | undefined }) => SightingPage;

/** Prepared statements are cached per filter shape. */
export function createSightingQuery(db: Db): SightingQuery {
  const cache = new Map<string, ReturnType<Db['prepare']>>();
  return (filter, page) => {
    const limit = Math.min(Math.max(1, Math.floor(page.limit)), MAX_SIGHTING_PAGE);
    const { sql, driver } = sightingSql(filter, page.after !== undefined);
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    const params: Record<string, string | number> = { limit: limit + 1 };
    for (const k of ['ward', 'camera', 'label', 'colour', 'line', 'direction', 'from', 'to'] as const) if (filter[k] !== undefined) params[k] = filter[k];
    if (page.after) {
      params.cursorTime = page.after.start;
      params.cursorId = page.after.id;
    }
    // one row more than asked tells whether another page exists
    const rows = stmt.all(params) as SightingRow[];
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, next: more && last ? { start: driver === 'line' ? last.crossed_at! : last.first, id: last.id } : null };
  };
}
