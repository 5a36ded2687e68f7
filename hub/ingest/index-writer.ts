// Applies decoded contract messages to the incident index through the async SQL interface (shared/sql/): one
// transaction per batch, one savepoint per message, chunk data fsynced before the commit. Clips whose chunks are all
// in are verified afterwards.
import type { ClipManifest, CountsMessage, Decoded, EventMessage, SightingsMessage } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { fsyncDir } from '../../shared/atomic.js';
import { ChunkWriter, commitClip, createPartialClip, removeFile, sha256OfFile } from '../store/clip-files.js';
import { commitSnapshot, type PendingSnapshot } from '../store/snapshots.js';
import { incidentRule, type HubStore, type IncidentRow } from '../store/store.js';
import type { ClipState } from '../store/schema.js';
import { cameraPlaced, cameraSeen } from '../store/cameras.js';
import { lastSeenDue } from '../store/camera-claim.js';
import type { Sql } from '../../shared/sql/sql.js';
import { storePaths } from '../store/paths.js';
import { chunkSlot, emptyBitmap, hasChunk, withChunk } from './clip-chunks.js';
import type { RetrievalStore } from '../retrieval/store.js';
import { applyCounts } from './counts.js';
import { mergeIncident, type Incident } from './incident-merge.js';
import { Invalid, type InvalidKind } from '../store/invalid.js';
import { applySightings } from './sightings.js';
import { withHubCameras } from './camera-names.js';

export interface IngestStats {
  messages: number;
  batches: number;
  /** event messages applied to an incident */
  events: number;
  /** sightings inserted or replaced (a final one over the partial ones of a long stay) */
  sightings: number;
  /** camera-minutes of counts written or replaced */
  countMinutes: number;
  /** messages already applied before (same msgId, or a chunk already written) */
  duplicates: number;
  /** sightings and count minutes that arrived after a newer version of themselves: nothing to change */
  superseded: number;
  /** refused messages by kind */
  invalid: Partial<Record<InvalidKind, number>>;
  statuses: number;
  chunks: number;
  clipsCompleted: number;
  clipsFailed: number;
  /** messages that hit an unexpected error: not acknowledged, the ward sends them again */
  errors: number;
}

export function emptyStats(): IngestStats {
  return { messages: 0, batches: 0, events: 0, sightings: 0, countMinutes: 0, duplicates: 0, superseded: 0, invalid: {}, statuses: 0, chunks: 0, clipsCompleted: 0, clipsFailed: 0, errors: 0 };
}

export interface BatchItem {
  /** the sender: the box logged in as ward-<box> (contract v1 calls it `ward` in topics and payloads) */
  box: string;
  topic: string;
  decoded: { ok: true; message: Decoded } | { ok: false; kind: InvalidKind; reason: string };
  /** written before the transaction when the message carries a snapshot */
  snapshot?: PendingSnapshot | undefined;
}

export type ItemOutcome = { ok: true; snapshotTaken: boolean } | { ok: false; error: unknown };

interface TransferRow {
  event_id: string;
  ward: string;
  box_id: string;
  msg_id: string;
  bytes: number;
  chunk_bytes: number;
  chunks: number;
  sha256: string;
  received: Buffer;
  received_count: number;
  temp_path: string;
  state: 'receiving' | 'verifying' | 'present' | 'failed';
}

function toIncident(row: IncidentRow): Incident {
  return {
    ward: row.ward,
    camera: row.camera,
    label: row.label,
    score: row.score,
    topScore: row.top_score,
    box: JSON.parse(row.box) as Incident['box'],
    zones: JSON.parse(row.zones) as string[],
    start: row.start,
    end: row.end,
    state: row.state,
    rule: incidentRule(row),
    lastMsgId: row.last_msg_id,
    snapshotMsgId: row.snapshot_msg_id,
  };
}

/** What an incident shows for a transfer's state. */
function incidentClipState(t: TransferRow): ClipState {
  return t.state === 'verifying' ? 'receiving' : t.state;
}

