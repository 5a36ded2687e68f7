// Deletes expired sightings and counts in small transactions, yielding between them: a dense district makes
// millions of rows a day, and one transaction for all of them would hold ingest (same connection) for seconds.
import type { Sql } from '../../shared/sql/sql.js';
import { indexedBy } from './planner-hints.js';

/** sightings per transaction (their line crossings go with them, by trigger) */
export const SIGHTING_BATCH_ROWS = 2000;
/** minutes of one camera's counts per transaction (~8 rows a minute on a busy camera) */
export const COUNT_BATCH_MINUTES = 240;

export interface StreetPruneResult {
  sightingsDeleted: number;
  countMinutesDeleted: number;
  countsDeleted: number;
  /** false when the store closed (or the run was told to stop) before the prune was through (the next run goes on) */
  finished: boolean;
}

export interface StreetPruneOptions {
  sightingBatchRows?: number;
  countBatchMinutes?: number;
  /** between transactions; default: one turn of the event loop */
  pause?: () => Promise<void>;
  /** asked before each transaction: false stops the prune there (the retention lock was lost); default: go on */
  goOn?: () => boolean;
}

/** What the prune works on: the index, and, on SQLite, the connection whose closing stops it (a HubStore is one). */
export interface PruneTarget {
  sql: Sql;
  db?: { readonly open: boolean };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sightings first seen before `cut.sightings` and camera-minutes before `cut.counts` go. */
export async function pruneStreetRecords(store: PruneTarget, cut: { sightings: number; counts: number }, options: StreetPruneOptions = {}): Promise<StreetPruneResult> {
  const { sql } = store;
  const pause = options.pause ?? nextTurn;
  const goOn = () => (store.db?.open ?? true) && (options.goOn?.() ?? true);
  const batchRows = options.sightingBatchRows ?? SIGHTING_BATCH_ROWS;
  const windowMs = (options.countBatchMinutes ?? COUNT_BATCH_MINUTES) * 60_000;
  const result: StreetPruneResult = { sightingsDeleted: 0, countMinutesDeleted: 0, countsDeleted: 0, finished: false };

  // the oldest first, by the (first, id) index; on SQLite by rowid, the table's own key (no lookup through the id index)
  const key = sql.dialect === 'sqlite' ? 'rowid' : 'id';
  const oldestSightings = `DELETE FROM sightings WHERE ${key} IN (SELECT ${key} FROM sightings${indexedBy(sql.dialect, 'sightings_first')} WHERE first < ? ORDER BY first LIMIT ?)`;
  for (;;) {
    if (!goOn()) return result;
    const { changes } = await sql.run(oldestSightings, [cut.sightings, batchRows]);
    result.sightingsDeleted += changes;
    if (changes < batchRows) break;
    await pause();
  }

  // by camera, so that every delete is a range of the tables' keys (ward, camera, minute, …): no index on minute
  // alone is needed, which would cost as much space as the counts themselves
  if (!goOn()) return result;
  const cameras = await sql.all<{ ward: string; camera: string }>('SELECT ward, camera FROM cameras ORDER BY ward, camera');
  for (const { ward, camera } of cameras) {
    for (;;) {
      if (!goOn()) return result;
      const oldest = await sql.get<{ m: number | null }>(
        `SELECT min(m) AS m FROM (SELECT min(minute) AS m FROM count_minutes WHERE ward = ? AND camera = ?
           UNION ALL SELECT min(minute) FROM counts WHERE ward = ? AND camera = ?
           UNION ALL SELECT min(quarter) FROM count_quarter_minutes WHERE ward = ? AND camera = ?) AS oldest`,
        [ward, camera, ward, camera, ward, camera],
      );
      const from = oldest?.m ?? null;
      if (from === null || from >= cut.counts) break;
      const before = Math.min(cut.counts, from + windowMs);
      const deleted = await sql.tx(async (t) => {
        const minutes = await t.run('DELETE FROM count_minutes WHERE ward = ? AND camera = ? AND minute < ?', [ward, camera, before]);
        const counts = await t.run('DELETE FROM counts WHERE ward = ? AND camera = ? AND minute < ?', [ward, camera, before]);
        // the 15-minute rollups (hub/ingest/counts.ts) go with the minutes they sum
        await t.run('DELETE FROM count_quarters WHERE ward = ? AND camera = ? AND quarter < ?', [ward, camera, before]);
        await t.run('DELETE FROM count_quarter_minutes WHERE ward = ? AND camera = ? AND quarter < ?', [ward, camera, before]);
        return { minutes: minutes.changes, counts: counts.changes };
      });
      // counted once committed: on PostgreSQL the transaction may have run more than once
      result.countMinutesDeleted += deleted.minutes;
      result.countsDeleted += deleted.counts;
      await pause();
    }
  }
  result.finished = true;
  return result;
}
