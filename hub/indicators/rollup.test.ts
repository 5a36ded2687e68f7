// The 15-minute rollups on a real hub index: kept equal to the sum of their minutes by ingest's counts writer
// (first message, a newer one replacing a minute, a repeat, an older one arriving late), pruned with the minutes,
// built from the minutes already there by the migration of an older hub database; and read back per local hour.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CountsMessage } from '../../shared/contract/index.js';
import { openDb } from '../../shared/db.js';
import { applyCounts } from '../ingest/counts.js';
import { hubMigrations } from '../store/schema.js';
import { openHubStore, type HubStore } from '../store/store.js';
import { pruneStreetRecords } from '../store/street-prune.js';
import { nextUlid, tempDir } from '../../testing/hub/test-support.js';
import { createIndicatorQuery } from './query.js';

const Q = 900_000;
// a local midnight in Hồ Chí Minh City (17:00 UTC)
const T0 = Date.parse('2026-12-01T17:00:00Z');
const msg = (minute: number, counts: CountsMessage['counts'], msgId = nextUlid(), camera = 'cam-01'): CountsMessage => ({ msgId, ward: 'p07', camera, minute, counts });
const c = (n: number, label: CountsMessage['counts'][number]['label'] = 'car', direction: 'forward' | 'backward' = 'forward'): CountsMessage['counts'][number] => ({ line: 'north', direction, label, n });

/** Every quarter's sums from the minutes themselves, and from the rollup: they must be the same. */
function both(store: HubStore) {
  const fromMinutes = store.db.prepare(`SELECT ward, camera, minute / ${Q} * ${Q} AS quarter, line, direction, label, sum(n) AS n FROM counts GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`).all();
  const rollup = store.db.prepare('SELECT ward, camera, quarter, line, direction, label, n FROM count_quarters ORDER BY 1, 2, 3, 4, 5, 6').all();
  const watched = store.db.prepare(`SELECT ward, camera, minute / ${Q} * ${Q} AS quarter, count(*) AS minutes FROM count_minutes GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`).all();
  const watchedRollup = store.db.prepare('SELECT ward, camera, quarter, minutes FROM count_quarter_minutes ORDER BY 1, 2, 3').all();
  return { fromMinutes, rollup, watched, watchedRollup };
}

