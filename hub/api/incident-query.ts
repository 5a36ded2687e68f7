// The incident list query: filters and keyset paging over the index, newest first. The API and bench/query
// both call `createIncidentQuery`, so the benchmark measures exactly what operators wait for.
//
// Paging is by (start, id) descending: the next page is the rows strictly below the last one shown. A row
// inserted between two page loads lands above the cursor (newer) or below it (seen on a later page), never in
// both, so no row is skipped or shown twice however many incidents arrive meanwhile.
import type { Sql, SqlParam } from '../../shared/sql/sql.js';
import type { IncidentRow } from '../store/store.js';
import type { Cursor } from '../store/cursor.js';
import { indexedBy, notForIndex } from '../store/planner-hints.js';

export interface IncidentFilter {
  ward?: string | undefined;
  /** with `ward`: camera ids are unique within a ward only */
  camera?: string | undefined;
  label?: string | undefined;
  /** start ≥ from (ms) */
  from?: number | undefined;
  /** start < to (ms) */
  to?: number | undefined;
  zone?: string | undefined;
  /** top score ≥ minScore */
  minScore?: number | undefined;
  forwarded?: boolean | undefined;
}

export interface IncidentPage {
  rows: IncidentRow[];
  /** where the next page starts; null on the last page */
  next: Cursor | null;
}

export const MAX_PAGE = 200;

/**
 * Which index walks the rows, newest first, for a filter shape. Every index ends in (start, id), so each serves
 * the time range and the keyset; the driver is the one whose leading columns the filter pins down most tightly.
 * Chosen here (INDEXED BY) rather than by SQLite's planner, which has no statistics on a hub (no ANALYZE) and
 * was measured to pick the label index, or the ward index with a time range, over the camera index
 * (bench/query.ts: 140 ms instead of 2 ms). A zone filter is left to the planner, which picks the right one
 * of incident_zones' three indexes by their leading equalities. PostgreSQL has statistics: there its planner chooses.
 */
export type Driver = 'zone' | 'camera' | 'ward-label' | 'forwarded' | 'ward' | 'label' | 'start';

const DRIVER_INDEX: Record<Exclude<Driver, 'zone'>, string> = {
  camera: 'incidents_camera_start',
  'ward-label': 'incidents_ward_label_start',
  forwarded: 'incidents_forwarded_start',
  ward: 'incidents_ward_start',
  label: 'incidents_label_start',
  start: 'incidents_start',
};

export function driverFor(f: IncidentFilter): Driver {
  if (f.zone !== undefined) return 'zone';
  if (f.ward !== undefined && f.camera !== undefined) return 'camera';
  if (f.ward !== undefined && f.label !== undefined) return 'ward-label';
  if (f.forwarded === true) return 'forwarded';
  if (f.ward !== undefined) return 'ward';
  if (f.label !== undefined) return 'label';
  return 'start';
}

/** The filter fields that become parameters, in the order their `?` appear. */
const PARAM_FIELDS = ['zone', 'ward', 'camera', 'label', 'from', 'to', 'minScore'] as const;

/**
 * The SQL text for a filter shape (values are always parameters; only the shape picks the text). The index hints
 * are SQLite's (planner-hints.ts): PostgreSQL gets the same statement without them.
 */
export function incidentSql(
  filter: IncidentFilter,
  hasCursor: boolean,
  dialect: Sql['dialect'] = 'sqlite',
): { sql: string; driver: Driver; params: (f: IncidentFilter, c: Cursor | undefined, limit: number) => SqlParam[] } {
  const driver = driverFor(filter);
  // with a zone, incident_zones drives (its indexes: zone [, ward [, camera]], start, id); it carries the ward,
  // camera, start and id, so the zone, place, time and keyset are all decided before an incident row is read
  const t = driver === 'zone' ? 'z' : 'i';
  // a column the driver does not lead with is written `+col`: SQLite then uses it as a filter only, never to pick an index
  const leads: Record<Driver, readonly string[]> = {
    zone: ['zone', 'ward', 'camera'],
    camera: ['ward', 'camera'],
    'ward-label': ['ward', 'label'],
    forwarded: ['forwarded'],
    ward: ['ward'],
    label: ['label'],
    start: [],
  };
  const col = (name: string) => (leads[driver].includes(name) ? `${name === 'ward' || name === 'camera' ? t : 'i'}.${name}` : notForIndex(dialect, `i.${name}`));
  // each `?` in the order of PARAM_FIELDS, then the cursor's two, then the limit
  const where: string[] = [];
  if (filter.zone !== undefined) where.push('z.zone = ?');
  if (filter.ward !== undefined) where.push(`${col('ward')} = ?`);
  if (filter.camera !== undefined) where.push(`${col('camera')} = ?`);
  if (filter.label !== undefined) where.push(`${col('label')} = ?`);
  if (filter.from !== undefined) where.push(`${t}.start >= ?`);
  if (filter.to !== undefined) where.push(`${t}.start < ?`);
  if (filter.minScore !== undefined) where.push('i.top_score >= ?');
  // a literal, not a parameter: the partial index on forwarded incidents applies only to a literal
  if (filter.forwarded !== undefined) where.push(`${col('forwarded')} = ${filter.forwarded ? 1 : 0}`);
  if (hasCursor) where.push(`(${t}.start, ${t}.id) < (?, ?)`);
  const from = driver === 'zone' ? 'incident_zones z JOIN incidents i ON i.id = z.id' : `incidents i${indexedBy(dialect, DRIVER_INDEX[driver])}`;
  const sql = `SELECT i.* FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${t}.start DESC, ${t}.id DESC LIMIT ?`;
  const params = (f: IncidentFilter, c: Cursor | undefined, limit: number): SqlParam[] => {
    const p: SqlParam[] = [];
    for (const k of PARAM_FIELDS) if (f[k] !== undefined) p.push(f[k]);
    if (c) p.push(c.start, c.id);
    p.push(limit);
    return p;
  };
  return { sql, driver, params };
}

export type IncidentQuery = (filter: IncidentFilter, page: { limit: number; after?: Cursor | undefined }) => Promise<IncidentPage>;

/** The SQL text depends on the filter's shape only, so SQLite's adapter prepares each shape once (at most 2^9). */
export function createIncidentQuery(sql: Sql): IncidentQuery {
  return async (filter, page) => {
    const limit = Math.min(Math.max(1, Math.floor(page.limit)), MAX_PAGE);
    const q = incidentSql(filter, page.after !== undefined, sql.dialect);
    // one row more than asked tells whether another page exists, so the last page has no empty follower
    const rows = await sql.all<IncidentRow>(q.sql, q.params(filter, page.after, limit + 1));
    const more = rows.length > limit;
    if (more) rows.length = limit;
    const last = rows[rows.length - 1];
    return { rows, next: more && last ? { start: last.start, id: last.id } : null };
  };
}
