// The cameras table: every camera the hub has heard of, by ward. Ingest keeps it; the health board, the counts
// query and the retention of counts walk it.
import type { Db } from '../../shared/db.js';

export type CameraSeen = (ward: string, camera: string, now: number) => void;

/** Records that a message of this camera arrived now (the first time: it joins the table). */
export function cameraSeen(db: Db): CameraSeen {
  const upsert = db.prepare<[string, string, number, number]>(`INSERT INTO cameras (ward, camera, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (ward, camera) DO UPDATE SET last_seen_at = excluded.last_seen_at`);
  return (ward, camera, now) => void upsert.run(ward, camera, now, now);
}

export type CameraPlaced = (ward: string, camera: string, location: { lat: number; lon: number }) => void;

/** Records where a camera is, as its box's status says (the search's "within R metres"). */
export function cameraPlaced(db: Db): CameraPlaced {
  const update = db.prepare<[number, number, string, string]>('UPDATE cameras SET lat = ?, lon = ? WHERE ward = ? AND camera = ?');
  return (ward, camera, { lat, lon }) => void update.run(lat, lon, ward, camera);
}
