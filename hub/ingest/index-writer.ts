// Applies decoded contract messages to the incident index: one SQLite transaction per batch, one savepoint
// per message, chunk data fsynced before the commit. Clips whose chunks are all in are verified afterwards.
import type { ClipManifest, CountsMessage, Decoded, EventMessage, SightingsMessage } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { fsyncDir } from '../../shared/atomic.js';
import { ChunkWriter, commitClip, createPartialClip, removeFile, sha256OfFile } from '../store/clip-files.js';
import { commitSnapshot, type PendingSnapshot } from '../store/snapshots.js';
import { incidentRule, type HubStore, type IncidentRow } from '../store/store.js';
import type { ClipState } from '../store/schema.js';
import { cameraPlaced, cameraSeen, type CameraPlaced, type CameraSeen } from '../store/cameras.js';
import { storePaths } from '../store/paths.js';
import { chunkSlot, emptyBitmap, hasChunk, withChunk } from './clip-chunks.js';
import type { RetrievalStore } from '../retrieval/store.js';
import { CountsWriter } from './counts.js';
import { mergeIncident, type Incident } from './incident-merge.js';
import { Invalid, type InvalidKind } from '../store/invalid.js';
import { SightingsWriter } from './sightings.js';
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

export interface IndexWriterOptions {
  store: HubStore;
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

export class IndexWriter {
  readonly stats = emptyStats();
  private readonly log: Logger;
  private readonly s;
  private readonly retrievals: RetrievalStore;
  private readonly sightings: SightingsWriter;
  private readonly counts: CountsWriter;
  private readonly cameraSeen: CameraSeen;
  private readonly cameraPlaced: CameraPlaced;
  /** nested in the batch transaction, so better-sqlite3 runs it as a savepoint */
  private readonly applyInSavepoint;
  private readonly store: HubStore;
  private readonly wardOf: (box: string) => string | undefined;
  private readonly cameraPrefixOf: (box: string) => string | undefined;
  private readonly clock: () => number;

  constructor({ store, retrievals, wardOf, cameraPrefixOf, logger, clock }: IndexWriterOptions) {
    this.store = store;
    this.wardOf = wardOf;
    this.cameraPrefixOf = cameraPrefixOf ?? (() => undefined);
    this.retrievals = retrievals;
    this.clock = clock;
    this.log = logger.child({ part: 'ingest' });
    const db = store.db;
    this.s = {
      markSeen: db.prepare('INSERT OR IGNORE INTO seen_msgs (msg_id, seen_at) VALUES (?, ?)'),
      incident: db.prepare<[string], IncidentRow>('SELECT * FROM incidents WHERE id = ?'),
      insertIncident: db.prepare(`INSERT INTO incidents
        (id, ward, box_id, camera, label, score, top_score, box, zones, start, end, state, last_msg_id, snapshot_path, snapshot_msg_id,
         clip_state, clip_path, clip_sha256, rule_id, rule_kind, created_at, updated_at)
        VALUES (@id, @ward, @boxId, @camera, @label, @score, @topScore, @box, @zones, @start, @end, @state, @lastMsgId, @snapshotPath, @snapshotMsgId,
         @clipState, @clipPath, @clipSha256, @ruleId, @ruleKind, @now, @now)`),
      updateIncident: db.prepare(`UPDATE incidents SET box_id = @boxId, camera = @camera, label = @label, score = @score, top_score = @topScore, box = @box,
        zones = @zones, start = @start, end = @end, state = @state, last_msg_id = @lastMsgId, snapshot_path = @snapshotPath,
        snapshot_msg_id = @snapshotMsgId, rule_id = @ruleId, rule_kind = @ruleKind, updated_at = @now WHERE id = @id`),
      incidentClip: db.prepare('UPDATE incidents SET clip_state = ?, clip_path = ?, clip_sha256 = ?, clip_error = ?, updated_at = ? WHERE id = ?'),
      transfer: db.prepare<[string], TransferRow>('SELECT * FROM clip_transfers WHERE event_id = ?'),
      putTransfer: db.prepare(`INSERT OR REPLACE INTO clip_transfers
        (event_id, ward, box_id, msg_id, manifest, bytes, chunk_bytes, chunks, sha256, received, received_count, temp_path, state, error, created_at, updated_at)
        VALUES (@eventId, @ward, @boxId, @msgId, @manifest, @bytes, @chunkBytes, @chunks, @sha256, @received, 0, @tempPath, 'receiving', NULL, @now, @now)`),
      chunkIn: db.prepare('UPDATE clip_transfers SET received = ?, received_count = received_count + 1, state = ?, updated_at = ? WHERE event_id = ?'),
      transferState: db.prepare('UPDATE clip_transfers SET state = ?, error = ?, updated_at = ? WHERE event_id = ?'),
      verifying: db.prepare<[], { event_id: string }>("SELECT event_id FROM clip_transfers WHERE state = 'verifying'"),
      touchWard: db.prepare('UPDATE wards SET last_seen_at = ? WHERE id = ?'),
      touchBox: db.prepare('UPDATE boxes SET last_seen_at = ? WHERE id = ?'),
      // an older status (by its own `at`) never overwrites a newer one; `offline` has no `at` and always applies
      boxStatus: db.prepare(`INSERT INTO box_status (box_id, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (box_id) DO UPDATE SET state = excluded.state, status = excluded.status, at = coalesce(excluded.at, box_status.at),
          updated_at = excluded.updated_at
        WHERE excluded.at IS NULL OR box_status.at IS NULL OR excluded.at >= box_status.at`),
      cameraStatus: db.prepare(`INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (ward, camera) DO UPDATE SET state = excluded.state, status = excluded.status, at = excluded.at, updated_at = excluded.updated_at
        WHERE excluded.at >= camera_status.at`),
      invalid: db.prepare(`INSERT INTO invalid_messages (box_id, kind, count, last_reason, last_at) VALUES (?, ?, 1, ?, ?)
        ON CONFLICT (box_id, kind) DO UPDATE SET count = count + 1, last_reason = excluded.last_reason, last_at = excluded.last_at`),
    };
    this.cameraSeen = cameraSeen(db);
    this.cameraPlaced = cameraPlaced(db);
    this.sightings = new SightingsWriter(db, this.cameraSeen);
    this.counts = new CountsWriter(db, this.cameraSeen);
    this.applyInSavepoint = db.transaction(this.applyOne.bind(this));
  }

