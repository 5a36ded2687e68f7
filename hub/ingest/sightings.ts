// Applies a sightings message to the index: one row per sighting id, the version kept by sighting-merge.ts.
import type { Sighting, SightingsMessage } from '../../shared/contract/index.js';
import type { Sql } from '../../shared/sql/sql.js';
import { cameraSeen } from '../store/cameras.js';
import { Invalid } from '../store/invalid.js';
import { supersedes } from './sighting-merge.js';

interface StoredVersion {
  ward: string;
  camera: string;
  final: number;
  last: number;
}

export interface SightingsOutcome {
  /** sightings inserted or replaced */
  written: number;
  /** sightings the index already held in the same or a newer version */
  superseded: number;
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

/** The thumbnail's JPEG bytes; throws `Invalid` for base64 that is not a JPEG (the hub serves it as image/jpeg). */
function thumbnailBytes(s: Sighting): Buffer | null {
  if (s.thumbnail === undefined) return null;
  const bytes = Buffer.from(s.thumbnail, 'base64');
  if (!bytes.subarray(0, 3).equals(JPEG_MAGIC)) throw new Invalid('not-jpeg', `sighting ${s.id}: thumbnail is not a JPEG (it must start FF D8 FF)`);
  return bytes;
}

// one statement for both cases: ON CONFLICT keeps the rowid, so a replaced sighting stays where it was
const PUT = `INSERT INTO sightings
  (id, ward, camera, label, first, last, score, box, best_at, heading, lines, zones, colour, riders, final, updated_at, thumbnail)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (id) DO UPDATE SET label = excluded.label, first = excluded.first, last = excluded.last, score = excluded.score,
    box = excluded.box, best_at = excluded.best_at, heading = excluded.heading, lines = excluded.lines, zones = excluded.zones,
    colour = excluded.colour, riders = excluded.riders, final = excluded.final, updated_at = excluded.updated_at,
    thumbnail = excluded.thumbnail`;

/**
 * Applies a sightings message inside the batch transaction. Checks the whole message first and throws `Invalid`
 * before writing anything: a sighting id that belongs to another ward or camera, or a thumbnail that is not a JPEG.
 */
export async function applySightings(t: Sql, ward: string, box: string, msg: SightingsMessage, now: number): Promise<SightingsOutcome> {
  const stored = new Map<string, { final: boolean; last: number } | undefined>();
  const rows: { s: Sighting; thumbnail: Buffer | null }[] = [];
  for (const s of msg.sightings) {
    if (!stored.has(s.id)) {
      const v = await t.get<StoredVersion>('SELECT ward, camera, final, last FROM sightings WHERE id = ?', [s.id]);
      if (v && (v.ward !== ward || v.camera !== s.camera)) {
        throw new Invalid('foreign-sighting', `sighting ${s.id} belongs to ward ${v.ward} camera ${v.camera}, not ${ward} ${s.camera}`);
      }
      stored.set(s.id, v && { final: v.final === 1, last: v.last });
    }
    rows.push({ s, thumbnail: thumbnailBytes(s) });
  }
  const outcome: SightingsOutcome = { written: 0, superseded: 0 };
  // in message order: a batch may hold a partial and the final of the same object
  for (const { s, thumbnail } of rows) {
    if (!supersedes(stored.get(s.id), s)) {
      outcome.superseded++;
      continue;
    }
    await t.run(PUT, [
      s.id, ward, s.camera, s.label, s.first, s.last, s.score, JSON.stringify(s.box), s.bestAt, s.heading, JSON.stringify(s.lines),
      JSON.stringify(s.zones), s.colour ?? null, s.riders ?? null, s.final ? 1 : 0, now, thumbnail,
    ]);
    stored.set(s.id, { final: s.final, last: s.last });
    outcome.written++;
  }
  await cameraSeen(t, ward, msg.camera, box, now);
  return outcome;
}
