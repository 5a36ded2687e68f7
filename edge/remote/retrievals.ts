// Answers cmd/retrieve on the ward box: checks it, cuts the range from the recorded segments by stream copy,
// and queues the clip (under the request id) with a `sent` status in one transaction — or `failed` with the reason.
// A repeated request id does nothing new; a cut cut short by a restart is done again at start. cmd/retrieve-cancel
// drops what is left of a request: the cut to come, or the clip's part still in the outbox.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LocalAudit } from '../../shared/audit/index.js';
import { decodeCommand, MAX_CLIP_BYTES, topics, type RetrievalStatus, type RetrieveCancelCommand, type RetrieveCommand } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import type { Logger } from '../../shared/log.js';
import { clipPlan, cutClip } from '../events/clip.js';
import type { RecordStore } from '../record/store.js';
import { describeClip, newMsgId, type Outbox } from '../uplink/outbox.js';
import { decideRetrieval } from './policy.js';

export interface RetrievalServiceOptions {
  db: Db;
  outbox: Outbox;
  recordStore: RecordStore;
  audit: LocalAudit;
  ffmpegPath: string;
  ward: string;
  cameras: readonly string[];
  /** retrieved clips are cut into `<dir>/<camera>/<requestId>.mp4` and removed once uploaded */
  dir: string;
  logger: Logger;
  clock: () => number;
  maxRetrieveMs?: number;
}

const SWEEP_EVERY_MS = 10 * 60_000;

interface Row {
  request_id: string;
  camera: string;
  from_ms: number;
  to_ms: number;
  requested_by: string;
  state: 'cutting' | 'sent' | 'failed';
  path: string | null;
}

export class RetrievalService {
  private readonly log: Logger;
  private readonly s;
  /** one cut at a time: recording and detection come first on a 2-core box */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  private readonly db: Db;
  private readonly outbox: Outbox;
  private readonly recordStore: RecordStore;
  private readonly audit: LocalAudit;
  private readonly ffmpegPath: string;
  private readonly ward: string;
  private readonly cameras: readonly string[];
  private readonly dir: string;
  private readonly clock: () => number;
  private readonly maxRetrieveMs: number | undefined;

  constructor({ db, outbox, recordStore, audit, ffmpegPath, ward, cameras, dir, logger, clock, maxRetrieveMs }: RetrievalServiceOptions) {
    this.db = db;
    this.outbox = outbox;
    this.recordStore = recordStore;
    this.audit = audit;
    this.ffmpegPath = ffmpegPath;
    this.ward = ward;
    this.cameras = cameras;
    this.dir = dir;
    this.clock = clock;
    this.maxRetrieveMs = maxRetrieveMs;
    this.log = logger.child({ part: 'retrieve' });
    this.s = {
      get: db.prepare<[string], Row>('SELECT * FROM retrievals WHERE request_id = ?'),
      insert: db.prepare(`INSERT INTO retrievals (request_id, camera, from_ms, to_ms, requested_by, state, reason, created_at, updated_at)
        VALUES (@requestId, @camera, @from, @to, @requestedBy, @state, @reason, @now, @now)`),
      sent: db.prepare("UPDATE retrievals SET state = 'sent', path = ?, updated_at = ? WHERE request_id = ?"),
      failed: db.prepare("UPDATE retrievals SET state = 'failed', reason = ?, updated_at = ? WHERE request_id = ?"),
      cutting: db.prepare<[], Row>("SELECT * FROM retrievals WHERE state = 'cutting' ORDER BY created_at"),
      uploaded: db.prepare<[], Row>(
        "SELECT r.* FROM retrievals r WHERE r.state = 'sent' AND r.path IS NOT NULL AND NOT EXISTS (SELECT 1 FROM clip_uploads u WHERE u.event_id = r.request_id)",
      ),
      forget: db.prepare('UPDATE retrievals SET path = NULL WHERE request_id = ?'),
    };
  }

  /** A command from the hub (the uplink's onCommand). Never throws: a bad command is logged and dropped. */
  command(name: string, payload: Buffer): void {
    const decoded = decodeCommand(name, payload);
    if (!decoded.ok) {
      this.log.warn({ command: name, reason: decoded.reason }, `command from the hub ignored: ${decoded.reason}`);
      return;
    }
    const cmd = decoded.command;
    if (cmd.name !== 'retrieve' && cmd.name !== 'retrieve-cancel') return; // other commands have their own service (edge/main.ts, the uplink)
    try {
      if (cmd.name === 'retrieve-cancel') this.cancel(cmd.payload);
      else if (this.accept(cmd.payload)) this.enqueueCut(cmd.payload.requestId);
    } catch (err) {
      // not stored: the hub sends it again when this box next reports online
      this.log.error({ err, command: cmd.name, requestId: cmd.payload.requestId }, `${cmd.name} could not be stored`);
    }
  }

