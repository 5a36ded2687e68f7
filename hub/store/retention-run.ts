// Carries out the retention plan: deletes incident rows in one transaction, then the files they named; starts the
// batched prune of sightings and counts (street-prune.ts), which goes on between ingest's transactions.
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

export function applyRetention(store: HubStore, policy: RetentionPolicy, now: number, logger: Logger, streetOptions: StreetPruneOptions = {}): RetentionResult {
  const { db } = store;
  const cut = cutoffs(policy, now);
  // SQL narrows to rows old enough for either rule; the policy decides
  const rows = db
    .prepare<[number, number], FileRow>(
      `SELECT id, start, held, snapshot_path, clip_path FROM incidents
       WHERE held = 0 AND start < ? AND (start < ? OR snapshot_path IS NOT NULL OR clip_path IS NOT NULL)`,
    )
    .all(Math.max(cut.incidents, cut.files), cut.incidents);
  const transfers = db
    .prepare<[number], { event_id: string; state: TransferCandidate['state']; updated_at: number; held: number | null; temp_path: string }>(
      `SELECT t.event_id, t.state, t.updated_at, i.held, t.temp_path FROM clip_transfers t LEFT JOIN incidents i ON i.id = t.event_id
       WHERE t.updated_at < ?`,
    )
    .all(cut.files);

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

  let seenForgotten = 0;
  db.transaction(() => {
    const del = db.prepare('DELETE FROM incidents WHERE id = ? AND held = 0');
    const delTransfer = db.prepare('DELETE FROM clip_transfers WHERE event_id = ?');
    const expire = db.prepare(
      `UPDATE incidents SET snapshot_path = NULL, clip_path = NULL,
         clip_state = CASE clip_state WHEN 'present' THEN 'expired' ELSE clip_state END, updated_at = ? WHERE id = ? AND held = 0`,
    );
    for (const id of plan.deleteIncidents) {
      del.run(id);
      delTransfer.run(id);
      collect(id);
    }
    for (const id of plan.expireFiles) {
      expire.run(now, id);
      collect(id);
    }
    for (const id of plan.dropTransfers) {
      delTransfer.run(id);
      const t = transferById.get(id);
      // a present transfer's temp file was renamed away already
      if (t && t.state !== 'present') files.push(t.temp_path);
    }
    seenForgotten = db.prepare('DELETE FROM seen_msgs WHERE seen_at < ?').run(plan.forgetSeenBefore).changes;
  })();

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
