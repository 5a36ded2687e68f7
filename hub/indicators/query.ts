// Traffic indicators from the 15-minute rollups (count_quarters): sums per bucket (15 minutes, local hour, local
// day) and per the dimensions asked (ward, camera, line, direction, label), with the camera-minutes watched per
// bucket (a minute not reported is not a zero). Bounded before it runs (indicatorBudget).
import { statementCache, type Db } from '../../shared/db.js';
import { localToUtc, offsetSpans, type OffsetSpan } from '../../shared/local-time.js';
import { BUCKET_MS, type IndicatorBucket } from './buckets.js';

export const DIMENSIONS = ['ward', 'camera', 'line', 'direction', 'label'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Camera-days one request may read: the district (400 cameras) for two days, a ward (27) for a month, a camera
 * for years. A camera-day is ~96 quarters × its lines, directions and labels (~8–20 rows): ~1 µs a row, read on
 * the hub's one thread, so the largest request holds ingest ~0.5 s.
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
  cameras(f: Pick<IndicatorFilter, 'ward' | 'camera'>): number;
  run(f: IndicatorFilter): IndicatorAnswer;
}

function scope(f: IndicatorFilter, table: string): { from: string; where: string[] } {
  if (f.camera !== undefined) return { from: `${table} c`, where: ['c.ward = @ward', 'c.camera = @camera'] };
  // CROSS JOIN keeps cameras outside: each camera's rows are then one range of the key (ward, camera, quarter, …)
  return { from: `cameras k CROSS JOIN ${table} c ON c.ward = k.ward AND c.camera = k.camera`, where: f.ward !== undefined ? ['k.ward = @ward'] : [] };
}

export function createIndicatorQuery(db: Db): IndicatorQuery {
  const allCameras = db.prepare<[], number>('SELECT count(*) FROM cameras').pluck();
  const wardCameras = db.prepare<[string], number>('SELECT count(*) FROM cameras WHERE ward = ?').pluck();
  const prepared = statementCache(db);
  // better-sqlite3 binds a JS number as REAL, and REAL division does not floor
  const local = '(c.quarter + CAST(@offset AS INTEGER)) / CAST(@size AS INTEGER) * CAST(@size AS INTEGER)';

  const run = (f: IndicatorFilter): IndicatorAnswer => {
    const dims = DIMENSIONS.filter((d) => f.by.includes(d));
    const s = scope(f, 'count_quarters');
    const where = [...s.where, 'c.quarter >= @from', 'c.quarter < @to', ...(f.line !== undefined ? ['c.line = @line'] : [])];
    const select = [...dims.map((d) => `c.${d}`), `${local} AS local`];
    const sumSql = `SELECT ${select.join(', ')}, sum(c.n) AS n FROM ${s.from} WHERE ${where.join(' AND ')} GROUP BY ${[...dims.map((d) => `c.${d}`), 'local'].join(', ')}`;
    const m = scope(f, 'count_quarter_minutes');
    const minuteSql = `SELECT ${local} AS local, sum(c.minutes) AS minutes FROM ${m.from} WHERE ${[...m.where, 'c.quarter >= @from', 'c.quarter < @to'].join(' AND ')} GROUP BY local`;

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
      const params: Record<string, string | number> = { from: span.from, to: span.to, offset: span.offset, size };
      if (f.ward !== undefined) params.ward = f.ward;
      if (f.camera !== undefined) params.camera = f.camera;
      for (const r of prepared(sumSql).iterate(f.line !== undefined ? { ...params, line: f.line } : params) as Iterable<Record<string, string | number>>) {
        const key = [...dims.map((d) => r[d]), r.local].join('\u0000');
        const row = sums.get(key);
        if (row) row.n += r.n as number;
        else {
          const fresh: IndicatorRow = { at: at(r.local as number), n: r.n as number };
          for (const d of dims) fresh[d] = r[d] as string;
          sums.set(key, fresh);
        }
      }
      for (const r of prepared(minuteSql).iterate(params) as Iterable<{ local: number; minutes: number }>) {
        const t = at(r.local);
        watched.set(t, (watched.get(t) ?? 0) + r.minutes);
      }
    }
    const text = (a: string | undefined, b: string | undefined) => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
    const rows = [...sums.values()].sort((a, b) => a.at - b.at || text(a.ward, b.ward) || text(a.camera, b.camera) || text(a.line, b.line) || text(a.direction, b.direction) || text(a.label, b.label));
    return { rows, watched: [...watched.entries()].sort((a, b) => a[0] - b[0]).map(([t, minutes]) => ({ at: t, minutes })) };
  };
  return {
    cameras: (f) => (f.camera !== undefined ? 1 : f.ward !== undefined ? wardCameras.get(f.ward)! : allCameras.get()!),
    run,
  };
}
