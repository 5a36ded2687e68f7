import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../store/cursor.js';
import { openHubStore } from '../store/store.js';
import { tempDir } from '../../testing/hub/test-support.js';
import { createIncidentQuery, driverFor } from './incident-query.js';
import { seedIncident } from '../../testing/hub/api/test-seed.js';

const now = 1_780_000_000_000;

describe('cursor', () => {
  it('round-trips and refuses anything that is not one of ours', () => {
    const c = { start: now, id: '01KAXG4Z7M5P2V8N3Q6R9T0W1Z' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'x', '***', Buffer.from('[1,"../../etc"]').toString('base64url'), Buffer.from('[1.5,"01KAXG4Z7M5P2V8N3Q6R9T0W1Z"]').toString('base64url'), Buffer.from('{"start":1}').toString('base64url'), 'A'.repeat(300)]) {
      expect(decodeCursor(bad), bad).toBeUndefined();
    }
  });
});

describe('driverFor', () => {
  it.each([
    [{}, 'start'],
    [{ minScore: 0.9, from: 1 }, 'start'],
    [{ ward: 'p07' }, 'ward'],
    [{ ward: 'p07', camera: 'c1', label: 'car' }, 'camera'],
    [{ ward: 'p07', label: 'car', forwarded: true }, 'ward-label'],
    [{ ward: 'p07', forwarded: true }, 'forwarded'],
    [{ forwarded: false, label: 'bus' }, 'label'],
    [{ zone: 'crossing', ward: 'p07', camera: 'c1' }, 'zone'],
  ] as const)('%j → %s', (filter, expected) => {
    expect(driverFor(filter)).toBe(expected);
  });
});

describe('the zone index', () => {
  it('follows inserts, zone changes and deletes of incidents (triggers), so a zone filter never shows a stale row', async () => {
    const store = openHubStore(tempDir('ww-zones-'));
    const query = createIncidentQuery(store.sql);
    const ids = async (zone: string, ward?: string) => (await query({ zone, ward }, { limit: 50 })).rows.map((r) => r.id);
    const a = seedIncident(store, { start: now, zones: ['crossing', 'crossing', 'school'] });
    const b = seedIncident(store, { start: now + 1, ward: 'p08', zones: ['school'] });
    expect(await ids('crossing')).toEqual([a.id]);
    expect(await ids('school')).toEqual([b.id, a.id]);
    expect(await ids('school', 'p08')).toEqual([b.id]);
    // ingest rewrites zones as they grow; retention deletes
    store.db.prepare('UPDATE incidents SET zones = ? WHERE id = ?').run('["market"]', a.id);
    expect(await ids('crossing')).toEqual([]);
    expect(await ids('market')).toEqual([a.id]);
    store.db.prepare('DELETE FROM incidents WHERE id = ?').run(b.id);
    expect(await ids('school')).toEqual([]);
    expect(store.db.prepare('SELECT count(*) FROM incident_zones').pluck().get()).toBe(1);
    await store.close();
  });
});
