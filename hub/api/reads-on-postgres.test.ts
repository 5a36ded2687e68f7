// The hub's read queries give the same answers on PostgreSQL as on SQLite: the same rows, seeded with plain INSERTs
// through the Sql handle, read by the incident list (filters, keyset paging), the sighting search (every driver,
// the place/kind probe, zone and dwell, lines, totals), the forward history and the counts and indicators, on a
// hub index of each engine (SQLite: openHubStore; PostgreSQL: hub/store/schema-pg.ts on a real server).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sql, SqlDatabase } from '../../shared/sql/sql.js';
import { bothIndexes } from '../../testing/hub/postgres-index.js';
import { createForwardHistory } from '../forward/history.js';
import { createIndicatorQuery, type IndicatorFilter } from '../indicators/query.js';
import { createSightingSearch, type SearchRequest } from '../search/search.js';
import type { Order } from '../search/plan.js';
import type { HubStore } from '../store/store.js';
import type { Cursor } from '../store/cursor.js';
import { createCountQuery, type CountFilter } from './count-query.js';
import { createIncidentQuery, type IncidentFilter } from './incident-query.js';

const both = bothIndexes('hub/api/reads-on-postgres.test.ts');
const { noPostgres } = both;
let pg: SqlDatabase;
let lite: HubStore;

// a local midnight in Hồ Chí Minh City (17:00 UTC)
const T0 = Date.parse('2026-12-01T17:00:00Z');
const MIN = 60_000;
const DAY_MS = 86_400_000;
const WARDS = ['p07', 'p08', 'p09'];
const CAMERAS = ['cam-00', 'cam-01', 'cam-02'];
const LABELS = ['car', 'motorcycle', 'person', 'bus'];
const COLOURS = ['red', 'white', 'black', null];
const ZONES = ['crossing', 'school', 'bay'];

/** Seeded pseudo-random numbers (mulberry32): the same rows in both engines. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ids that sort as their number does (a ULID's first characters are its time; here, a counter). */
const id = (prefix: string, n: number) => `01K${prefix}${String(n).padStart(22, '0')}`;

