// The counts query: sums of the counting lines per camera, line, direction and label in minute, hour or day
// buckets of a time zone, and how many minutes of each bucket the camera reported (a minute not reported is not
// a zero). Bounded before it runs (countsBudget): its cost is the camera-days it reads.
import type { Sql, SqlParam } from '../../shared/sql/sql.js';
import { localToUtc, offsetSpans, type OffsetSpan } from '../../shared/local-time.js';
import { joinLeftFirst } from '../store/planner-hints.js';

export const BUCKETS = ['minute', 'hour', 'day'] as const;
export type Bucket = (typeof BUCKETS)[number];
const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * Camera-days one request may read: one camera for a month, or a ward of 27 cameras for a day. On SQLite the read
 * holds the hub's one connection, ingest's too: ~1 µs a row, a busy camera ~11 500 rows a day (8 line ×
 * direction × label), so 31 camera-days hold ingest ~0.35 s; a year of one camera took 5 s here.
 */
export const MAX_CAMERA_DAYS = 31;
/** Buckets times cameras one answer may hold (each bucket is a handful of rows, one per line × direction × label). */
export const MAX_CAMERA_BUCKETS = 20_000;

export interface CountFilter {
  ward?: string | undefined;
  /** with ward */
  camera?: string | undefined;
  /** with camera: line ids are a camera's own */
  line?: string | undefined;
  /** minute ≥ from (ms) */
  from: number;
  /** minute < to (ms) */
  to: number;
  bucket: Bucket;
  timeZone: string;
}

export interface CountRow {
  ward: string;
  camera: string;
  line: string;
  direction: 'forward' | 'backward';
  label: string;
  /** start of the bucket (ms, UTC instant of the local bucket start) */
  at: number;
  n: number;
}

export interface WatchedRow {
  ward: string;
  camera: string;
  at: number;
  /** minutes of the bucket the camera reported counts for (an empty report included) */
  minutes: number;
}

export interface CountsAnswer {
  counts: CountRow[];
  watched: WatchedRow[];
}

/** Why a request is too large to answer, naming the field to change; undefined when it fits (pure). */
export function countsBudget(filter: Pick<CountFilter, 'from' | 'to' | 'bucket'>, cameras: number): { field: string; message: string } | undefined {
  const days = (filter.to - filter.from) / BUCKET_MS.day;
  const cameraDays = Math.max(1, cameras) * days;
  if (cameraDays > MAX_CAMERA_DAYS) {
    return { field: 'from', message: `the range covers ${Math.ceil(cameraDays)} camera-days (${cameras} cameras × ${days.toFixed(1)} days), at most ${MAX_CAMERA_DAYS}: give a shorter range, or a ward and camera` };
  }
  const buckets = Math.ceil((filter.to - filter.from) / BUCKET_MS[filter.bucket]);
  if (buckets * Math.max(1, cameras) > MAX_CAMERA_BUCKETS) {
    return { field: 'bucket', message: `${buckets} ${filter.bucket} buckets × ${cameras} cameras is more than ${MAX_CAMERA_BUCKETS}: use a larger bucket or a shorter range` };
  }
  return undefined;
}

/**
 * The tables read, by filter shape: a camera's own key range, or the cameras table first and then each camera's
 * range; `params`: the values of the `?` in `where`.
 */
function scope(f: CountFilter, table: 'counts' | 'count_minutes', dialect: Sql['dialect']): { from: string; where: string[]; params: SqlParam[] } {
  if (f.camera !== undefined) return { from: `${table} c`, where: ['c.ward = ?', 'c.camera = ?'], params: [f.ward!, f.camera] };
  // CROSS JOIN keeps cameras outside: each camera's rows are then one range of the key (ward, camera, minute, …)
  const from = `cameras k ${joinLeftFirst(dialect)} ${table} c ON c.ward = k.ward AND c.camera = k.camera`;
  return f.ward !== undefined ? { from, where: ['k.ward = ?'], params: [f.ward] } : { from, where: [], params: [] };
}

export interface CountQuery {
  /** cameras the filter covers, for countsBudget */
  cameras(filter: Pick<CountFilter, 'ward' | 'camera'>): Promise<number>;
  run(filter: CountFilter): Promise<CountsAnswer>;
}

export function createCountQuery(sql: Sql): CountQuery {
  // better-sqlite3 binds a JS number as REAL, and REAL division does not floor; its three `?`: offset, size, size
  const bucketSql = '(c.minute + CAST(? AS BIGINT)) / CAST(? AS BIGINT) * CAST(? AS BIGINT)';

  const run = async (f: CountFilter): Promise<CountsAnswer> => {
    const counts = scope(f, 'counts', sql.dialect);
    const countWhere = [...counts.where, 'c.minute >= ?', 'c.minute < ?', ...(f.line !== undefined ? ['c.line = ?'] : [])];
    const countSql = `SELECT c.ward, c.camera, c.line, c.direction, c.label, ${bucketSql} AS local, sum(c.n) AS n FROM ${counts.from}
      WHERE ${countWhere.join(' AND ')} GROUP BY c.ward, c.camera, c.line, c.direction, c.label, local`;
    const minutes = scope(f, 'count_minutes', sql.dialect);
    const minuteSql = `SELECT c.ward, c.camera, ${bucketSql} AS local, count(*) AS minutes FROM ${minutes.from}
      WHERE ${[...minutes.where, 'c.minute >= ?', 'c.minute < ?'].join(' AND ')} GROUP BY c.ward, c.camera, local`;

    // a local day (or hour) that spans a change of offset is read in two spans; its key, the local start, is the same in both
    const size = BUCKET_MS[f.bucket];
    const spans: OffsetSpan[] = f.bucket === 'minute' ? [{ from: f.from, to: f.to, offset: 0 }] : offsetSpans(f.from, f.to, f.timeZone);
    const sums = new Map<string, CountRow>();
    const watched = new Map<string, WatchedRow>();
    const instants = new Map<number, number>();
    const at = (local: number) => {
      let t = instants.get(local);
      if (t === undefined) instants.set(local, (t = f.bucket === 'minute' ? local : localToUtc(local, f.timeZone)));
      return t;
    };
    for (const span of spans) {
      const bucket = [span.offset, size, size];
      const countParams = [...bucket, ...counts.params, span.from, span.to, ...(f.line !== undefined ? [f.line] : [])];
      for (const r of await sql.all<Omit<CountRow, 'at'> & { local: number }>(countSql, countParams)) {
        const key = `${r.ward}/${r.camera}/${r.line}/${r.direction}/${r.label}/${r.local}`;
        const row = sums.get(key);
        if (row) row.n += r.n;
        else sums.set(key, { ward: r.ward, camera: r.camera, line: r.line, direction: r.direction, label: r.label, at: at(r.local), n: r.n });
      }
      for (const r of await sql.all<{ ward: string; camera: string; local: number; minutes: number }>(minuteSql, [...bucket, ...minutes.params, span.from, span.to])) {
        const key = `${r.ward}/${r.camera}/${r.local}`;
        const row = watched.get(key);
        if (row) row.minutes += r.minutes;
        else watched.set(key, { ward: r.ward, camera: r.camera, at: at(r.local), minutes: r.minutes });
      }
    }
    const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return {
      counts: [...sums.values()].sort((a, b) => text(a.ward, b.ward) || text(a.camera, b.camera) || text(a.line, b.line) || text(a.direction, b.direction) || text(a.label, b.label) || a.at - b.at),
      watched: [...watched.values()].sort((a, b) => text(a.ward, b.ward) || text(a.camera, b.camera) || a.at - b.at),
    };
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
