// The sighting search over the hub's index: a place (wards, cameras, or within R metres of a camera) resolved to
// cameras, then the streams of the plan read one page each from the cursor on and merged; the total counted on the
// first page, up to COUNT_CAP.
import type { Sql, SqlParam } from '../../shared/sql/sql.js';
import type { Cursor } from '../store/cursor.js';
import { mergePages } from './merge.js';
import { indexedBy } from '../store/planner-hints.js';
import { colourIs, colourParams, kindPairs, MAX_KIND_STREAMS, MAX_PLACE_STREAMS, searchPlan, streamSql, type Order, type SearchFilter, type StreamKey, type StreamParam } from './plan.js';
import { camerasWithin, type CameraRef, type PlacedCamera } from './radius.js';

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

/** Where to look, as asked: every camera when all are absent. */
export interface Place {
  wards?: string[] | undefined;
  cameras?: CameraRef[] | undefined;
  near?: { camera: CameraRef; radius: number } | undefined;
  /** left out of the place (follow: the camera the vehicle left) */
  except?: CameraRef | undefined;
}

export type SearchRequest = Omit<SearchFilter, 'cameras'> & Place;

/** A total beyond this is shown as "more than": counting stops there, so a broad search costs no more than a narrow one. */
export const COUNT_CAP = 10_000;
export const MAX_SEARCH_PAGE = 200;
const PROBE_MIN_MS = 5 * 60_000;
/** entries counted per camera in the probe at most */
const PROBE_CAP = 50_000;

export type Resolved = { ok: true; cameras: (CameraRef & { metres?: number })[] | undefined } | { ok: false; field: string; message: string };

/** The cameras a place covers (pure): a ward's every camera the hub knows, listed ones, or those within R metres. */
export function placeCameras(place: Place, known: readonly PlacedCamera[]): Resolved {
  if (place.near) {
    const r = camerasWithin(place.near.camera, place.near.radius, known);
    const except = place.except;
    return r.ok ? { ok: true, cameras: except ? r.cameras.filter((c) => c.ward !== except.ward || c.camera !== except.camera) : r.cameras } : { ok: false, field: 'near', message: r.message };
  }
  if (!place.wards?.length && !place.cameras?.length) return { ok: true, cameras: undefined };
  const out = new Map<string, CameraRef>();
  for (const w of place.wards ?? []) for (const k of known) if (k.ward === w) out.set(`${k.ward}/${k.camera}`, { ward: k.ward, camera: k.camera });
  for (const c of place.cameras ?? []) {
    if (!known.some((k) => k.ward === c.ward && k.camera === c.camera)) return { ok: false, field: 'cameras', message: `no camera ${c.ward}/${c.camera} at the hub: give ward/camera of a camera the hub has heard from` };
    out.set(`${c.ward}/${c.camera}`, c);
  }
  return { ok: true, cameras: [...out.values()] };
}

export interface SearchPage {
  rows: SightingRow[];
  next: Cursor | null;
  /** on the first page only: how many match, exact when below COUNT_CAP */
  total?: { n: number; exact: boolean };
  /** the cameras searched (a place resolved); undefined: all */
  cameras: (CameraRef & { metres?: number })[] | undefined;
  driver: string;
}

export type SightingSearch = (request: SearchRequest, page: { limit: number; after?: Cursor | undefined; order?: Order; count?: boolean }) => Promise<SearchPage | { error: { field: string; message: string } }>;