/** What ingest needs of the hub's store: the index through the async SQL interface, and where its files live. */
export type IndexFiles = Pick<HubStore, 'sql' | 'root' | 'resolve'>;

export interface IndexWriterOptions {
  /** the index (through `sql`) and the storage root its files are under */
  store: IndexFiles;
  /**
   * the retrievals table (built once, in hub/main.ts): a ward's answers and retrieved clips land in it, and a
   * request's end (ready, failed) is audited through its audit with the commit that records it
   */
  retrievals: RetrievalStore;
  /** the ward a box belongs to (hub.yaml); undefined: not a box of this district */
  wardOf: (box: string) => string | undefined;
  /** the box's cameraPrefix (hub/ingest/camera-names.ts) */
  cameraPrefixOf?: ((box: string) => string | undefined) | undefined;
  logger: Logger;
  clock: () => number;
}

// an older status (by its own `at`) never overwrites a newer one; `offline` has no `at` and always applies
const BOX_STATUS = `INSERT INTO box_status (box_id, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (box_id) DO UPDATE SET state = excluded.state, status = excluded.status, at = coalesce(excluded.at, box_status.at),
    updated_at = excluded.updated_at
  WHERE excluded.at IS NULL OR box_status.at IS NULL OR excluded.at >= box_status.at`;
const CAMERA_STATUS = `INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (ward, camera) DO UPDATE SET state = excluded.state, status = excluded.status, at = excluded.at, updated_at = excluded.updated_at
  WHERE excluded.at >= camera_status.at`;
const INVALID = `INSERT INTO invalid_messages (box_id, kind, count, last_reason, last_at) VALUES (?, ?, 1, ?, ?)
  ON CONFLICT (box_id, kind) DO UPDATE SET count = invalid_messages.count + 1, last_reason = excluded.last_reason, last_at = excluded.last_at`;
