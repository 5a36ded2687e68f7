// Test helpers for the API: incidents written straight into a hub store, with snapshot and clip files.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monotonicFactory } from 'ulid';
import { storePaths } from '../../../hub/store/paths.js';
import type { HubStore } from '../../../hub/store/store.js';

const ulid = monotonicFactory();

export interface SeedSpec {
  id?: string;
  ward?: string;
  camera?: string;
  label?: string;
  topScore?: number;
  zones?: string[];
  start: number;
  forwarded?: boolean;
  snapshot?: Buffer;
  clip?: Buffer;
}

export interface Seeded {
  id: string;
  ward: string;
  camera: string;
  label: string;
  topScore: number;
  zones: string[];
  start: number;
  forwarded: boolean;
}

/** Inserts one ended incident (and its files); returns what a filter test compares against. */
export function seedIncident(store: HubStore, spec: SeedSpec): Seeded {
  const s: Seeded = {
    id: spec.id ?? ulid(),
    ward: spec.ward ?? 'p07',
    camera: spec.camera ?? 'cam-01',
    label: spec.label ?? 'car',
    topScore: spec.topScore ?? 0.8,
    zones: spec.zones ?? [],
    start: spec.start,
    forwarded: spec.forwarded ?? false,
  };
  const write = (relative: string, data: Buffer) => {
    const file = store.resolve(relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    return relative;
  };
  const snapshotPath = spec.snapshot ? write(storePaths.snapshot(s.ward, s.id), spec.snapshot) : null;
  const clipPath = spec.clip ? write(storePaths.clip(s.ward, s.id), spec.clip) : null;
  store.db
    .prepare(
      `INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, end, state, last_msg_id, snapshot_path, snapshot_msg_id,
        clip_state, clip_path, forwarded, forward_checked, created_at, updated_at)
       VALUES (@id, @ward, @camera, @label, @score, @score, '{"x":0.1,"y":0.2,"w":0.3,"h":0.2}', @zones, @start, @end, 'ended', @id, @snapshotPath, @id,
        @clipState, @clipPath, @forwarded, 1, @start, @start)`,
    )
    .run({
      id: s.id,
      ward: s.ward,
      camera: s.camera,
      label: s.label,
      score: s.topScore,
      zones: JSON.stringify(s.zones),
      start: s.start,
      end: s.start + 14_000,
      snapshotPath,
      clipState: clipPath ? 'present' : 'none',
      clipPath,
      forwarded: s.forwarded ? 1 : 0,
    });
  store.db.prepare('INSERT OR IGNORE INTO cameras (ward, camera, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)').run(s.ward, s.camera, s.start, s.start);
  return s;
}