  /** Cuts that a stop or crash interrupted; and clips whose upload finished, removed. */
  resume(): void {
    this.sweep();
    for (const row of this.s.cutting.all()) this.enqueueCut(row.request_id);
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  /** Removes retrieved clips the hub has (their upload row is gone). */
  sweep(): void {
    for (const row of this.s.uploaded.all()) {
      rmSync(row.path!, { force: true });
      this.s.forget.run(row.request_id);
    }
  }

  /** Waits for the cut under way; queued ones are done at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    await this.queue;
  }

  /** Stores the request with its first answer, in one transaction; true when there is a clip to cut. */
  private accept(cmd: RetrieveCommand): boolean {
    return this.db.transaction(() => {
      if (this.s.get.get(cmd.requestId)) {
        this.log.info({ requestId: cmd.requestId }, 'retrieve repeated: already handled');
        return false;
      }
      const now = this.clock();
      const decision = decideRetrieval(cmd, {
        ward: this.ward,
        cameras: this.cameras,
        segments: this.cameras.includes(cmd.camera) ? this.recordStore.segmentsInRange(cmd.camera, cmd.from, cmd.to) : [],
        ...(this.maxRetrieveMs !== undefined ? { maxRetrieveMs: this.maxRetrieveMs } : {}),
      });
      const reason = decision.ok ? null : decision.reason;
      this.s.insert.run({ requestId: cmd.requestId, camera: cmd.camera, from: cmd.from, to: cmd.to, requestedBy: cmd.requestedBy, state: decision.ok ? 'cutting' : 'failed', reason, now });
      this.audit.recordNow({ actor: cmd.requestedBy, action: 'retrieve.request', target: cmd.requestId, ip: null, detail: { via: 'hub', camera: cmd.camera, from: cmd.from, to: cmd.to } });
      if (decision.ok) this.status({ requestId: cmd.requestId, state: 'cutting' });
      else this.fail(cmd.requestId, cmd.requestedBy, decision.reason);
      return decision.ok;
    })();
  }

  /**
   * The operator no longer wants the request: a cut still to come is not made, a clip still in the outbox leaves
   * it (one already at the hub stays there). The row ends `failed` with who cancelled it, audited, in one
   * transaction; the hub needs no answer (it cancelled first).
   */
  private cancel(cmd: RetrieveCancelCommand): void {
    const file = this.db.transaction((): string | null | undefined => {
      const row = this.s.get.get(cmd.requestId);
      if (!row || row.state === 'failed') return undefined; // never had it, or over already: nothing to drop
      const dropped = this.outbox.dropClip(cmd.requestId);
      if (row.state === 'sent' && !dropped) return undefined; // the hub has the whole clip already
      const reason = `cancelled by ${cmd.cancelledBy}`;
      this.s.failed.run(reason, this.clock(), cmd.requestId);
      this.s.forget.run(cmd.requestId);
      this.audit.recordNow({ actor: `hub:${cmd.cancelledBy}`, action: 'retrieve.cancel', target: cmd.requestId, ip: null, detail: { via: 'hub', was: row.state, clipDropped: dropped } });
      return row.path;
    })();
    if (file === undefined) return;
    if (file) rmSync(file, { force: true });
    this.log.info({ requestId: cmd.requestId, by: cmd.cancelledBy }, `retrieve ${cmd.requestId} cancelled by ${cmd.cancelledBy}`);
  }

  private status(s: Omit<RetrievalStatus, 'msgId'>): void {
    this.outbox.enqueue(topics.retrievals(this.ward), { msgId: newMsgId(this.clock()), ...s });
  }

  /** Inside a transaction: the row, the answer to the hub and the audit row together. */
  private fail(requestId: string, requestedBy: string, reason: string): void {
    this.s.failed.run(reason, this.clock(), requestId);
    this.status({ requestId, state: 'failed', reason });
    this.audit.recordNow({ actor: requestedBy, action: 'retrieve.result', target: requestId, ip: null, detail: { state: 'failed', reason } });
    this.log.warn({ requestId, reason }, `retrieve failed: ${reason}`);
  }

  private enqueueCut(requestId: string): void {
    this.queue = this.queue.then(() => (this.stopped ? undefined : this.cut(requestId)));
  }

  private async cut(requestId: string): Promise<void> {
    const row = this.s.get.get(requestId);
    if (!row || row.state !== 'cutting') return;
    // segments are read again: retention may have taken some since the request came
    const plan = clipPlan(this.recordStore.segmentsInRange(row.camera, row.from_ms, row.to_ms), row.from_ms, row.to_ms);
    let failure: string | undefined;
    let file: string | undefined;
    if (!plan) failure = 'no recording left in the range (removed by retention since the request?)';
    else {
      const dir = path.join(this.dir, row.camera);
      mkdirSync(dir, { recursive: true });
      file = path.join(dir, `${requestId}.mp4`);
      try {
        await cutClip(this.ffmpegPath, plan, file);
        const clip = await describeClip(file);
        if (clip.bytes > MAX_CLIP_BYTES) failure = `the clip is ${Math.round(clip.bytes / 1e6)} MB, more than one clip may carry: ask for a shorter range`;
        else {
          const queued = this.db.transaction(() => {
            if (this.s.get.get(requestId)?.state !== 'cutting') return false; // cancelled while it was being cut
            this.outbox.enqueueClip({ ...clip, eventId: requestId, requestId, camera: row.camera, start: plan.start, end: plan.end });
            this.s.sent.run(file!, this.clock(), requestId);
            this.status({ requestId, state: 'sent', bytes: clip.bytes });
            this.audit.recordNow({ actor: row.requested_by, action: 'retrieve.result', target: requestId, ip: null, detail: { state: 'sent', bytes: clip.bytes, sha256: clip.sha256, start: plan.start, end: plan.end } });
            return true;
          })();
          if (!queued) {
            rmSync(file, { force: true });
            return;
          }
          this.log.info({ requestId, camera: row.camera, bytes: clip.bytes, seconds: plan.durationSeconds }, 'retrieved clip cut and queued for the hub');
          return;
        }
      } catch (err) {
        if (this.stopped) return; // stopping: the row stays `cutting`, and the next start cuts it again
        failure = `cutting the clip failed: ${(err as Error).message.split('\n')[0]!.slice(0, 300)}`;
      }
    }
    if (file) rmSync(file, { force: true });
    this.db.transaction(() => this.fail(requestId, row.requested_by, failure!))();
  }
}