const INSERT_INCIDENT = `INSERT INTO incidents
  (id, ward, box_id, camera, label, score, top_score, box, zones, start, "end", state, last_msg_id, snapshot_path, snapshot_msg_id,
   rule_id, rule_kind, clip_state, clip_path, clip_sha256, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_INCIDENT = `UPDATE incidents SET ward = ?, box_id = ?, camera = ?, label = ?, score = ?, top_score = ?, box = ?, zones = ?, start = ?,
  "end" = ?, state = ?, last_msg_id = ?, snapshot_path = ?, snapshot_msg_id = ?, rule_id = ?, rule_kind = ?, updated_at = ? WHERE id = ?`;
const INCIDENT_CLIP = 'UPDATE incidents SET clip_state = ?, clip_path = ?, clip_sha256 = ?, clip_error = ?, updated_at = ? WHERE id = ?';
// a new manifest replaces the transfer whole (as INSERT OR REPLACE did)
const PUT_TRANSFER = `INSERT INTO clip_transfers
  (event_id, ward, box_id, msg_id, manifest, bytes, chunk_bytes, chunks, sha256, received, received_count, temp_path, state, error, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 'receiving', NULL, ?, ?)
  ON CONFLICT (event_id) DO UPDATE SET ward = excluded.ward, box_id = excluded.box_id, msg_id = excluded.msg_id, manifest = excluded.manifest,
    bytes = excluded.bytes, chunk_bytes = excluded.chunk_bytes, chunks = excluded.chunks, sha256 = excluded.sha256, received = excluded.received,
    received_count = 0, temp_path = excluded.temp_path, state = 'receiving', error = NULL, created_at = excluded.created_at,
    updated_at = excluded.updated_at`;
const TRANSFER_STATE = 'UPDATE clip_transfers SET state = ?, error = ?, updated_at = ? WHERE event_id = ?';

const incidentOf = (t: Sql, id: string) => t.get<IncidentRow>('SELECT * FROM incidents WHERE id = ?', [id]);
const transferOf = (t: Sql, id: string) => t.get<TransferRow>('SELECT * FROM clip_transfers WHERE event_id = ?', [id]);

/** What one batch does beside the index: files to sync before the commit, clips to verify after it. */
interface BatchWork {
  now: number;
  chunks: ChunkWriter;
  dirsToSync: Set<string>;
  complete: string[];
}

/** A message of a batch applied without savepoints failed: the batch is applied again, a savepoint a message. */
class MessageFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a message of the batch failed', { cause: failure });
  }
}

export class IndexWriter {
  readonly stats = emptyStats();
  private readonly log: Logger;
  private readonly retrievals: RetrievalStore;
  private readonly store: IndexFiles;
  private readonly wardOf: (box: string) => string | undefined;
  private readonly cameraPrefixOf: (box: string) => string | undefined;
  private readonly clock: () => number;
  /** when this process last wrote a box's or ward's last_seen_at (`boxes/<id>`, `wards/<id>`) */
  private readonly lastSeenWritten = new Map<string, number>();

  constructor({ store, retrievals, wardOf, cameraPrefixOf, logger, clock }: IndexWriterOptions) {
    this.store = store;
    this.wardOf = wardOf;
    this.cameraPrefixOf = cameraPrefixOf ?? (() => undefined);
    this.retrievals = retrievals;
    this.clock = clock;
    this.log = logger.child({ part: 'ingest' });
  }

  /**
   * Applies a batch in one transaction. A message that is invalid is counted and settled; one that fails
   * unexpectedly rolls back alone (the batch is then applied again with a savepoint a message) and is reported so
   * its acknowledgement is held back. Returns the event ids of clips now complete, to verify after the commit.
   */
  async applyBatch(items: readonly BatchItem[]): Promise<{ outcomes: ItemOutcome[]; complete: string[] }> {
    const work: BatchWork = { now: this.clock(), chunks: new ChunkWriter(this.store.root), dirsToSync: new Set(), complete: [] };
    const { now, chunks } = work;
    const seen = new Set<string>();
    const statsBefore = structuredClone(this.stats);
    try {
      // First the whole batch without a savepoint a message (two round trips each on PostgreSQL); if any message
      // fails, that attempt is rolled back and the batch applied again with each message in a savepoint of its own.
      const attempt = (isolated: boolean) =>
        this.store.sql.tx(async (t) => {
          // what an attempt counted or found is its own: a retried or repeated attempt starts from the same place
          Object.assign(this.stats, structuredClone(statsBefore));
          work.complete.length = 0;
          const boxes = new Set<string>();
          const results: ItemOutcome[] = [];
          for (const item of items) {
            boxes.add(item.box);
            if (!isolated) {
              try {
                results.push({ ok: true, snapshotTaken: await this.applyOne(t, item, work) });
              } catch (err) {
                throw new MessageFailed(err);
              }
              continue;
            }
            try {
              const taken = await t.tx((sp) => this.applyOne(sp, item, work));
              results.push({ ok: true, snapshotTaken: taken });
            } catch (err) {
              if (!(err instanceof Invalid)) {
                this.stats.errors++;
                results.push({ ok: false, error: err });
                continue;
              }
              await this.countInvalid(t, item.box, err.kind, err.message, now, item.topic);
              results.push({ ok: true, snapshotTaken: false });
            }
          }
          // "last seen" of the senders, to LAST_SEEN_EVERY_MS: not every batch of every hub process on the same rows
          seen.clear();
          for (const box of boxes) {
            const ward = this.wardOf(box);
            for (const [table, id] of [['boxes', box], ['wards', ward]] as const) {
              if (id === undefined || seen.has(`${table}/${id}`) || !lastSeenDue(this.lastSeenWritten.get(`${table}/${id}`), now)) continue;
              await t.run(`UPDATE ${table} SET last_seen_at = ? WHERE id = ?`, [now, id]);
              seen.add(`${table}/${id}`);
            }
          }
          // the data behind every row of this batch is on disk before the rows are
          chunks.syncAll();
          for (const dir of work.dirsToSync) fsyncDir(dir);
          return results;
        });
      const outcomes = await attempt(false).catch((err: unknown) => {
        if (err instanceof MessageFailed) return attempt(true);
        throw err;
      }).catch((err: unknown) => {
        Object.assign(this.stats, structuredClone(statsBefore)); // nothing of this batch was committed
        throw err;
      });
      for (const key of seen) this.lastSeenWritten.set(key, now);
      this.stats.batches++;
      this.stats.messages += items.length;
      return { outcomes, complete: work.complete };
    } finally {
      chunks.closeAll();
    }
  }

  private async countInvalid(t: Sql, box: string, kind: InvalidKind, reason: string, now: number, topic: string): Promise<void> {
    this.stats.invalid[kind] = (this.stats.invalid[kind] ?? 0) + 1;
    await t.run(INVALID, [box, kind, reason, now]);
    this.log.warn({ box, ward: this.wardOf(box), topic, kind, reason }, `invalid message from box ${box}: ${reason}`);
  }

  /** Returns whether the item's snapshot was taken. Throws `Invalid` before any side effect. */
  private async applyOne(t: Sql, item: BatchItem, work: BatchWork): Promise<boolean> {
    if (!item.decoded.ok) throw new Invalid(item.decoded.kind, item.decoded.reason);
    const box = item.box;
    const { now } = work;
    // the broker's ACL already guarantees this; ingest does not rely on it
    if (item.decoded.message.topic.ward !== box) throw new Invalid('ward-mismatch', `topic of box ${item.decoded.message.topic.ward} published by box ${box}`);
    const ward = this.wardOf(box);
    if (ward === undefined) throw new Invalid('unknown-box', `box ${box} is not listed under wards in hub.yaml: add it to its ward's boxes`);
    const m = withHubCameras(item.decoded.message, this.cameraPrefixOf(box));
    switch (m.kind) {
      case 'events':
        return this.applyEvent(t, ward, box, m.payload, item.snapshot, work);
      case 'sightings':
        await this.applySightings(t, ward, box, m.payload, now);
        return false;
      case 'counts':
        await this.applyCounts(t, ward, box, m.payload, now);
        return false;
      case 'clipManifest':
        await this.applyManifest(t, ward, box, m.payload, work);
        return false;
      case 'clipChunk':
        await this.applyChunk(t, box, m.topic.eventId, m.topic.index, m.payload, work);
        return false;
      case 'retrievals':
        if (await this.firstTime(t, m.payload.msgId, now)) await this.retrievals.applyStatus(t, ward, m.payload, now);
        return false;
      case 'wardStatus': {
        const p = m.payload;
        await t.run(BOX_STATUS, [box, p.state, JSON.stringify(p), p.state === 'online' ? p.at : null, now]);
        this.stats.statuses++;
        return false;
      }
      case 'cameraStatus': {
        const p = m.payload;
        await cameraSeen(t, ward, p.camera, box, now);
        if (p.location) await cameraPlaced(t, ward, p.camera, p.location);
        await t.run(CAMERA_STATUS, [ward, p.camera, p.state, JSON.stringify(p), p.at, now]);
        this.stats.statuses++;
        return false;
      }
    }
  }

  private async firstTime(t: Sql, msgId: string, now: number): Promise<boolean> {
    if ((await t.run('INSERT INTO seen_msgs (msg_id, seen_at) VALUES (?, ?) ON CONFLICT (msg_id) DO NOTHING', [msgId, now])).changes > 0) return true;
    this.stats.duplicates++;
    return false;
  }

  private async applyEvent(t: Sql, ward: string, box: string, msg: EventMessage, snapshot: PendingSnapshot | undefined, work: BatchWork): Promise<boolean> {
    const { now } = work;
    const id = msg.event.id;
    const row = await incidentOf(t, id);
    if (row && row.box_id !== box) throw new Invalid('foreign-event', `event ${id} belongs to box ${row.box_id}`);
    if (!(await this.firstTime(t, msg.msgId, now))) return false;
    const { incident, takeSnapshot } = mergeIncident(row ? toIncident(row) : undefined, msg);
    let snapshotPath = row?.snapshot_path ?? null;
    if (takeSnapshot && snapshot) {
      work.dirsToSync.add(commitSnapshot(this.store.root, snapshot));
      snapshotPath = snapshot.relative;
    }
    // the box's ward at the incident's first message: an incident stays where it was indexed if its box moves
    const fields = [
      row?.ward ?? ward,
      box,
      incident.camera,
      incident.label,
      incident.score,
      incident.topScore,
      JSON.stringify(incident.box),
      JSON.stringify(incident.zones),
      incident.start,
      incident.end,
      incident.state,
      incident.lastMsgId,
      snapshotPath,
      snapshotPath ? incident.snapshotMsgId : null,
      incident.rule?.id ?? null,
      incident.rule?.kind ?? null,
    ];
    if (row) await t.run(UPDATE_INCIDENT, [...fields, now, id]);
    else {
      // a clip may have arrived before its event (the event was lost or refused earlier)
      const tr = await transferOf(t, id);
      const clipState = tr ? incidentClipState(tr) : 'none';
      await t.run(INSERT_INCIDENT, [
        id,
        ...fields,
        clipState,
        clipState === 'present' ? storePaths.clip(ward, id) : null,
        clipState === 'present' ? tr!.sha256 : null,
        now,
        now,
      ]);
    }
    await cameraSeen(t, ward, incident.camera, box, now);
    this.stats.events++;
    return takeSnapshot && snapshot !== undefined;
  }

  private async applySightings(t: Sql, ward: string, box: string, msg: SightingsMessage, now: number): Promise<void> {
    // a refusal (Invalid) rolls the savepoint back, the msgId's row with it
    if (!(await this.firstTime(t, msg.msgId, now))) return;
    const { written, superseded } = await applySightings(t, ward, box, msg, now);
    this.stats.sightings += written;
    this.stats.superseded += superseded;
  }

  /** Counts need no seen_msgs row: the camera-minute remembers the message that holds it (hub/ingest/counts.ts). */
  private async applyCounts(t: Sql, ward: string, box: string, msg: CountsMessage, now: number): Promise<void> {
    const action = await applyCounts(t, ward, box, msg, now);
    if (action === 'duplicate') this.stats.duplicates++;
    else if (action === 'superseded') this.stats.superseded++;
    else this.stats.countMinutes++;
  }

  private async applyManifest(t: Sql, ward: string, box: string, m: ClipManifest, work: BatchWork): Promise<void> {
    const { now, chunks } = work;
    const incident = await incidentOf(t, m.eventId);
    const existing = await transferOf(t, m.eventId);
    const owner = incident?.box_id ?? existing?.box_id;
    if (owner !== undefined && owner !== box) throw new Invalid('foreign-event', `clip for event ${m.eventId} of box ${owner}`);
    if (m.requestId !== undefined && !(await this.retrievals.expectsClip(t, ward, m.requestId))) {
      throw new Invalid('unknown-request', `retrieved clip ${m.requestId}: no such request to ward ${ward}`);
    }
    if (!(await this.firstTime(t, m.msgId, now))) return;
    // a clip that arrived (or that retention has since removed) is final; so is one on its way with the same hash
    const settled = incident?.clip_state === 'present' || incident?.clip_state === 'expired' || existing?.state === 'present';
    if (settled || (existing && existing.state !== 'failed' && existing.sha256 === m.sha256)) {
      this.log.info({ ward, box, eventId: m.eventId, state: existing?.state ?? incident?.clip_state }, 'clip manifest for a clip already received or on its way: ignored');
      return;
    }
    if (existing) {
      this.log.warn({ ward, box, eventId: m.eventId, state: existing.state }, 'a new manifest replaces the clip transfer');
      chunks.drop(existing.temp_path);
    }
    const tempPath = createPartialClip(this.store.root, m.eventId, m.bytes);
    // a retrieved clip's rows are under the ward of its request; an incident's under the incident's
    await t.run(PUT_TRANSFER, [
      m.eventId, incident?.ward ?? ward, box, m.msgId, JSON.stringify(m), m.bytes, m.chunkBytes, m.chunks, m.sha256, emptyBitmap(m.chunks), tempPath, now, now,
    ]);
    await t.run(INCIDENT_CLIP, ['receiving', null, null, null, now, m.eventId]);
  }

  private async applyChunk(t: Sql, box: string, eventId: string, n: number, data: Buffer, work: BatchWork): Promise<void> {
    const tr = await transferOf(t, eventId);
    if (!tr) throw new Invalid('chunk-without-manifest', `chunk ${n} of event ${eventId} before its manifest`);
    if (tr.box_id !== box) throw new Invalid('foreign-event', `chunk of event ${eventId} of box ${tr.box_id}`);
    const slot = chunkSlot({ bytes: tr.bytes, chunkBytes: tr.chunk_bytes, chunks: tr.chunks }, n);
    if ('error' in slot) throw new Invalid('chunk-out-of-range', `event ${eventId}: ${slot.error}`);
    if (data.length !== slot.length) throw new Invalid('chunk-length', `event ${eventId} chunk ${n}: ${data.length} bytes, expected ${slot.length}`);
    if (tr.state !== 'receiving' || hasChunk(tr.received, n)) {
      this.stats.duplicates++;
      return;
    }
    work.chunks.write(tr.temp_path, slot.offset, data);
    const last = tr.received_count + 1 === tr.chunks;
    await t.run('UPDATE clip_transfers SET received = ?, received_count = received_count + 1, state = ?, updated_at = ? WHERE event_id = ?', [
      withChunk(tr.received, n), last ? 'verifying' : 'receiving', work.now, eventId,
    ]);
    this.stats.chunks++;
    if (last) work.complete.push(eventId);
  }

  /** Transfers whose chunks all arrived but which were not verified (a crash in between). */
  async pendingVerification(): Promise<string[]> {
    const rows = await this.store.sql.all<{ event_id: string }>("SELECT event_id FROM clip_transfers WHERE state = 'verifying'");
    return rows.map((r) => r.event_id);
  }

  /** Checks a complete clip's sha256; present and in place, or failed with the reason. */
  async finishClip(eventId: string): Promise<void> {
    const sql = this.store.sql;
    const tr = await transferOf(sql, eventId);
    if (!tr || tr.state !== 'verifying') return;
    let actual: string;
    try {
      actual = await sha256OfFile(this.store.resolve(tr.temp_path));
    } catch (err) {
      actual = `unreadable (${(err as Error).message})`;
    }
    const now = this.clock();
    if (actual === tr.sha256) {
      const relative = commitClip(this.store.root, tr.temp_path, tr.ward, eventId);
      const fate = await sql.tx(async (t) => {
        await t.run(TRANSFER_STATE, ['present', null, now, eventId]);
        await t.run(INCIDENT_CLIP, ['present', relative, tr.sha256, null, now, eventId]);
        return this.retrievals.clipPresent(t, eventId, tr.ward, relative, tr.sha256, now);
      });
      this.stats.clipsCompleted++;
      if (fate === 'discard') {
        removeFile(this.store.root, relative);
        this.log.info({ ward: tr.ward, eventId, bytes: tr.bytes }, 'retrieved clip arrived after its request was cancelled: removed');
      } else this.log.info({ ward: tr.ward, eventId, bytes: tr.bytes }, 'clip present');
    } else {
      const reason = `sha256 mismatch: manifest ${tr.sha256}, received ${actual}`;
      await sql.tx(async (t) => {
        await t.run(TRANSFER_STATE, ['failed', reason, now, eventId]);
        await t.run(INCIDENT_CLIP, ['failed', null, null, reason, now, eventId]);
        await this.retrievals.clipFailed(t, eventId, tr.ward, reason, now);
      });
      removeFile(this.store.root, tr.temp_path);
      this.stats.clipsFailed++;
      this.log.warn({ ward: tr.ward, eventId, reason }, `clip failed: ${reason}`);
    }
  }
}
