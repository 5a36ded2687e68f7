// Migration 12 on an index written before boxes: every ward becomes one box of its id, its status the box's, its
// cameras, incidents and clip transfers the box's; nothing else changes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../shared/db.js';
import { hubMigrations } from './schema.js';

describe('migration 12: boxes apart from wards', () => {
  it('turns each ward of an older index into one box of the same id, keeping what it had', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-m12-')), 'hub.db');
    const old = openDb(file, hubMigrations.slice(0, 11));
    old.prepare("INSERT INTO wards (id, name, last_seen_at) VALUES ('p07', 'Phường 7', 1000)").run();
    old.prepare(`INSERT INTO ward_status (ward, state, status, at, updated_at) VALUES ('p07', 'online', '{}', 900, 1000)`).run();
    old.prepare("INSERT INTO cameras (ward, camera, first_seen_at, last_seen_at) VALUES ('p07', 'cam-01', 1, 1000)").run();
    old.prepare(`INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, end, state, last_msg_id, clip_state, created_at, updated_at)
      VALUES ('01J0000000000000000000000A', 'p07', 'cam-01', 'car', 0.8, 0.8, '{}', '[]', 1, NULL, 'open', 'm1', 'none', 1, 1)`).run();
    old.prepare("INSERT INTO invalid_messages (ward, kind, count, last_reason, last_at) VALUES ('p07', 'schema', 2, 'bad', 1)").run();
    old.close();

    const db = openDb(file, hubMigrations);
    expect(db.prepare('SELECT id, ward, name, last_seen_at FROM boxes').all()).toEqual([{ id: 'p07', ward: 'p07', name: 'Phường 7', last_seen_at: 1000 }]);
    expect(db.prepare('SELECT box_id, state, at FROM box_status').all()).toEqual([{ box_id: 'p07', state: 'online', at: 900 }]);
    expect(db.prepare('SELECT ward, camera, box_id FROM cameras').all()).toEqual([{ ward: 'p07', camera: 'cam-01', box_id: 'p07' }]);
    expect(db.prepare('SELECT ward, box_id, box FROM incidents').all()).toEqual([{ ward: 'p07', box_id: 'p07', box: '{}' }]);
    expect(db.prepare('SELECT box_id, kind, count FROM invalid_messages').all()).toEqual([{ box_id: 'p07', kind: 'schema', count: 2 }]);
    db.close();
  });
});
