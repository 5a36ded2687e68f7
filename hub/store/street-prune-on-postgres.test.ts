// The prune of sightings and counts gives the same answers on PostgreSQL as on SQLite: the same district ingested into
// a hub index of each engine (hub/ingest's sightings and counts), pruned in small batches, then what it reports and
// every row left (sightings, their line crossings, counts, minutes, quarters) compared.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sighting } from '../../shared/contract/index.js';
import type { Sql } from '../../shared/sql/sql.js';
import { bothIndexes } from '../../testing/hub/postgres-index.js';
import { applyCounts } from '../ingest/counts.js';
import { applySightings } from '../ingest/sightings.js';
import { DAY_MS } from './retention.js';
import type { HubStore } from './store.js';
import { pruneStreetRecords, type StreetPruneResult } from './street-prune.js';

const both = bothIndexes('hub/store/street-prune-on-postgres.test.ts');
const { noPostgres } = both;
let lite: HubStore;

const NOW = Date.UTC(2026, 0, 31);
const MIN = 60_000;
const daysAgo = (d: number) => NOW - d * DAY_MS;
const minuteOf = (ms: number) => ms - (ms % MIN);
const CUT = { sightings: daysAgo(90), counts: daysAgo(400) };

const sighting = (id: string, camera: string, first: number, line: boolean): Sighting => ({
  id, camera, label: 'motorcycle', first, last: first + 5000, score: 0.8, box: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 }, bestAt: first + 1000,
  heading: 90, lines: line ? [{ line: 'pdl', direction: 'forward', at: first + 2000 }] : [], zones: [], colour: 'red', final: true,
});

/** Two wards' cameras: sightings either side of the cut (some crossing a line), counts from 500 to 399 days back. */
async function seed(sql: Sql): Promise<void> {
  await sql.tx(async (t) => {
    for (const [w, ward] of ['p07', 'p08'].entries()) {
      for (const [c, camera] of ['cam-01', 'cam-02'].entries()) {
        for (let i = 0; i < 12; i++) {
          const id = `01JDQ6Z8000000000${w}${c}${String(i).padStart(7, '0')}`;
          await applySightings(t, ward, ward, { msgId: id, ward, camera, sightings: [sighting(id, camera, daysAgo(95 - i) - i * 1000, i % 3 === 0)] }, NOW);
        }
        // ten hours of minutes 401 days back (more than two windows), a few older, one minute inside the kept range
        const old = minuteOf(daysAgo(camera === 'cam-01' ? 401 : 500));
        for (let m = 0; m < (camera === 'cam-01' ? 600 : 30); m += camera === 'cam-01' ? 7 : 1) {
          await applyCounts(t, ward, ward, { msgId: `${ward}-${camera}-${m}`, ward, camera, minute: old + m * MIN, counts: [{ line: 'pdl', direction: 'forward', label: 'car', n: 1 + (m % 5) }, { line: 'pdl', direction: 'backward', label: 'bus', n: 1 }] }, NOW);
        }
        await applyCounts(t, ward, ward, { msgId: `${ward}-${camera}-kept`, ward, camera, minute: minuteOf(daysAgo(399)), counts: [{ line: 'pdl', direction: 'backward', label: 'car', n: 3 }] }, NOW);
      }
    }
  });
}

/** Everything the prune may touch, ordered the same on both engines. */
async function left(sql: Sql): Promise<Record<string, unknown[]>> {
  return {
    sightings: await sql.all('SELECT id, ward, camera, first FROM sightings ORDER BY id'),
    lines: await sql.all('SELECT ward, camera, line, at, id, direction FROM sighting_lines ORDER BY id, line, at'),
    counts: await sql.all('SELECT ward, camera, minute, line, direction, label, n FROM counts ORDER BY ward, camera, minute, direction, label'),
    minutes: await sql.all('SELECT ward, camera, minute FROM count_minutes ORDER BY ward, camera, minute'),
    quarters: await sql.all('SELECT ward, camera, quarter, line, direction, label, n FROM count_quarters ORDER BY ward, camera, quarter, direction, label'),
    quarterMinutes: await sql.all('SELECT ward, camera, quarter, minutes FROM count_quarter_minutes ORDER BY ward, camera, quarter'),
  };
}

async function prune(sql: Sql): Promise<{ result: StreetPruneResult; before: Record<string, unknown[]>; after: Record<string, unknown[]> }> {
  await seed(sql);
  const before = await left(sql);
  const result = await pruneStreetRecords({ sql }, CUT, { sightingBatchRows: 5, countBatchMinutes: 120 });
  return { result, before, after: await left(sql) };
}

beforeAll(() => {
  lite = both.lite();
});

describe.skipIf(noPostgres)('the prune of sightings and counts on PostgreSQL and SQLite: the same answers', () => {
  it('deletes the same sightings (their line crossings too) and camera-minutes (their quarters too), in batches, keeping the same rows', async () => {
    const sqlite = await prune(lite.sql);
    // the prune did something and kept something, of each kind
    expect(sqlite.result).toMatchObject({ finished: true, sightingsDeleted: 4 * 6 });
    expect(sqlite.result.countMinutesDeleted).toBeGreaterThan(0);
    for (const [table, rows] of Object.entries(sqlite.after)) {
      expect(rows.length, table).toBeGreaterThan(0);
      expect(rows.length, table).toBeLessThan(sqlite.before[table]!.length);
    }
    const pg = await prune(both.pg());
    expect(pg.before).toEqual(sqlite.before);
    expect(pg.result).toEqual(sqlite.result);
    expect(pg.after).toEqual(sqlite.after);
  });
});
