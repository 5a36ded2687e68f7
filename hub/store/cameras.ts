// The cameras table: every camera the hub has heard of, by ward, with the box that sends it. Ingest keeps it; the
// health board, the counts query, the retention of counts and the commands to boxes (which box to ask) walk it.
import type { Db } from '../../shared/db.js';
import { cameraClaim } from './camera-claim.js';
import { Invalid } from './invalid.js';

/** Records that a message of this camera came from this box now; throws `Invalid` when another box holds it. */
export type CameraSeen = (ward: string, camera: string, box: string, now: number) => void;

export function cameraSeen(db: Db): CameraSeen {
  const held = db.prepare<[string, string], { box_id: string | null; last_seen_at: number }>('SELECT box_id, last_seen_at FROM cameras WHERE ward = ? AND camera = ?');
  const upsert = db.prepare<[string, string, string, number, number]>(`INSERT INTO cameras (ward, camera, box_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (ward, camera) DO UPDATE SET box_id = excluded.box_id, last_seen_at = excluded.last_seen_at`);
  return (ward, camera, box, now) => {
    const row = held.get(ward, camera);
    const claim = cameraClaim(row && { box: row.box_id, lastSeenAt: row.last_seen_at }, box, camera, now);
    if (!claim.ok) throw new Invalid('camera-of-another-box', claim.reason);
    upsert.run(ward, camera, box, now, now);
  };
}

export type CameraPlaced = (ward: string, camera: string, location: { lat: number; lon: number }) => void;

/** Records where a camera is, as its box's status says (the search's "within R metres"). */
export function cameraPlaced(db: Db): CameraPlaced {
  const update = db.prepare<[number, number, string, string]>('UPDATE cameras SET lat = ?, lon = ? WHERE ward = ? AND camera = ?');
  return (ward, camera, { lat, lon }) => void update.run(lat, lon, ward, camera);
}

/** The box to send a command about this camera to: the one that sends its data (undefined: never heard of). */
export function boxOfCamera(db: Db): (ward: string, camera: string) => string | undefined {
  const get = db.prepare<[string, string], { box_id: string | null }>('SELECT box_id FROM cameras WHERE ward = ? AND camera = ?');
  return (ward, camera) => get.get(ward, camera)?.box_id ?? undefined;
}
