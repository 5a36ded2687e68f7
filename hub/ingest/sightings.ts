// Applies a sightings message to the index: one row per sighting id, the version kept by sighting-merge.ts.
import type { Sighting, SightingsMessage } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import type { CameraSeen } from '../store/cameras.js';
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

export class SightingsWriter {
  private readonly version;
  private readonly put;

  constructor(
    db: Db,
    private readonly cameraSeen: CameraSeen,
  ) {
    this.version = db.prepare<[string], StoredVersion>('SELECT ward, camera, final, last FROM sightings WHERE id = ?');
    // one statement for both cases: ON CONFLICT keeps the rowid, so a replaced sighting stays where it was
    this.put = db.prepare(`INSERT INTO sightings
      (id, ward, camera, label, first, last, score, box, best_at, heading, lines, zones, colour, riders, final, updated_at, thumbnail)
      VALUES (@id, @ward, @camera, @label, @first, @last, @score, @box, @bestAt, @heading, @lines, @zones, @colour, @riders, @final, @now, @thumbnail)
      ON CONFLICT (id) DO UPDATE SET label = excluded.label, first = excluded.first, last = excluded.last, score = excluded.score,
        box = excluded.box, best_at = excluded.best_at, heading = excluded.heading, lines = excluded.lines, zones = excluded.zones,
        colour = excluded.colour, riders = excluded.riders, final = excluded.final, updated_at = excluded.updated_at,
        thumbnail = excluded.thumbnail`);
  }

  /**
   * Called inside the batch transaction. Checks the whole message first and throws `Invalid` before writing
   * anything: a sighting id that belongs to another ward or camera, or a thumbnail that is not a JPEG.
   */
  apply(ward: string, box: string, msg: SightingsMessage, now: number): SightingsOutcome {
    const stored = new Map<string, { final: boolean; last: number } | undefined>();
    const rows = msg.sightings.map((s) => {
      if (!stored.has(s.id)) {
        const v = this.version.get(s.id);
        if (v && (v.ward !== ward || v.camera !== s.camera)) {
          throw new Invalid('foreign-sighting', `sighting ${s.id} belongs to ward ${v.ward} camera ${v.camera}, not ${ward} ${s.camera}`);
        }
        stored.set(s.id, v && { final: v.final === 1, last: v.last });
      }
      return { s, thumbnail: thumbnailBytes(s) };
    });
    const outcome: SightingsOutcome = { written: 0, superseded: 0 };
    // in message order: a batch may hold a partial and the final of the same object
    for (const { s, thumbnail } of rows) {
      if (!supersedes(stored.get(s.id), s)) {
        outcome.superseded++;
        continue;
      }
      this.put.run({
        id: s.id,
        ward,
        camera: s.camera,
        label: s.label,
        first: s.first,
        last: s.last,
        score: s.score,
        box: JSON.stringify(s.box),
        bestAt: s.bestAt,
        heading: s.heading,
        lines: JSON.stringify(s.lines),
        zones: JSON.stringify(s.zones),
        colour: s.colour ?? null,
        riders: s.riders ?? null,
        final: s.final ? 1 : 0,
        now,
        thumbnail,
      });
      stored.set(s.id, { final: s.final, last: s.last });
      outcome.written++;
    }
    this.cameraSeen(ward, msg.camera, box, now);
    return outcome;
  }
}