/** The same district in either engine: wards, cameras with positions, incidents, sightings, counts, forwards. */
async function seed(sql: Sql): Promise<void> {
  const rnd = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  await sql.tx(async (t) => {
    for (const w of WARDS) {
      await t.run('INSERT INTO wards (id, name, last_seen_at) VALUES (?, ?, ?)', [w, `Ward ${w}`, T0]);
      await t.run('INSERT INTO boxes (id, ward, name, last_seen_at) VALUES (?, ?, ?, ?)', [w, w, `Box ${w}`, T0]);
      for (const [i, c] of CAMERAS.entries()) {
        // ~110 m apart along a street; p09's cam-02 has no position
        const placed = !(w === 'p09' && c === 'cam-02');
        const at = WARDS.indexOf(w) * 3 + i;
        await t.run('INSERT INTO cameras (ward, camera, first_seen_at, last_seen_at, lat, lon, box_id) VALUES (?, ?, ?, ?, ?, ?, ?)', [w, c, T0, T0, placed ? 10.8 + at * 0.001 : null, placed ? 106.68 : null, w]);
      }
    }
    // 240 incidents over 4 hours; every 10th shares its start with the one before (the id breaks the tie)
    let start = T0;
    for (let n = 0; n < 240; n++) {
      if (n % 10 !== 1) start += Math.floor(rnd() * 2 * MIN);
      const score = Math.round((0.5 + rnd() * 0.49) * 100) / 100;
      const zones = ZONES.filter(() => rnd() < 0.3);
      const ward = pick(WARDS);
      await t.run(
        `INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, "end", state, last_msg_id, clip_state, forwarded, held,
           created_at, updated_at, forward_checked, rule_id, rule_kind, box_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?)`,
        [id('I', n), ward, pick(CAMERAS), pick(LABELS), score, Math.min(0.99, score + 0.01), '{"x":0.1,"y":0.2,"w":0.3,"h":0.2}', JSON.stringify(zones), start,
          n % 7 ? start + 15_000 : null, n % 7 ? 'ended' : 'open', id('M', n), 'none', rnd() < 0.2 ? 1 : 0, start, start, n % 5 ? null : 'stopped', n % 5 ? null : 'dwell', ward],
      );
    }
    // 600 sightings over an hour; some share a first time; vehicles mostly coloured; a few cross line north
    let first = T0;
    for (let n = 0; n < 600; n++) {
      if (n % 6 !== 1) first += Math.floor(rnd() * 12_000);
      const label = pick(LABELS);
      const person = label === 'person';
      const ward = pick(WARDS);
      const camera = pick(CAMERAS);
      const last = first + 2000 + Math.floor(rnd() * 60_000);
      const lines = camera === 'cam-01' && rnd() < 0.5 ? [{ line: 'north', direction: rnd() < 0.5 ? 'forward' : 'backward', at: first + 1000 }] : [];
      const zones = ZONES.filter(() => rnd() < 0.3).map((zone) => ({ zone, seconds: Math.round(rnd() * 400) / 10 }));
      await t.run(
        `INSERT INTO sightings (id, ward, camera, label, first, last, score, box, best_at, heading, lines, zones, colour, riders, final, updated_at, thumbnail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [id('S', n), ward, camera, label, first, last, 0.8, '{"x":0.1,"y":0.1,"w":0.1,"h":0.1}', first + 500, person ? null : Math.floor(rnd() * 3600) / 10,
          JSON.stringify(lines), JSON.stringify(zones), person ? null : pick(COLOURS), label === 'motorcycle' ? 1 : null, n % 9 ? 1 : 0, last,
          person || rnd() < 0.5 ? null : Buffer.from([0xff, 0xd8, n % 256, 0xff, 0xd9])],
      );
    }
    // counts: two hours of minutes on two cameras, and their quarters
    for (const [w, c] of [['p07', 'cam-01'], ['p08', 'cam-00']] as const) {
      const quarters = new Map<string, number>();
      const watched = new Map<number, number>();
      for (let m = 0; m < 120; m++) {
        const minute = T0 - 30 * MIN + m * MIN;
        const quarter = Math.floor(minute / (15 * MIN)) * 15 * MIN;
        await t.run('INSERT INTO count_minutes (ward, camera, minute, msg_id) VALUES (?, ?, ?, ?)', [w, c, minute, id('C', m)]);
        watched.set(quarter, (watched.get(quarter) ?? 0) + 1);
        for (const [label, direction] of [['car', 'forward'], ['motorcycle', 'backward']] as const) {
          const n = Math.floor(rnd() * 9);
          if (n === 0) continue;
          await t.run('INSERT INTO counts (ward, camera, minute, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)', [w, c, minute, 'north', direction, label, n]);
          const k = `${quarter}/${direction}/${label}`;
          quarters.set(k, (quarters.get(k) ?? 0) + n);
        }
      }
      for (const [k, n] of quarters) {
        const [quarter, direction, label] = k.split('/');
        await t.run('INSERT INTO count_quarters (ward, camera, quarter, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)', [w, c, Number(quarter), 'north', direction!, label!, n]);
      }
      for (const [quarter, minutes] of watched) await t.run('INSERT INTO count_quarter_minutes (ward, camera, quarter, minutes) VALUES (?, ?, ?, ?)', [w, c, quarter, minutes]);
    }
    // one incident forwarded three ways
    const incident = id('I', 3);
    await t.run("INSERT INTO forward_outbox (key, incident_id, target, cause, shared_by, unblurred, attempts, next_at, last_error, created_at) VALUES (?, ?, 'press', 'share', 'lan', 1, 2, ?, 'timeout', ?)", [`${incident}:press`, incident, T0 + 9, T0 + 1]);
    await t.run("INSERT INTO forward_delivered (key, incident_id, target, cause, rules, unblurred, attempts, status, created_at, delivered_at) VALUES (?, ?, 'city', 'rule', '[\"r1\"]', 0, 1, 200, ?, ?)", [`${incident}:city`, incident, T0, T0 + 3]);
    await t.run("INSERT INTO forward_dead (key, incident_id, target, cause, shared_by, unblurred, attempts, status, reason, created_at, dead_at) VALUES (?, ?, 'police', 'share', 'lan', 0, 1, 422, 'bad payload', ?, ?)", [`${incident}:police`, incident, T0, T0 + 2]);
  });
}

beforeAll(async () => {
  lite = both.lite();
  await seed(lite.sql);
  if (noPostgres) return;
  pg = both.pg();
  await seed(pg);
});

/** Every page of the incident list, 7 at a time: ids and the rows themselves. */
async function incidentPages(sql: Sql, filter: IncidentFilter) {
  const query = createIncidentQuery(sql);
  const rows: unknown[] = [];
  let after: Cursor | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await query(filter, { limit: 7, after });
    rows.push(...page.rows);
    if (!page.next) break;
    after = page.next;
  }
  return rows;
}

/** Every page of a search, 9 at a time, with the driver and the total of the first page. */
async function searchPages(sql: Sql, request: SearchRequest, order: Order = 'desc') {
  const search = createSightingSearch(sql);
  const rows: unknown[] = [];
  const drivers = new Set<string>();
  let total: unknown;
  let after: Cursor | undefined;
  for (let pages = 0; pages < 200; pages++) {
    const page = await search(request, { limit: 9, after, order });
    if ('error' in page) return page;
    drivers.add(page.driver);
    total ??= page.total;
    rows.push(...page.rows);
    if (!page.next) break;
    after = page.next;
  }
  return { rows, drivers: [...drivers], total };
}

const W = { from: T0, to: T0 + 60 * MIN };

describe.skipIf(noPostgres)('the read queries on PostgreSQL and SQLite: the same answers', () => {
  it.each<[string, IncidentFilter]>([
    ['everything, newest first', {}],
    ['a ward', { ward: 'p07' }],
    ['a camera of a ward', { ward: 'p08', camera: 'cam-01' }],
    ['a ward and a label', { ward: 'p07', label: 'car' }],
    ['a label', { label: 'person' }],
    ['forwarded', { forwarded: true }],
    ['not forwarded, a label', { forwarded: false, label: 'bus' }],
    ['a zone', { zone: 'crossing' }],
    ['a zone in a ward', { zone: 'school', ward: 'p09' }],
    ['a zone on a camera', { zone: 'bay', ward: 'p07', camera: 'cam-02' }],
    ['a time range and a score', { from: T0 + 30 * MIN, to: T0 + 150 * MIN, minScore: 0.8 }],
  ])('incidents: %s', async (_name, filter) => {
    const sqlite = await incidentPages(lite.sql, filter);
    expect(sqlite.length).toBeGreaterThan(0);
    expect(await incidentPages(pg, filter)).toEqual(sqlite);
  });

  it.each<[string, SearchRequest, Order?]>([
    ['a ward\'s red cars (the probe picks kind or place)', { ...W, wards: ['p07'], labels: ['car'], colours: ['red'] }],
    ['a ward\'s motorcycles, any colour', { ...W, wards: ['p08'], labels: ['motorcycle'] }],
    ['white vehicles anywhere (by kind, colour only)', { ...W, colours: ['white'] }],
    ['people anywhere (the stream of no colour)', { ...W, labels: ['person'] }],
    ['everything, heading through up', { ...W, heading: { from: 315, to: 45 } }],
    ['near a camera, 300 m, a heading range', { ...W, near: { camera: { ward: 'p08', camera: 'cam-01' }, radius: 300 }, heading: { from: 90, to: 270 } }],
    ['near a camera but for it, buses, oldest first (follow)', { ...W, near: { camera: { ward: 'p07', camera: 'cam-01' }, radius: 500 }, except: { ward: 'p07', camera: 'cam-01' }, labels: ['bus'] }, 'asc'],
    ['a line, forward', { ...W, cameras: [{ ward: 'p07', camera: 'cam-01' }], line: { line: 'north', direction: 'forward' } }],
    ['a line, both ways', { ...W, cameras: [{ ward: 'p09', camera: 'cam-01' }], line: { line: 'north' } }],
    ['a zone with a dwell', { ...W, wards: ['p07', 'p08'], zone: 'bay', minDwell: 15 }],
    ['a zone', { ...W, cameras: [{ ward: 'p09', camera: 'cam-00' }], zone: 'crossing' }],
    ['a dwell without a zone', { ...W, wards: ['p09'], minDwell: 40 }],
  ])('sightings: %s', async (_name, request, order) => {
    const sqlite = await searchPages(lite.sql, request, order);
    expect('rows' in sqlite && sqlite.rows.length).toBeGreaterThan(0);
    expect(await searchPages(pg, request, order)).toEqual(sqlite);
  });

  it('sightings: refuses the same place the same way', async () => {
    const request = { ...W, near: { camera: { ward: 'p09', camera: 'cam-02' }, radius: 100 } };
    expect(await searchPages(pg, request)).toEqual(await searchPages(lite.sql, request));
  });

  it('the forward history of an incident', async () => {
    const subject = { kind: 'incident' as const, id: id('I', 3) };
    const sqlite = await createForwardHistory(lite.sql)(subject);
    expect(sqlite.map((e) => e.state)).toEqual(['pending', 'dead', 'delivered']);
    expect(await createForwardHistory(pg)(subject)).toEqual(sqlite);
  });

  it.each<[string, CountFilter]>([
    ['a camera per minute', { ward: 'p07', camera: 'cam-01', from: T0 - 30 * MIN, to: T0 + 10 * MIN, bucket: 'minute', timeZone: 'Asia/Ho_Chi_Minh' }],
    ['every camera per local hour', { from: T0 - 60 * MIN, to: T0 + 120 * MIN, bucket: 'hour', timeZone: 'Asia/Ho_Chi_Minh' }],
    ['a ward per local day', { ward: 'p08', from: T0 - DAY_MS, to: T0 + DAY_MS, bucket: 'day', timeZone: 'Asia/Ho_Chi_Minh' }],
  ])('counts: %s', async (_name, filter) => {
    const sqlite = createCountQuery(lite.sql);
    const sqliteAnswer = await sqlite.run(filter);
    expect(sqliteAnswer.counts.length).toBeGreaterThan(0);
    const postgres = createCountQuery(pg);
    expect(await postgres.run(filter)).toEqual(sqliteAnswer);
    expect(await postgres.cameras(filter)).toBe(await sqlite.cameras(filter));
  });

  it.each<[string, IndicatorFilter]>([
    ['per quarter by everything', { from: T0 - 30 * MIN, to: T0 + 90 * MIN, bucket: 'quarter', timeZone: 'Asia/Ho_Chi_Minh', by: ['ward', 'camera', 'line', 'direction', 'label'] }],
    ['a ward per local hour by label', { ward: 'p07', from: T0 - 60 * MIN, to: T0 + 120 * MIN, bucket: 'hour', timeZone: 'Asia/Ho_Chi_Minh', by: ['label'] }],
    ['a camera\'s line per local day, one total', { ward: 'p08', camera: 'cam-00', line: 'north', from: T0 - DAY_MS, to: T0 + DAY_MS, bucket: 'day', timeZone: 'Asia/Ho_Chi_Minh', by: [] }],
  ])('indicators: %s', async (_name, filter) => {
    const sqlite = createIndicatorQuery(lite.sql);
    const sqliteAnswer = await sqlite.run(filter);
    expect(sqliteAnswer.rows.length).toBeGreaterThan(0);
    const postgres = createIndicatorQuery(pg);
    expect(await postgres.run(filter)).toEqual(sqliteAnswer);
    expect(await postgres.cameras(filter)).toBe(await sqlite.cameras(filter));
  });
});