describe('the 15-minute rollups', () => {
  it('stay the sum of their minutes through writes, replacements, repeats and late old messages', async () => {
    const store = openHubStore(tempDir());
    const apply = (m: CountsMessage) => store.sql.tx((t) => applyCounts(t, 'p07', 'p07', m, 0));
    const old = msg(T0 + 60_000, [c(4), c(1, 'bus', 'backward')]);
    const newer = msg(T0 + 60_000, [c(6)]);
    const steps: [string, () => unknown, { car: number; bus?: number }][] = [
      ['first minute', () => apply(msg(T0, [c(2)])), { car: 2 }],
      ['second minute, two labels', () => apply(old), { car: 6, bus: 1 }],
      ['the second minute again (a repeat)', () => apply(old), { car: 6, bus: 1 }],
      ['a newer message replaces the second minute (no bus after all)', () => apply(newer), { car: 8 }],
      ['the older message arriving late changes nothing', () => apply({ ...old, msgId: old.msgId }), { car: 8 }],
      ['an empty minute: watched, nothing counted', () => apply(msg(T0 + 120_000, [])), { car: 8 }],
      ['the next quarter', () => apply(msg(T0 + Q, [c(5)])), { car: 8 }],
    ];
    for (const [name, step, expected] of steps) {
      await step();
      const first = store.db.prepare<[number], { label: string; n: number }>('SELECT label, n FROM count_quarters WHERE quarter = ? ORDER BY label').all(T0);
      expect(Object.fromEntries(first.map((r) => [r.label, r.n])), name).toEqual(expected);
      const b = both(store);
      expect(b.rollup, name).toEqual(b.fromMinutes);
      expect(b.watchedRollup, name).toEqual(b.watched);
    }
    expect(store.db.prepare('SELECT minutes FROM count_quarter_minutes WHERE quarter = ?').pluck().get(T0)).toBe(3);
    await store.close();
  });

  it('are read per local hour and day, with the minutes watched', async () => {
    const store = openHubStore(tempDir());
    await store.sql.tx(async (t) => {
      // two hours of minutes: 1 car each, 2 motorcycles each in the second hour; cam-02 one minute of 7 buses
      for (let m = 0; m < 120; m++) await applyCounts(t, 'p07', 'p07', msg(T0 + m * 60_000, m < 60 ? [c(1)] : [c(1), c(2, 'motorcycle')]), 0);
      await applyCounts(t, 'p07', 'p07', msg(T0 + 30 * 60_000, [c(7, 'bus')], nextUlid(), 'cam-02'), 0);
    });
    const q = createIndicatorQuery(store.sql);
    const base = { from: T0, to: T0 + 2 * 3_600_000, timeZone: 'Asia/Ho_Chi_Minh' };
    expect(await q.run({ ...base, bucket: 'hour', by: [] })).toEqual({
      rows: [{ at: T0, n: 67 }, { at: T0 + 3_600_000, n: 180 }],
      watched: [{ at: T0, minutes: 61 }, { at: T0 + 3_600_000, minutes: 60 }],
    });
    expect((await q.run({ ...base, bucket: 'day', by: ['camera', 'label'] })).rows).toEqual([
      { at: T0, camera: 'cam-01', label: 'car', n: 120 },
      { at: T0, camera: 'cam-01', label: 'motorcycle', n: 120 },
      { at: T0, camera: 'cam-02', label: 'bus', n: 7 },
    ]);
    expect((await q.run({ ...base, ward: 'p07', camera: 'cam-02', bucket: 'quarter', by: ['label'] })).rows).toEqual([{ at: T0 + 2 * Q, label: 'bus', n: 7 }]);
    await store.close();
  });

  it('go with their minutes when retention prunes them', async () => {
    const store = openHubStore(tempDir());
    await store.sql.tx(async (t) => {
      for (let m = 0; m < 90; m++) await applyCounts(t, 'p07', 'p07', msg(T0 + m * 60_000, [c(1)]), 0);
    });
    await pruneStreetRecords(store, { sightings: 0, counts: T0 + 30 * 60_000 });
    expect(store.db.prepare('SELECT quarter FROM count_quarters ORDER BY quarter').pluck().all()).toEqual([T0 + 2 * Q, T0 + 3 * Q, T0 + 4 * Q, T0 + 5 * Q]);
    expect(store.db.prepare('SELECT min(minute) FROM counts').pluck().get()).toBe(T0 + 30 * 60_000);
    await store.close();
  });

  it('are built from the minutes of a hub database made before them (migration 10), and the search indexes replace the old ones', async () => {
    const root = tempDir();
    const before = openDb(path.join(root, 'hub.db'), hubMigrations.slice(0, 9));
    before.prepare("INSERT INTO cameras (ward, camera, first_seen_at, last_seen_at) VALUES ('p07', 'cam-01', 0, 0)").run();
    const minute = before.prepare("INSERT INTO count_minutes (ward, camera, minute, msg_id) VALUES ('p07', 'cam-01', ?, ?)");
    const count = before.prepare("INSERT INTO counts (ward, camera, minute, line, direction, label, n) VALUES ('p07', 'cam-01', ?, 'north', 'forward', 'car', ?)");
    for (let m = 0; m < 20; m++) {
      minute.run(T0 + m * 60_000, nextUlid());
      count.run(T0 + m * 60_000, m + 1);
    }
    before.close();

    const store = openHubStore(root);
    expect(store.db.prepare('SELECT quarter, n FROM count_quarters ORDER BY quarter').all()).toEqual([{ quarter: T0, n: 120 }, { quarter: T0 + Q, n: 90 }]);
    expect(store.db.prepare('SELECT quarter, minutes FROM count_quarter_minutes ORDER BY quarter').all()).toEqual([{ quarter: T0, minutes: 15 }, { quarter: T0 + Q, minutes: 5 }]);
    const indexes = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sightings' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['sightings_first', 'sightings_kind', 'sightings_place']);
    expect(store.db.prepare("SELECT lat, lon FROM cameras WHERE camera = 'cam-01'").get()).toEqual({ lat: null, lon: null });
    await store.close();
  });
});
