import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Sighting } from '../../shared/contract/index.js';
import { silentLogger } from '../../shared/log.js';
import { applyCounts } from '../ingest/counts.js';
import { applySightings } from '../ingest/sightings.js';
import { tempDir } from '../../testing/hub/test-support.js';
import { chooseRetention, DAY_MS, type IncidentCandidate, type RetentionPolicy } from './retention.js';
import { applyRetention, RETENTION_LOCK, runRetention } from './retention-run.js';
import { openHubStore } from './store.js';

const NOW = Date.UTC(2026, 0, 31);
const policy: RetentionPolicy = { incidentDays: 365, clipDays: 90, seenMsgDays: 60, sightingDays: 90, countDays: 400 };
const daysAgo = (d: number) => NOW - d * DAY_MS;

describe('chooseRetention', () => {
  it.each<[string, IncidentCandidate, 'delete' | 'expire' | 'keep']>([
    ['a new incident', { id: 'a', start: daysAgo(1), held: false, hasFiles: true }, 'keep'],
    ['an incident just under clipDays', { id: 'a', start: daysAgo(89.9), held: false, hasFiles: true }, 'keep'],
    ['an incident past clipDays with files', { id: 'a', start: daysAgo(91), held: false, hasFiles: true }, 'expire'],
    ['an incident past clipDays whose files are gone', { id: 'a', start: daysAgo(91), held: false, hasFiles: false }, 'keep'],
    ['a held incident past clipDays', { id: 'a', start: daysAgo(91), held: true, hasFiles: true }, 'keep'],
    ['an incident past incidentDays', { id: 'a', start: daysAgo(366), held: false, hasFiles: true }, 'delete'],
    ['an incident past incidentDays without files', { id: 'a', start: daysAgo(400), held: false, hasFiles: false }, 'delete'],
    ['a held incident past incidentDays', { id: 'a', start: daysAgo(3000), held: true, hasFiles: true }, 'keep'],
  ])('%s: %s', (_name, incident, expected) => {
    const plan = chooseRetention([incident], [], policy, NOW);
    const got = plan.deleteIncidents.includes('a') ? 'delete' : plan.expireFiles.includes('a') ? 'expire' : 'keep';
    expect(got).toBe(expected);
  });

  it.each([
    ['an abandoned transfer', 'receiving', 100, false, true],
    ['a recent transfer', 'receiving', 10, false, false],
    ['a finished transfer past clipDays', 'present', 100, false, true],
    ['a transfer of a held incident', 'present', 100, true, false],
    ['a transfer waiting for its hash check', 'verifying', 100, false, false],
  ] as const)('transfers: %s dropped %s', (_name, state, age, held, dropped) => {
    const plan = chooseRetention([], [{ eventId: 't', state, updatedAt: daysAgo(age), held }], policy, NOW);
    expect(plan.dropTransfers.includes('t')).toBe(dropped);
  });

  it('forgets seen msgIds after seenMsgDays', () => {
    expect(chooseRetention([], [], policy, NOW).forgetSeenBefore).toBe(daysAgo(60));
  });
});

describe('applyRetention', () => {
  it('deletes old rows and files, expires old clips, and never touches a held incident', async () => {
    const root = tempDir();
    const store = openHubStore(root);
    const insert = store.db.prepare(`INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, state, last_msg_id,
      snapshot_path, clip_state, clip_path, held, created_at, updated_at) VALUES (?, 'p07', 'cam-01', 'car', 0.8, 0.8, '{}', '[]', ?, 'ended', 'm',
      ?, 'present', ?, ?, 0, 0)`);
    const withFiles = (id: string, age: number, held: 0 | 1) => {
      const snap = `snapshots/p07/${id}.jpg`;
      const clip = `clips/p07/${id}.mp4`;
      for (const f of [snap, clip]) {
        mkdirSync(path.dirname(store.resolve(f)), { recursive: true });
        writeFileSync(store.resolve(f), id);
      }
      insert.run(id, daysAgo(age), snap, clip, held);
      return { snap: store.resolve(snap), clip: store.resolve(clip) };
    };
    const ancient = withFiles('ancient', 400, 0);
    const held = withFiles('held', 400, 1);
    const old = withFiles('old', 100, 0);
    const fresh = withFiles('fresh', 5, 0);
    store.db.prepare('INSERT INTO seen_msgs VALUES (?, ?), (?, ?)').run('m-old', daysAgo(61), 'm-new', daysAgo(1));

    const result = await applyRetention(store, policy, NOW, silentLogger());

    expect(result).toMatchObject({ incidentsDeleted: 1, filesExpired: 1, seenForgotten: 1 });
    expect(await store.getIncident('ancient')).toBeUndefined();
    expect(existsSync(ancient.clip) || existsSync(ancient.snap)).toBe(false);
    expect(await store.getIncident('old')).toMatchObject({ clip_state: 'expired', clip_path: null, snapshot_path: null });
    expect(existsSync(old.clip) || existsSync(old.snap)).toBe(false);
    expect(await store.getIncident('held')).toMatchObject({ clip_state: 'present', held: 1 });
    expect(existsSync(held.clip) && existsSync(held.snap)).toBe(true);
    expect(await store.getIncident('fresh')).toMatchObject({ clip_state: 'present' });
    expect(existsSync(fresh.clip)).toBe(true);
    await store.close();
  });
});