export function createSightingSearch(sql: Sql): SightingSearch {
  // place or kind: the index entries each would walk, counted on the window's last slice (a 24th, at least 5
  // minutes), the kind's count stopped once it passes the place's. A ward's red cars: the kind walk is ~5× shorter;
  // one camera's white motorcycles: the place walk
  const probePlace = `SELECT count(*) AS n FROM (SELECT 1 FROM sightings${indexedBy(sql.dialect, 'sightings_place')} WHERE ward = ? AND camera = ? AND first >= ? AND first < ? LIMIT ?) AS probed`;
  const probeKind = `SELECT count(*) AS n FROM (SELECT 1 FROM sightings${indexedBy(sql.dialect, 'sightings_kind')} WHERE label = ? AND ${colourIs(sql.dialect, 'colour')} AND first >= ? AND first < ? LIMIT ?) AS probed`;
  const count = async (statement: string, params: SqlParam[]) => (await sql.get<{ n: number }>(statement, params))!.n;
  const preference = async (f: SearchFilter): Promise<'place' | 'kind' | undefined> => {
    const pairs = kindPairs(f);
    if (f.line !== undefined || f.cameras === undefined || f.cameras.length < 2 || f.cameras.length > MAX_PLACE_STREAMS || !pairs || pairs.length > MAX_KIND_STREAMS) return undefined;
    const to = f.to;
    const from = Math.max(f.from, to - Math.max(PROBE_MIN_MS, (f.to - f.from) / 24));
    let place = 0;
    for (const c of f.cameras) place += await count(probePlace, [c.ward, c.camera, from, to, PROBE_CAP]);
    let kind = 0;
    for (const p of pairs) {
      kind += await count(probeKind, [p.label, ...colourParams(sql.dialect, p.colour), from, to, place - kind + 1]);
      if (kind > place) return 'place';
    }
    return 'kind';
  };

  return async (request, page) => {
    const { wards, cameras: asked, near, except, ...rest } = request;
    const place = placeCameras({ wards, cameras: asked, near, except }, await sql.all<PlacedCamera>('SELECT ward, camera, lat, lon FROM cameras'));
    if (!place.ok) return { error: { field: place.field, message: place.message } };
    const filter: SearchFilter = { ...rest, cameras: place.cameras?.map((c) => ({ ward: c.ward, camera: c.camera })) };
    const order = page.order ?? 'desc';
    const limit = Math.min(Math.max(1, Math.floor(page.limit)), MAX_SEARCH_PAGE);
    const plan = searchPlan(filter, await preference(filter));
    const statements = streamSql(filter, plan.driver, order, page.after !== undefined, sql.dialect);

    const common: Partial<Record<StreamParam, SqlParam>> = { from: filter.from, to: filter.to, limit: limit + 1 };
    if (filter.cameras !== undefined) common.cameras = JSON.stringify(filter.cameras.map((c) => `${c.ward}/${c.camera}`));
    if (filter.labels?.length) common.labels = JSON.stringify(filter.labels);
    if (filter.colours?.length) common.colours = JSON.stringify(filter.colours);
    if (filter.heading) {
      common.headingFrom = filter.heading.from;
      common.headingTo = filter.heading.to;
    }
    if (filter.line) {
      common.line = filter.line.line;
      if (filter.line.direction) common.direction = filter.line.direction;
    }
    if (filter.zone !== undefined) common.zone = filter.zone;
    if (filter.minDwell !== undefined) common.minDwell = filter.minDwell;
    if (page.after) {
      common.cursorTime = page.after.start;
      common.cursorId = page.after.id;
    }
    // a stream's values in the order of its statement's `?`
    const params = (names: readonly StreamParam[], key: StreamKey, extra: Partial<Record<StreamParam, SqlParam>> = {}): SqlParam[] => {
      const values: Partial<Record<StreamParam, SqlParam>> = { ...common, ...key, ...extra };
      return names.map((n) => {
        const v = values[n];
        if (v === undefined) throw new Error(`search: no value for the parameter ${n}`);
        return v;
      });
    };

    const pages = await Promise.all(
      plan.streams.map(async (key) =>
        (await sql.all<SightingRow>(statements.page, params(statements.pageParams, key))).map((row) => ({ row, time: statements.time === 'at' ? row.crossed_at! : row.first, id: row.id })),
      ),
    );
    const merged = mergePages(pages, limit, order);
    const rows = merged.items.map((i) => i.row);
    const last = merged.items[merged.items.length - 1];
    const result: SearchPage = { rows, next: merged.more && last ? { start: last.time, id: last.id } : null, cameras: place.cameras, driver: plan.driver };

    if (page.count ?? page.after === undefined) {
      let n = 0;
      for (const key of plan.streams) {
        if (n >= COUNT_CAP) break;
        n += await count(statements.count, params(statements.countParams, key, { cap: COUNT_CAP - n }));
      }
      result.total = { n: Math.min(n, COUNT_CAP), exact: n < COUNT_CAP };
    }
    return result;
  };
}
