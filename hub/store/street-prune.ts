// Deletes expired sightings and counts in small transactions, yielding between them: a dense district makes
// millions of rows a day, and one transaction for all of them would hold ingest (same connection) for seconds.
import type { HubStore } from './store.js';

/** sightings per transaction (their line crossings go with them, by trigger) */
export const SIGHTING_BATCH_ROWS = 2000;
/** minutes of one camera's counts per transaction (~8 rows a minute on a busy camera) */
export const COUNT_BATCH_MINUTES = 240;

export interface StreetPruneResult {
  sightingsDeleted: number;
  countMinutesDeleted: number;
  countsDeleted: number;
  /** false when the store closed before the prune was through (the next run goes on) */
  finished: boolean;
}

export interface StreetPruneOptions {
  sightingBatchRows?: number;
  countBatchMinutes?: number;
  /** between transactions; default: one turn of the event loop */
  pause?: () => Promise<void>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sightings first seen before `cut.sightings` and camera-minutes before `cut.counts` go. */
export async function pruneStreetRecords(store: HubStore, cut: { sightings: number; counts: number }, options: StreetPruneOptions = {}): Promise<StreetPruneResult> {
  const { db } = store;
  const pause = options.pause ?? nextTurn;
  const batchRows = options.sightingBatchRows ?? SIGHTING_BATCH_ROWS;
  const windowMs = (options.countBatchMinutes ?? COUNT_BATCH_MINUTES) * 60_000;
  const result: StreetPruneResult = { sightingsDeleted: 0, countMinutesDeleted: 0, countsDeleted: 0, finished: false };

  const sightings = db.prepare<[number, number]>(
    'DELETE FROM sightings WHERE rowid IN (SELECT rowid FROM sightings INDEXED BY sightings_first WHERE first < ? ORDER BY first LIMIT ?)',
  );
  for (;;) {
    if (!db.open) return result;
    const deleted = sightings.run(cut.sightings, batchRows).changes;
    result.sightingsDeleted += deleted;
    if (deleted < batchRows) break;
    await pause();
  }

  // by camera, so that every delete is a range of the tables' keys (ward, camera, minute, …): no index on minute
  // alone is needed, which would cost as much space as the counts themselves
  const cameras = db.prepare<[], { ward: string; camera: string }>('SELECT ward, camera FROM cameras ORDER BY ward, camera').all();
  const oldest = db.prepare<[string, string, string, string, string, string], { m: number | null }>(
    `SELECT min(m) AS m FROM (SELECT min(minute) AS m FROM count_minutes WHERE ward = ? AND camera = ?
       UNION ALL SELECT min(minute) FROM counts WHERE ward = ? AND camera = ?
       UNION ALL SELECT min(quarter) FROM count_quarter_minutes WHERE ward = ? AND camera = ?)`,
  );
  const minutes = db.prepare<[string, string, number]>('DELETE FROM count_minutes WHERE ward = ? AND camera = ? AND minute < ?');
  const counts = db.prepare<[string, string, number]>('DELETE FROM counts WHERE ward = ? AND camera = ? AND minute < ?');
  // the 15-minute rollups (hub/ingest/counts.ts) go with the minutes they sum
  const quarters = db.prepare<[string, string, number]>('DELETE FROM count_quarters WHERE ward = ? AND camera = ? AND quarter < ?');
  const quarterMinutes = db.prepare<[string, string, number]>('DELETE FROM count_quarter_minutes WHERE ward = ? AND camera = ? AND quarter < ?');
  const window = db.transaction((ward: string, camera: string, before: number) => {
    result.countMinutesDeleted += minutes.run(ward, camera, before).changes;
    result.countsDeleted += counts.run(ward, camera, before).changes;
    quarters.run(ward, camera, before);
    quarterMinutes.run(ward, camera, before);
  });
  for (const { ward, camera } of cameras) {
    for (;;) {
      if (!db.open) return result;
      const from = oldest.get(ward, camera, ward, camera, ward, camera)?.m ?? null;
      if (from === null || from >= cut.counts) break;
      window(ward, camera, Math.min(cut.counts, from + windowMs));
      await pause();
    }
  }
  result.finished = true;
  return result;
}