describe('retention of sightings and counts', () => {
  const sighting = (id: string, first: number, lines: { line: string; direction: 'forward' | 'backward'; at: number }[] = []): Sighting => ({
    id, camera: 'cam-01', label: 'motorcycle', first, last: first + 5000, score: 0.8, box: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 }, bestAt: first + 1000,
    heading: 90, lines, zones: [], colour: 'red', final: true,
  });

  it('deletes old sightings (their line crossings too) and old camera-minutes in small transactions, keeping the rest', async () => {
    const store = openHubStore(tempDir());
    const ids = Array.from({ length: 8 }, (_, i) => `01JDQ6Z80000000000000000${String(i).padStart(2, '0')}`);
    await store.sql.tx(async (t) => {
      for (const [i, id] of ids.entries()) {
        const first = i < 5 ? daysAgo(91 + i) : daysAgo(89 - i);
        await applySightings(t, 'p07', 'p07', { msgId: id, ward: 'p07', camera: 'cam-01', sightings: [sighting(id, first, [{ line: 'pdl', direction: 'forward', at: first + 2000 }])] }, NOW);
      }
      // cam-01: ten hours of minutes 401 days ago (more than one batch window), one minute 399 days ago; cam-02: old only
      for (let m = 0; m < 600; m++) {
        await applyCounts(t, 'p07', 'p07', { msgId: ids[0]!, ward: 'p07', camera: 'cam-01', minute: daysAgo(401) - (daysAgo(401) % 60_000) + m * 60_000, counts: [{ line: 'pdl', direction: 'forward', label: 'car', n: 2 }] }, NOW);
      }
      await applyCounts(t, 'p07', 'p07', { msgId: ids[0]!, ward: 'p07', camera: 'cam-01', minute: daysAgo(399) - (daysAgo(399) % 60_000), counts: [{ line: 'pdl', direction: 'backward', label: 'bus', n: 1 }] }, NOW);
      await applyCounts(t, 'p07', 'p07', { msgId: ids[0]!, ward: 'p07', camera: 'cam-02', minute: daysAgo(500) - (daysAgo(500) % 60_000), counts: [] }, NOW);
    });
    let pauses = 0;
    const result = await applyRetention(store, policy, NOW, silentLogger(), { sightingBatchRows: 2, pause: async () => void pauses++ });

    expect(await result.street).toEqual({ sightingsDeleted: 5, countMinutesDeleted: 601, countsDeleted: 600, finished: true });
    expect(pauses).toBeGreaterThanOrEqual(2 + 3); // sightings 2 by 2; 600 minutes in windows of 240
    const left = (sql: string) => store.db.prepare(sql).pluck().all();
    expect(left('SELECT id FROM sightings ORDER BY id')).toEqual(ids.slice(5));
    expect(left('SELECT id FROM sighting_lines ORDER BY id')).toEqual(ids.slice(5));
    expect(left('SELECT label FROM counts')).toEqual(['bus']);
    expect(left('SELECT camera FROM count_minutes')).toEqual(['cam-01']);
    await store.close();
  });

  it('lets a run that finds the prune still going share it, and stops when the store closes', async () => {
    const store = openHubStore(tempDir());
    await store.sql.tx(async (t) => {
      for (let i = 0; i < 10; i++) {
        const id = `01JDQ6Z80000000000000000${String(i).padStart(2, '0')}`;
        await applySightings(t, 'p07', 'p07', { msgId: id, ward: 'p07', camera: 'cam-01', sightings: [sighting(id, daysAgo(100))] }, NOW);
      }
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = await applyRetention(store, policy, NOW, silentLogger(), { sightingBatchRows: 3, pause: () => gate });
    const second = await applyRetention(store, policy, NOW, silentLogger(), { sightingBatchRows: 3 });
    expect(second.street).toBe(first.street);
    await store.close();
    release();
    expect(await first.street).toMatchObject({ sightingsDeleted: 3, finished: false });
  });

  it('runs in one process at a time: a run while another holds the retention lock does nothing; the lock is free again after the prune', async () => {
    const store = openHubStore(tempDir());
    await store.sql.tx(async (t) => {
      for (let i = 0; i < 4; i++) {
        const id = `01JDQ6Z80000000000000000${String(i).padStart(2, '0')}`;
        await applySightings(t, 'p07', 'p07', { msgId: id, ward: 'p07', camera: 'cam-01', sightings: [sighting(id, daysAgo(100))] }, NOW);
      }
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let clipDays: number | undefined;
    const retrievals = { applyRetention: async (_hub: unknown, days: number) => ((clipDays = days), 0) };
    const first = await runRetention(store, policy, NOW, silentLogger(), { retrievals, streetOptions: { sightingBatchRows: 2, pause: () => gate } });
    expect(first).toBeDefined();
    expect(clipDays).toBe(policy.clipDays);
    // held through the prune: another process's run (here, this one's next) finds it taken
    expect(await runRetention(store, policy, NOW, silentLogger())).toBeUndefined();
    expect(await store.sql.tryAdvisoryLock(RETENTION_LOCK)).toBeNull();
    release();
    expect(await first!.street).toEqual({ sightingsDeleted: 4, countMinutesDeleted: 0, countsDeleted: 0, finished: true });
    await new Promise((r) => setImmediate(r));
    const lock = await store.sql.tryAdvisoryLock(RETENTION_LOCK);
    expect(lock).not.toBeNull();
    await lock!.release();
    expect(await runRetention(store, policy, NOW, silentLogger())).toMatchObject({ incidentsDeleted: 0 });
    await store.close();
  });
});
