// Carries out the retention plan through the async SQL interface: deletes incident rows in one transaction, then the
// files they named; starts the batched prune of sightings and counts (street-prune.ts), which goes on between ingest's
// transactions. `runRetention` does it in one hub process at a time (the advisory lock wardwatch:retention).
import { rmSync } from 'node:fs';
import type { Logger } from '../../shared/log.js';
import { chooseRetention, cutoffs, type IncidentCandidate, type RetentionPolicy, type TransferCandidate } from './retention.js';
import type { HubStore } from './store.js';
import { pruneStreetRecords, type StreetPruneOptions, type StreetPruneResult } from './street-prune.js';

export const DEFAULT_SEEN_MSG_DAYS = 60;

export interface RetentionResult {
  incidentsDeleted: number;
  filesExpired: number;
  transfersDropped: number;
  seenForgotten: number;
  filesRemoved: number;
  /**
   * the prune of sightings and counts, under way after this returns; never rejects (a failure is logged). A run
   * that finds the previous one's prune still going shares it rather than starting a second.
   */
  street: Promise<StreetPruneResult | undefined>;
}

const streetPrunes = new WeakMap<HubStore, Promise<StreetPruneResult | undefined>>();

function startStreetPrune(store: HubStore, cut: { sightings: number; counts: number }, logger: Logger, options: StreetPruneOptions): Promise<StreetPruneResult | undefined> {
  const running = streetPrunes.get(store);
  if (running) return running;
  const started = performance.now();
  const prune = pruneStreetRecords(store, cut, options)
    .then((r) => {
      if (r.sightingsDeleted || r.countMinutesDeleted) logger.info({ ...r, ms: Math.round(performance.now() - started) }, 'retention: sightings and counts');
      return r;
    })
    .catch((err: unknown) => {
      logger.error({ err }, 'retention of sightings and counts failed');
      return undefined;
    })
    .finally(() => streetPrunes.delete(store));
  streetPrunes.set(store, prune);
  return prune;
}

interface FileRow {
  id: string;
  start: number;
  held: number;
  snapshot_path: string | null;
  clip_path: string | null;
}

export async function applyRetention(store: HubStore, policy: RetentionPolicy, now: number, logger: Logger, streetOptions: StreetPruneOptions = {}): Promise<RetentionResult> {
  const { sql } = store;
  const cut = cutoffs(policy, now);
  // SQL narrows to rows old enough for either rule; the policy decides
  const rows = await sql.all<FileRow>(
    `SELECT id, start, held, snapshot_path, clip_path FROM incidents
     WHERE held = 0 AND start < ? AND (start < ? OR snapshot_path IS NOT NULL OR clip_path IS NOT NULL)`,
    [Math.max(cut.incidents, cut.files), cut.incidents],
  );
  const transfers = await sql.all<{ event_id: string; state: TransferCandidate['state']; updated_at: number; held: number | null; temp_path: string }>(
    `SELECT t.event_id, t.state, t.updated_at, i.held, t.temp_path FROM clip_transfers t LEFT JOIN incidents i ON i.id = t.event_id
     WHERE t.updated_at < ?`,
    [cut.files],
  );

  const incidents: IncidentCandidate[] = rows.map((r) => ({ id: r.id, start: r.start, held: r.held === 1, hasFiles: r.snapshot_path !== null || r.clip_path !== null }));
  const plan = chooseRetention(
    incidents,
    transfers.map((t) => ({ eventId: t.event_id, state: t.state, updatedAt: t.updated_at, held: t.held === 1 })),
    policy,
    now,
  );

  const byId = new Map(rows.map((r) => [r.id, r]));
  const files: string[] = [];
  const collect = (id: string) => {
    const r = byId.get(id);
    if (r?.snapshot_path) files.push(r.snapshot_path);
    if (r?.clip_path) files.push(r.clip_path);
  };
  const transferById = new Map(transfers.map((t) => [t.event_id, t]));

  const seenForgotten = await sql.tx(async (t) => {
    for (const id of plan.deleteIncidents) {
      await t.run('DELETE FROM incidents WHERE id = ? AND held = 0', [id]);
      await t.run('DELETE FROM clip_transfers WHERE event_id = ?', [id]);
    }
    for (const id of plan.expireFiles) {
      await t.run(
        `UPDATE incidents SET snapshot_path = NULL, clip_path = NULL,
           clip_state = CASE clip_state WHEN 'present' THEN 'expired' ELSE clip_state END, updated_at = ? WHERE id = ? AND held = 0`,
        [now, id],
      );
    }
    for (const id of plan.dropTransfers) await t.run('DELETE FROM clip_transfers WHERE event_id = ?', [id]);
    return (await t.run('DELETE FROM seen_msgs WHERE seen_at < ?', [plan.forgetSeenBefore])).changes;
  });
  // the files the committed plan let go (gathered after the commit: on PostgreSQL the transaction may run twice)
  for (const id of plan.deleteIncidents) collect(id);
  for (const id of plan.expireFiles) collect(id);
  for (const id of plan.dropTransfers) {
    const t = transferById.get(id);
    // a present transfer's temp file was renamed away already
    if (t && t.state !== 'present') files.push(t.temp_path);
  }

  // files after the commit: a crash here leaves an orphan file, never a row pointing at nothing
  let filesRemoved = 0;
  for (const f of files) {
    try {
      rmSync(store.resolve(f), { force: true });
      filesRemoved++;
    } catch (err) {
      logger.warn({ err, file: f }, 'retention could not remove a file');
    }
  }
  const result = {
    incidentsDeleted: plan.deleteIncidents.length,
    filesExpired: plan.expireFiles.length,
    transfersDropped: plan.dropTransfers.length,
    seenForgotten,
    filesRemoved,
  };
  if (result.incidentsDeleted || result.filesExpired || result.transfersDropped) logger.info(result, 'retention');
  return { ...result, street: startStreetPrune(store, cut, logger, streetOptions) };
}