  /**
   * Applies a batch in one transaction. A message that is invalid is counted and settled; one that fails
   * unexpectedly rolls back alone (savepoint) and is reported so its PUBACK is held back. Returns the event
   * ids of clips now complete, to verify after the commit.
   */
  applyBatch(items: readonly BatchItem[]): { outcomes: ItemOutcome[]; complete: string[] } {
    const chunks = new ChunkWriter(this.store.root);
    const dirsToSync = new Set<string>();
    const complete: string[] = [];
    const now = this.clock();
    try {
      const outcomes = this.store.db.transaction(() => {
        const boxes = new Set<string>();
        const results = items.map((item): ItemOutcome => {
          boxes.add(item.box);
          try {
            const taken = this.applyInSavepoint(item, now, chunks, dirsToSync, complete);
            return { ok: true, snapshotTaken: taken };
          } catch (err) {
            if (!(err instanceof Invalid)) {
              this.stats.errors++;
              return { ok: false, error: err };
            }
            this.countInvalid(item.box, err.kind, err.message, now, item.topic);
            return { ok: true, snapshotTaken: false };
          }
        });
        for (const box of boxes) {
          this.s.touchBox.run(now, box);
          const ward = this.wardOf(box);
          if (ward !== undefined) this.s.touchWard.run(now, ward);
        }
        // the data behind every row of this batch is on disk before the rows are
        chunks.syncAll();
        for (const dir of dirsToSync) fsyncDir(dir);
        return results;
      })();
      this.stats.batches++;
      this.stats.messages += items.length;
      return { outcomes, complete };
    } finally {
      chunks.closeAll();
    }
  }

  private countInvalid(box: string, kind: InvalidKind, reason: string, now: number, topic: string): void {
    this.stats.invalid[kind] = (this.stats.invalid[kind] ?? 0) + 1;
    this.s.invalid.run(box, kind, reason, now);
    this.log.warn({ box, ward: this.wardOf(box), topic, kind, reason }, `invalid message from box ${box}: ${reason}`);
  }

