// The search's SQL against the real hub schema: each stream walks its index in time order (no sort of the whole
// range), and the total is counted from the covering index alone whenever no zone or dwell is asked.
import { describe, expect, it } from 'vitest';
import { applySightings } from '../ingest/sightings.js';
import { openHubStore } from '../store/store.js';
import { nextUlid, tempDir } from '../../testing/hub/test-support.js';
import type { Cursor } from '../store/cursor.js';
import { streamSql, type Driver, type SearchFilter, type StreamParam } from './plan.js';
import { createSightingSearch, placeCameras } from './search.js';

const store = openHubStore(tempDir());
const W = { from: 0, to: 3_600_000 };
const cam = { ward: 'p07', camera: 'cam-01' };

function plan(sql: string, names: readonly StreamParam[]): string {
  const params: Record<StreamParam, string | number> = { from: 0, to: 1, ward: 'p07', camera: 'cam-01', label: 'car', colour: 'red', labels: '["car"]', colours: '["red"]', cameras: '["p07/cam-01"]', headingFrom: 0, headingTo: 90, line: 'north', direction: 'forward', zone: 'bay', minDwell: 5, cursorTime: 0, cursorId: 'x', limit: 10, cap: 100 };
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(names.map((n) => params[n])) as { detail: string }[]).map((r) => r.detail).join(' | ');
}

describe('the search SQL on the hub schema', () => {
  it.each<[string, SearchFilter, Driver, RegExp, RegExp]>([
    ['a camera, red cars', { ...W, cameras: [cam], labels: ['car'], colours: ['red'] }, 'place', /SEARCH s USING INDEX sightings_place \(ward=\? AND camera=\? AND first>\? AND first<\?\)/, /SEARCH s USING COVERING INDEX sightings_place/],
    ['red cars anywhere', { ...W, labels: ['car'], colours: ['red'] }, 'kind', /SEARCH s USING INDEX sightings_kind \(label=\? AND colour=\? AND first>\? AND first<\?\)/, /SEARCH s USING COVERING INDEX sightings_kind/],
    ['red cars of a ward\'s cameras (by kind)', { ...W, cameras: [cam], labels: ['car'], colours: ['red'] }, 'kind', /USING INDEX sightings_kind/, /USING COVERING INDEX sightings_kind/],
    ['a heading anywhere', { ...W, heading: { from: 315, to: 45 } }, 'time', /SEARCH s USING INDEX sightings_first \(first>\? AND first<\?\)/, /USING INDEX sightings_first/],
  ])('%s', (_name, filter, driver, page, count) => {
    const sql = streamSql(filter, driver, 'desc', true);
    const p = plan(sql.page, sql.pageParams);
    expect(p).toMatch(page);
    // in index order: no sort of the range (a tie on the time may be sorted by id, nothing more)
    expect(p).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    expect(plan(sql.count, sql.countParams)).toMatch(count);
  });

  it('reads a line search from the crossings, by crossing time', () => {
    const sql = streamSql({ ...W, cameras: [cam], line: { line: 'north', direction: 'forward' } }, 'line', 'desc', false);
    expect(plan(sql.page, sql.pageParams)).toMatch(/SEARCH l USING (PRIMARY KEY|INDEX)/);
  });
});

describe('placeCameras', () => {
  const known = [
    { ward: 'p07', camera: 'cam-01', lat: 10.8, lon: 106.68 },
    { ward: 'p07', camera: 'cam-02', lat: null, lon: null },
    { ward: 'p08', camera: 'cam-01', lat: 10.8005, lon: 106.68 },
  ];
  it.each([
    ['nothing: every camera', {}, undefined],
    ['a ward: each of its cameras', { wards: ['p07'] }, ['p07/cam-01', 'p07/cam-02']],
    ['a ward and a camera of another', { wards: ['p07'], cameras: [{ ward: 'p08', camera: 'cam-01' }] }, ['p07/cam-01', 'p07/cam-02', 'p08/cam-01']],
    ['near a camera: the ones with a position within the radius', { near: { camera: cam, radius: 100 } }, ['p07/cam-01', 'p08/cam-01']],
    ['near a camera, but for that camera (follow)', { near: { camera: cam, radius: 100 }, except: cam }, ['p08/cam-01']],
  ])('%s', (_name, place, expected) => {
    const r = placeCameras(place, known);
    expect(r.ok && r.cameras?.map((c) => `${c.ward}/${c.camera}`)).toEqual(expected);
  });

  it.each([
    ['a camera the hub never heard of', { cameras: [{ ward: 'p09', camera: 'x' }] }, 'cameras'],
    ['near a camera without a position', { near: { camera: { ward: 'p07', camera: 'cam-02' }, radius: 100 } }, 'near'],
  ])('refuses %s, naming the field', (_name, place, field) => {
    expect(placeCameras(place, known)).toMatchObject({ ok: false, field });
  });
});

describe('createSightingSearch: place or kind, the same answer', () => {
  it('walks the shorter of the two, and finds the same sightings either way', async () => {
    const s = openHubStore(tempDir());
    const T = 1_764_061_200_000;
    const all: { id: string; ward: string; camera: string; label: string; colour: string; first: number }[] = [];
    await s.sql.tx(async (t) => {
      // 6 cameras; 2 000 white motorcycles, 20 red cars, spread over an hour
      for (let i = 0; i < 2020; i++) {
        const [label, colour] = i % 101 === 0 ? (['car', 'red'] as const) : (['motorcycle', 'white'] as const);
        const ward = i % 2 ? 'p07' : 'p08';
        const camera = `cam-0${i % 3}`;
        const first = T + Math.floor((i * 3_600_000) / 2020);
        const id = nextUlid();
        all.push({ id, ward, camera, label, colour, first });
        await applySightings(t, ward, ward, { msgId: nextUlid(), ward, camera, sightings: [{ id, camera, label, first, last: first + 5000, score: 0.8, box: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 }, bestAt: first, heading: 90, lines: [], zones: [], colour, final: true }] }, 0);
      }
    });
    const search = createSightingSearch(s.sql);
    const place = { wards: ['p07'], from: T, to: T + 3_600_000 };
    for (const [label, colour, driver] of [['car', 'red', 'kind'], ['motorcycle', 'white', 'place']] as const) {
      const expected = all.filter((x) => x.ward === 'p07' && x.label === label && x.colour === colour).sort((a, b) => b.first - a.first || (a.id < b.id ? 1 : -1));
      const got: string[] = [];
      let after: Cursor | undefined;
      let total: { n: number; exact: boolean } | undefined;
      for (;;) {
        const page = await search({ ...place, labels: [label], colours: [colour] }, { limit: 200, after });
        if ('error' in page) throw new Error(page.error.message);
        expect(page.driver).toBe(driver);
        total ??= page.total;
        got.push(...page.rows.map((r) => r.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(got).toEqual(expected.map((x) => x.id));
      expect(total).toEqual({ n: expected.length, exact: true });
    }
    await s.close();
  });
});