/** The lock a hub process holds while it runs retention: on one PostgreSQL index of several processes, one runs it. */
export const RETENTION_LOCK = 'wardwatch:retention';

export interface RetentionRunParts {
  /** the retrieved recordings' retention (hub/retrieval/), run under the same lock */
  retrievals?: { applyRetention(hub: Pick<HubStore, 'resolve'>, clipDays: number): number | Promise<number> };
  streetOptions?: StreetPruneOptions;
}

/**
 * One retention run, if no other run holds the lock `wardwatch:retention` (another hub process on the same index, or
 * this one's previous run, its prune still going): the incidents' plan, the retrieved clips', then the prune of
 * sightings and counts; the lock is released when the prune is through. Undefined when the lock was held. A lock
 * lost on the way (its PostgreSQL session died) stops the prune at its next batch.
 */
export async function runRetention(store: HubStore, policy: RetentionPolicy, now: number, logger: Logger, parts: RetentionRunParts = {}): Promise<RetentionResult | undefined> {
  const lock = await store.sql.tryAdvisoryLock(RETENTION_LOCK);
  if (!lock) {
    logger.debug('retention: another run holds its lock (another hub process, or the last run still pruning)');
    return undefined;
  }
  let lost = false;
  void lock.lost.then((err) => {
    lost = true;
    logger.warn({ err: err.message }, 'retention: its lock was lost; the prune stops (another hub process may run retention now)');
  });
  const release = () =>
    lock.release().catch((err: unknown) => logger.warn({ err }, 'retention: could not release its lock (it goes with the connection)'));
  let result: RetentionResult;
  try {
    const goOn = parts.streetOptions?.goOn;
    result = await applyRetention(store, policy, now, logger, { ...parts.streetOptions, goOn: () => !lost && (goOn?.() ?? true) });
  } catch (err) {
    await release();
    throw err;
  }
  if (parts.retrievals && !lost) {
    try {
      await parts.retrievals.applyRetention(store, policy.clipDays);
    } catch (err) {
      logger.error({ err }, 'retention of retrieved clips failed');
    }
  }
  void result.street.finally(release);
  return result;
}