  /** Returns whether the item's snapshot was taken. Throws `Invalid` before any side effect. */
  private applyOne(item: BatchItem, now: number, chunks: ChunkWriter, dirsToSync: Set<string>, complete: string[]): boolean {
    if (!item.decoded.ok) throw new Invalid(item.decoded.kind, item.decoded.reason);
    const box = item.box;
    // the broker's ACL already guarantees this; ingest does not rely on it
    if (item.decoded.message.topic.ward !== box) throw new Invalid('ward-mismatch', `topic of box ${item.decoded.message.topic.ward} published by box ${box}`);
    const ward = this.wardOf(box);
    if (ward === undefined) throw new Invalid('unknown-box', `box ${box} is not listed under wards in hub.yaml: add it to its ward's boxes`);
    const m = withHubCameras(item.decoded.message, this.cameraPrefixOf(box));
    switch (m.kind) {
      case 'events':
        return this.applyEvent(ward, box, m.payload, item.snapshot, now, dirsToSync);
      case 'sightings':
        this.applySightings(ward, box, m.payload, now);
        return false;
      case 'counts':
        this.applyCounts(ward, box, m.payload, now);
        return false;
      case 'clipManifest':
        this.applyManifest(ward, box, m.payload, now, chunks);
        return false;
      case 'clipChunk':
        this.applyChunk(box, m.topic.eventId, m.topic.index, m.payload, now, chunks, complete);
        return false;
      case 'retrievals':
        if (this.firstTime(m.payload.msgId, now)) this.retrievals.applyStatus(ward, m.payload, now);
        return false;
      case 'wardStatus': {
        const p = m.payload;
        this.s.boxStatus.run(box, p.state, JSON.stringify(p), p.state === 'online' ? p.at : null, now);
        this.stats.statuses++;
        return false;
      }
      case 'cameraStatus': {
        const p = m.payload;
        this.cameraSeen(ward, p.camera, box, now);
        if (p.location) this.cameraPlaced(ward, p.camera, p.location);
        this.s.cameraStatus.run(ward, p.camera, p.state, JSON.stringify(p), p.at, now);
        this.stats.statuses++;
        return false;
      }
    }
  }

  private firstTime(msgId: string, now: number): boolean {
    if (this.s.markSeen.run(msgId, now).changes > 0) return true;
    this.stats.duplicates++;
    return false;
  }

  private applyEvent(ward: string, box: string, msg: EventMessage, snapshot: PendingSnapshot | undefined, now: number, dirsToSync: Set<string>): boolean {
    const id = msg.event.id;
    const row = this.s.incident.get(id);
    if (row && row.box_id !== box) throw new Invalid('foreign-event', `event ${id} belongs to box ${row.box_id}`);
    if (!this.firstTime(msg.msgId, now)) return false;
    const { incident, takeSnapshot } = mergeIncident(row ? toIncident(row) : undefined, msg);
    let snapshotPath = row?.snapshot_path ?? null;
    if (takeSnapshot && snapshot) {
      dirsToSync.add(commitSnapshot(this.store.root, snapshot));
      snapshotPath = snapshot.relative;
    }
    const fields = {
      id,
      // the box's ward at the incident's first message: an incident stays where it was indexed if its box moves
      ward: row?.ward ?? ward,
      boxId: box,
      camera: incident.camera,
      label: incident.label,
      score: incident.score,
      topScore: incident.topScore,
      box: JSON.stringify(incident.box),
      zones: JSON.stringify(incident.zones),
      start: incident.start,
      end: incident.end,
      state: incident.state,
      lastMsgId: incident.lastMsgId,
      snapshotPath,
      snapshotMsgId: snapshotPath ? incident.snapshotMsgId : null,
      ruleId: incident.rule?.id ?? null,
      ruleKind: incident.rule?.kind ?? null,
      now,
    };
    if (row) this.s.updateIncident.run(fields);
    else {
      // a clip may have arrived before its event (the event was lost or refused earlier)
      const t = this.s.transfer.get(id);
      const clipState = t ? incidentClipState(t) : 'none';
      this.s.insertIncident.run({
        ...fields,
        clipState,
        clipPath: clipState === 'present' ? storePaths.clip(ward, id) : null,
        clipSha256: clipState === 'present' ? t!.sha256 : null,
      });
    }
    this.cameraSeen(ward, incident.camera, box, now);
    this.stats.events++;
    return takeSnapshot && snapshot !== undefined;
  }

  private applySightings(ward: string, box: string, msg: SightingsMessage, now: number): void {
    // a refusal (Invalid) rolls the savepoint back, the msgId's row with it
    if (!this.firstTime(msg.msgId, now)) return;
    const { written, superseded } = this.sightings.apply(ward, box, msg, now);
    this.stats.sightings += written;
    this.stats.superseded += superseded;
  }

  /** Counts need no seen_msgs row: the camera-minute remembers the message that holds it (hub/ingest/counts.ts). */
  private applyCounts(ward: string, box: string, msg: CountsMessage, now: number): void {
    const action = this.counts.apply(ward, box, msg, now);
    if (action === 'duplicate') this.stats.duplicates++;
    else if (action === 'superseded') this.stats.superseded++;
    else this.stats.countMinutes++;
  }

