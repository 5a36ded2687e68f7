// The cameras table: every camera the hub has heard of, by ward, with the box that sends it. Ingest keeps it; the
// health board, the counts query, the retention of counts and the commands to boxes (which box to ask) walk it.
import type { Sql } from '../../shared/sql/sql.js';
import { cameraClaim, lastSeenDue } from './camera-claim.js';
import { Invalid } from './invalid.js';

/**
 * Records that a message of this camera came from this box now (to LAST_SEEN_EVERY_MS); throws `Invalid` when another
 * box holds it.
 */
export type CameraSeen = (t: Sql, ward: string, camera: string, box: string, now: number) => Promise<void>;

export const cameraSeen: CameraSeen = async (t, ward, camera, box, now) => {
  const row = await t.get<{ box_id: string | null; last_seen_at: number }>('SELECT box_id, last_seen_at FROM cameras WHERE ward = ? AND camera = ?', [ward, camera]);
  const claim = cameraClaim(row && { box: row.box_id, lastSeenAt: row.last_seen_at }, box, camera, now);
  if (!claim.ok) throw new Invalid('camera-of-another-box', claim.reason);
  if (row && row.box_id === box && !lastSeenDue(row.last_seen_at, now)) return;
  await t.run(
    `INSERT INTO cameras (ward, camera, box_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (ward, camera) DO UPDATE SET box_id = excluded.box_id, last_seen_at = excluded.last_seen_at`,
    [ward, camera, box, now, now],
  );
};

/** Records where a camera is, as its box's status says (the search's "within R metres"). */
export async function cameraPlaced(t: Sql, ward: string, camera: string, { lat, lon }: { lat: number; lon: number }): Promise<void> {
  await t.run('UPDATE cameras SET lat = ?, lon = ? WHERE ward = ? AND camera = ?', [lat, lon, ward, camera]);
}
