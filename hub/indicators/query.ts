// Traffic indicators from the 15-minute rollups (count_quarters): sums per bucket (15 minutes, local hour, local
// day) and per the dimensions asked (ward, camera, line, direction, label), with the camera-minutes watched per
// bucket (a minute not reported is not a zero). Bounded before it runs (indicatorBudget).
import type { Sql, SqlParam } from '../../shared/sql/sql.js';
import { localToUtc, offsetSpans, type OffsetSpan } from '../../shared/local-time.js';
import { joinLeftFirst } from '../store/planner-hints.js';
import { BUCKET_MS, type IndicatorBucket } from './buckets.js';

export const DIMENSIONS = ['ward', 'camera', 'line', 'direction', 'label'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Camera-days one request may read: the district (400 cameras) for two days, a ward (27) for a month, a camera
 * for years. A camera-day is ~96 quarters × its lines, directions and labels (~8–20 rows): ~1 µs a row, read through
 * the hub's one SQLite connection, so the largest request holds ingest ~0.5 s.
 */
export const MAX_INDICATOR_CAMERA_DAYS = 900;

export interface IndicatorFilter {
  ward?: string | undefined;
  /** with ward */
  camera?: string | undefined;
  /** with camera */
  line?: string | undefined;
  from: number;
  to: number;
  bucket: IndicatorBucket;
  timeZone: string;
  /** what the sums are split by; none: one total per bucket */
  by: readonly Dimension[];
}

export interface IndicatorRow {
  at: number;
  ward?: string;
  camera?: string;
  line?: string;
  direction?: string;
  label?: string;
  n: number;
}

export interface IndicatorAnswer {
  rows: IndicatorRow[];
  /** per bucket: camera-minutes reported (an empty report included) */
  watched: { at: number; minutes: number }[];
}

/** Why a request is too large, naming the field to change; undefined when it fits (pure). */
export function indicatorBudget(f: Pick<IndicatorFilter, 'from' | 'to'>, cameras: number): { field: string; message: string } | undefined {
  const days = (f.to - f.from) / BUCKET_MS.day;
  const cameraDays = Math.max(1, cameras) * days;
  if (cameraDays > MAX_INDICATOR_CAMERA_DAYS) {
    return { field: 'from', message: `the range covers ${Math.ceil(cameraDays)} camera-days (${cameras} cameras × ${days.toFixed(1)} days), at most ${MAX_INDICATOR_CAMERA_DAYS}: give a shorter range, or a ward or camera` };
  }
  return undefined;
}

export interface IndicatorQuery {
  cameras(f: Pick<IndicatorFilter, 'ward' | 'camera'>): Promise<number>;
  run(f: IndicatorFilter): Promise<IndicatorAnswer>;
}

/** The tables read, by filter shape; `params`: the values of the `?` in `where`. */
function scope(f: IndicatorFilter, table: string, dialect: Sql['dialect']): { from: string; where: string[]; params: SqlParam[] } {
  if (f.camera !== undefined) return { from: `${table} c`, where: ['c.ward = ?', 'c.camera = ?'], params: [f.ward!, f.camera] };
  // CROSS JOIN keeps cameras outside: each camera's rows are then one range of the key (ward, camera, quarter, …)
  const from = `cameras k ${joinLeftFirst(dialect)} ${table} c ON c.ward = k.ward AND c.camera = k.camera`;
  return f.ward !== undefined ? { from, where: ['k.ward = ?'], params: [f.ward] } : { from, where: [], params: [] };
}

export function createIndicatorQuery(sql: Sql): IndicatorQuery {
  // better-sqlite3 binds a JS number as REAL, and REAL division does not floor; its three `?`: offset, size, size
  const local = '(c.quarter + CAST(? AS BIGINT)) / CAST(? AS BIGINT) * CAST(? AS BIGINT)';

  const run = async (f: IndicatorFilter): Promise<IndicatorAnswer> => {
    const dims = DIMENSIONS.filter((d) => f.by.includes(d));
    const s = scope(f, 'count_quarters', sql.dialect);
    const where = [...s.where, 'c.quarter >= ?', 'c.quarter < ?', ...(f.line !== undefined ? ['c.line = ?'] : [])];
    const select = [...dims.map((d) => `c.${d}`), `${local} AS local`];
    const sumSql = `SELECT ${select.join(', ')}, sum(c.n) AS n FROM ${s.from} WHERE ${where.join(' AND ')} GROUP BY ${[...dims.map((d) => `c.${d}`), 'local'].join(', ')}`;
    const m = scope(f, 'count_quarter_minutes', sql.dialect);
    const minuteSql = `SELECT ${local} AS local, sum(c.minutes) AS minutes FROM ${m.from} WHERE ${[...m.where, 'c.quarter >= ?', 'c.quarter < ?'].join(' AND ')} GROUP BY local`;

    const size = BUCKET_MS[f.bucket];
    // a local day (or hour) that spans a change of offset is read in two spans; its key, the local start, is the same in both
    const spans: OffsetSpan[] = f.bucket === 'quarter' ? [{ from: f.from, to: f.to, offset: 0 }] : offsetSpans(f.from, f.to, f.timeZone);
    const instants = new Map<number, number>();
    const at = (l: number) => {
      let t = instants.get(l);
      if (t === undefined) instants.set(l, (t = f.bucket === 'quarter' ? l : localToUtc(l, f.timeZone)));
      return t;
    };
    const sums = new Map<string, IndicatorRow>();
    const watched = new Map<number, number>();
    for (const span of spans) {
      const bucket = [span.offset, size, size];
      const sumParams = [...bucket, ...s.params, span.from, span.to, ...(f.line !== undefined ? [f.line] : [])];
      for (const r of await sql.all<Record<string, string | number>>(sumSql, sumParams)) {
        const key = [...dims.map((d) => r[d]), r.local].join('\u0000');
        const row = sums.get(key);
        if (row) row.n += r.n as number;
        else {
          const fresh: IndicatorRow = { at: at(r.local as number), n: r.n as number };
          for (const d of dims) fresh[d] = r[d] as string;
          sums.set(key, fresh);
        }
      }
      for (const r of await sql.all<{ local: number; minutes: number }>(minuteSql, [...bucket, ...m.params, span.from, span.to])) {
        const t = at(r.local);
        watched.set(t, (watched.get(t) ?? 0) + r.minutes);
      }
    }
    const text = (a: string | undefined, b: string | undefined) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
    const rows = [...sums.values()].sort((a, b) => a.at - b.at || text(a.ward, b.ward) || text(a.camera, b.camera) || text(a.line, b.line) || text(a.direction, b.direction) || text(a.label, b.label));
    return { rows, watched: [...watched.entries()].sort((a, b) => a[0] - b[0]).map(([t, minutes]) => ({ at: t, minutes })) };
  };
  return {
    cameras: async (f) => {
      if (f.camera !== undefined) return 1;
      const row = f.ward !== undefined ? await sql.get<{ n: number }>('SELECT count(*) AS n FROM cameras WHERE ward = ?', [f.ward]) : await sql.get<{ n: number }>('SELECT count(*) AS n FROM cameras');
      return row!.n;
    },
    run,
  };
}