  private applyManifest(ward: string, box: string, m: ClipManifest, now: number, chunks: ChunkWriter): void {
    const incident = this.s.incident.get(m.eventId);
    const existing = this.s.transfer.get(m.eventId);
    const owner = incident?.box_id ?? existing?.box_id;
    if (owner !== undefined && owner !== box) throw new Invalid('foreign-event', `clip for event ${m.eventId} of box ${owner}`);
    if (m.requestId !== undefined && !this.retrievals.expectsClip(ward, m.requestId)) {
      throw new Invalid('unknown-request', `retrieved clip ${m.requestId}: no such request to ward ${ward}`);
    }
    if (!this.firstTime(m.msgId, now)) return;
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
    this.s.putTransfer.run({
      eventId: m.eventId,
      // a retrieved clip's rows are under the ward of its request; an incident's under the incident's
      ward: incident?.ward ?? ward,
      boxId: box,
      msgId: m.msgId,
      manifest: JSON.stringify(m),
      bytes: m.bytes,
      chunkBytes: m.chunkBytes,
      chunks: m.chunks,
      sha256: m.sha256,
      received: emptyBitmap(m.chunks),
      tempPath,
      now,
    });
    this.s.incidentClip.run('receiving', null, null, null, now, m.eventId);
  }

  private applyChunk(box: string, eventId: string, n: number, data: Buffer, now: number, chunks: ChunkWriter, complete: string[]): void {
    const t = this.s.transfer.get(eventId);
    if (!t) throw new Invalid('chunk-without-manifest', `chunk ${n} of event ${eventId} before its manifest`);
    if (t.box_id !== box) throw new Invalid('foreign-event', `chunk of event ${eventId} of box ${t.box_id}`);
    const slot = chunkSlot({ bytes: t.bytes, chunkBytes: t.chunk_bytes, chunks: t.chunks }, n);
    if ('error' in slot) throw new Invalid('chunk-out-of-range', `event ${eventId}: ${slot.error}`);
    if (data.length !== slot.length) throw new Invalid('chunk-length', `event ${eventId} chunk ${n}: ${data.length} bytes, expected ${slot.length}`);
    if (t.state !== 'receiving' || hasChunk(t.received, n)) {
      this.stats.duplicates++;
      return;
    }
    chunks.write(t.temp_path, slot.offset, data);
    const last = t.received_count + 1 === t.chunks;
    this.s.chunkIn.run(withChunk(t.received, n), last ? 'verifying' : 'receiving', now, eventId);
    this.stats.chunks++;
    if (last) complete.push(eventId);
  }

  /** Transfers whose chunks all arrived but which were not verified (a crash in between). */
  pendingVerification(): string[] {
    return this.s.verifying.all().map((r) => r.event_id);
  }

  /** Checks a complete clip's sha256; present and in place, or failed with the reason. */
  async finishClip(eventId: string): Promise<void> {
    const t = this.s.transfer.get(eventId);
    if (!t || t.state !== 'verifying') return;
    let actual: string;
    try {
      actual = await sha256OfFile(this.store.resolve(t.temp_path));
    } catch (err) {
      actual = `unreadable (${(err as Error).message})`;
    }
    const now = this.clock();
    if (actual === t.sha256) {
      const relative = commitClip(this.store.root, t.temp_path, t.ward, eventId);
      const fate = this.store.db.transaction(() => {
        this.s.transferState.run('present', null, now, eventId);
        this.s.incidentClip.run('present', relative, t.sha256, null, now, eventId);
        return this.retrievals.clipPresent(eventId, t.ward, relative, t.sha256, now);
      })();
      this.stats.clipsCompleted++;
      if (fate === 'discard') {
        removeFile(this.store.root, relative);
        this.log.info({ ward: t.ward, eventId, bytes: t.bytes }, 'retrieved clip arrived after its request was cancelled: removed');
      } else this.log.info({ ward: t.ward, eventId, bytes: t.bytes }, 'clip present');
    } else {
      const reason = `sha256 mismatch: manifest ${t.sha256}, received ${actual}`;
      this.store.db.transaction(() => {
        this.s.transferState.run('failed', reason, now, eventId);
        this.s.incidentClip.run('failed', null, null, reason, now, eventId);
        this.retrievals.clipFailed(eventId, t.ward, reason, now);
      })();
      removeFile(this.store.root, t.temp_path);
      this.stats.clipsFailed++;
      this.log.warn({ ward: t.ward, eventId, reason }, `clip failed: ${reason}`);
    }
  }
}
