// The retrievals table's statements: create, read, list, apply a ward's answer, mark a publish, mark the clip in.
import type { Sql } from '../../shared/sql/sql.js';
import type { Audit } from '../../shared/audit/index.js';
import type { RetrievalStatus } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import { Invalid } from '../store/invalid.js';
import { afterWardStatus, OPEN_STATES, viewState, type RetrievalState, type TransferProgress } from './policy.js';
import type { StoredRetrievalState } from '../store/retrieval-schema.js';

export interface RetrievalRow {
  id: string;
  ward: string;
  camera: string;
  from_ms: number;
  to_ms: number;
  requested_by: string;
  state: StoredRetrievalState;
  reason: string | null;
  bytes: number | null;
  clip_path: string | null;
  clip_sha256: string | null;
  publishes: number;
  last_published_at: number | null;
  /** 1: cancelled after the ward had it, cmd/retrieve-cancel not yet sent */
  cancel_pending: number;
  created_at: number;
  updated_at: number;
}

/** A retrieval as the API shows it. */
export interface RetrievalView {
  id: string;
  ward: string;
  camera: string;
  from: number;
  to: number;
  requestedBy: string;
  state: RetrievalState;
  reason: string | null;
  bytes: number | null;
  sha256: string | null;
  /** chunks at the hub / chunks in all, once the clip is on its way */
  progress: { received: number; total: number } | null;
  /** its shares with the city, by forward target row: on their way, delivered, refused for good */
  shared: { pending: number; delivered: number; dead: number };
  createdAt: number;
  updatedAt: number;
}

type Joined = RetrievalRow & {
  t_state: TransferProgress['state'] | null;
  t_received: number | null;
  t_chunks: number | null;
  t_ward: string | null;
  f_pending: number;
  f_delivered: number;
  f_dead: number;
};

function toView(r: Joined): RetrievalView {
  // a clip under this id from another ward is not this request's clip
  const transfer = r.t_state !== null && r.t_ward === r.ward ? { state: r.t_state, received: r.t_received!, chunks: r.t_chunks! } : undefined;
  const { state, progress } = viewState(r.state, transfer);
  return {
    id: r.id,
    ward: r.ward,
    camera: r.camera,
    from: r.from_ms,
    to: r.to_ms,
    requestedBy: r.requested_by,
    state,
    reason: r.reason,
    bytes: r.bytes,
    sha256: r.clip_sha256,
    progress,
    shared: { pending: r.f_pending, delivered: r.f_delivered, dead: r.f_dead },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const shares = (table: string) => `(SELECT count(*) FROM ${table} f WHERE f.incident_id = r.id AND f.subject = 'recording')`;
const SELECT = `SELECT r.*, t.state AS t_state, t.received_count AS t_received, t.chunks AS t_chunks, t.ward AS t_ward,
  ${shares('forward_outbox')} AS f_pending, ${shares('forward_delivered')} AS f_delivered, ${shares('forward_dead')} AS f_dead
  FROM retrievals r LEFT JOIN clip_transfers t ON t.event_id = r.id`;
const OPEN_LIST = OPEN_STATES.map((s) => `'${s}'`).join(', ');

/** A request's row, read through the caller's transaction. */
const rowIn = (t: Sql, id: string) => t.get<RetrievalRow>('SELECT * FROM retrievals WHERE id = ?', [id]);

export class RetrievalStore {
  private readonly s;

  /**
   * `audit`: where the ends of requests that come from a ward (ready, failed) are recorded, as `retrieve.result`
   * by actor `ward:<id>`, in the caller's transaction (ingest's); readers of the table pass none.
   */
  constructor(
    readonly db: Db,
    private readonly audit?: Audit,
  ) {
    this.s = {
      insert: db.prepare(`INSERT INTO retrievals (id, ward, camera, from_ms, to_ms, requested_by, state, created_at, updated_at)
        VALUES (@id, @ward, @camera, @from, @to, @requestedBy, 'requested', @now, @now)`),
      get: db.prepare<[string], RetrievalRow>('SELECT * FROM retrievals WHERE id = ?'),
      view: db.prepare<[string], Joined>(`${SELECT} WHERE r.id = ?`),
      list: db.prepare<[number, number], Joined>(`${SELECT} ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?`),
      openBy: db.prepare(`SELECT count(*) FROM retrievals WHERE requested_by = ? AND state IN (${OPEN_LIST})`).pluck(),
      // what the operator page lists (/api/wards): cameras seen in events or statuses
      camera: db.prepare('SELECT 1 FROM cameras WHERE ward = @ward AND camera = @camera UNION ALL SELECT 1 FROM camera_status WHERE ward = @ward AND camera = @camera').pluck(),
      ward: db.prepare('SELECT 1 FROM wards WHERE id = ?').pluck(),
      boxOnline: db.prepare("SELECT 1 FROM box_status WHERE box_id = ? AND state = 'online'").pluck(),
      boxOfCamera: db.prepare<[string, string], { box_id: string | null }>('SELECT box_id FROM cameras WHERE ward = ? AND camera = ?'),
      wardOfBox: db.prepare<[string], { ward: string }>('SELECT ward FROM boxes WHERE id = ?'),
      waiting: db.prepare<[string, number], RetrievalRow>(`SELECT * FROM retrievals WHERE ward = ? AND state IN ('requested', 'sent-to-ward')
        AND (last_published_at IS NULL OR last_published_at < ?) ORDER BY created_at LIMIT 100`),
      // sent to an offline ward, it counts as not sent: the ward's next "online" sends it at once
      published: db.prepare(`UPDATE retrievals SET publishes = publishes + 1, updated_at = @now,
        last_published_at = CASE WHEN @online = 1 THEN @now ELSE last_published_at END,
        state = CASE WHEN state = 'requested' AND @online = 1 THEN 'sent-to-ward' ELSE state END WHERE id = @id`),
      // a request the ward never had (still `requested`) needs no cancel sent after it
      cancel: db.prepare("UPDATE retrievals SET state = 'cancelled', reason = ?, updated_at = ?, cancel_pending = (state != 'requested') WHERE id = ? AND state IN (" + OPEN_LIST + ')'),
      cancelsFor: db.prepare<[string, number], RetrievalRow>('SELECT * FROM retrievals WHERE ward = ? AND cancel_pending = 1 AND (last_published_at IS NULL OR last_published_at < ?) ORDER BY updated_at LIMIT 100'),
      cancelSent: db.prepare('UPDATE retrievals SET cancel_pending = 0, last_published_at = ? WHERE id = ?'),
      cancelTried: db.prepare('UPDATE retrievals SET last_published_at = ? WHERE id = ?'),
      oldReady: db.prepare<[number, number], RetrievalRow>("SELECT * FROM retrievals WHERE state = 'ready' AND updated_at < ? ORDER BY updated_at LIMIT ?"),
      expire: db.prepare("UPDATE retrievals SET state = 'expired', clip_path = NULL, updated_at = ? WHERE id = ? AND state = 'ready'"),
    };
  }

  create(r: { id: string; ward: string; camera: string; from: number; to: number; requestedBy: string }, now: number): void {
    this.s.insert.run({ ...r, now });
  }

  get(id: string): RetrievalRow | undefined {
    return this.s.get.get(id);
  }

  view(id: string): RetrievalView | undefined {
    const row = this.s.view.get(id);
    return row && toView(row);
  }

  list(limit: number, offset: number): RetrievalView[] {
    return this.s.list.all(limit, offset).map(toView);
  }

  openBy(operator: string): number {
    return this.s.openBy.get(operator) as number;
  }

  wardKnown(ward: string): boolean {
    return this.s.ward.get(ward) !== undefined;
  }

  cameraKnown(ward: string, camera: string): boolean {
    return this.s.camera.get({ ward, camera }) !== undefined;
  }

  /** the box that records this camera (the one that sends its data); a camera never heard of: the ward's own box */
  boxOf(ward: string, camera: string): string {
    return this.s.boxOfCamera.get(ward, camera)?.box_id ?? ward;
  }

  /** whether a box's last status says it is online */
  boxOnline(box: string): boolean {
    return this.s.boxOnline.get(box) !== undefined;
  }

  /** whether the box that records this camera says it is online */
  cameraOnline(ward: string, camera: string): boolean {
    return this.boxOnline(this.boxOf(ward, camera));
  }

  /** the ward a box belongs to (hub.yaml, as last synced); undefined: no such box */
  wardOfBox(box: string): string | undefined {
    return this.s.wardOfBox.get(box)?.ward;
  }

  /** Requests of a ward it has not answered, not published since `publishedBefore`. */
  waiting(ward: string, publishedBefore: number): RetrievalRow[] {
    return this.s.waiting.all(ward, publishedBefore);
  }

  published(id: string, online: boolean, now: number): void {
    this.s.published.run({ id, online: online ? 1 : 0, now });
  }

  /** A ward's answer, inside ingest's transaction `t`. Throws `Invalid` for a request it does not own. */
  async applyStatus(t: Sql, ward: string, status: RetrievalStatus, now: number): Promise<void> {
    const row = await rowIn(t, status.requestId);
    if (!row) throw new Invalid('unknown-request', `retrieval status for request ${status.requestId}, which the hub never made`);
    if (row.ward !== ward) throw new Invalid('foreign-event', `retrieval status for request ${status.requestId} of ward ${row.ward}`);
    const next = afterWardStatus(row.state, status);
    if (next === undefined) return;
    await t.run('UPDATE retrievals SET state = ?, reason = coalesce(?, reason), bytes = coalesce(?, bytes), updated_at = ? WHERE id = ?', [
      next, status.reason ?? null, status.bytes ?? null, now, row.id,
    ]);
    if (next === 'failed') await this.ended(t, row, { state: 'failed', reason: status.reason ?? null });
  }

  private async ended(t: Sql, row: RetrievalRow, detail: Record<string, unknown>): Promise<void> {
    await this.audit?.recordIn(t, { actor: `ward:${row.ward}`, action: 'retrieve.result', target: row.id, ip: null, detail: { ward: row.ward, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: row.requested_by, ...detail } });
  }

  /** Whether a retrieved clip (manifest with requestId) from `ward` answers one of its requests. */
  async expectsClip(t: Sql, ward: string, requestId: string): Promise<boolean> {
    return (await rowIn(t, requestId))?.ward === ward;
  }

  /**
   * A clip arrived whole under `id`, inside the caller's transaction `t`. Returns `discard` when it answers a request
   * that no longer wants it (cancelled while the clip was on its way): the caller removes the file once its
   * transaction has committed.
   */
  async clipPresent(t: Sql, id: string, ward: string, clipPath: string, sha256: string, now: number): Promise<'kept' | 'discard'> {
    const row = await rowIn(t, id);
    const done = await t.run(`UPDATE retrievals SET state = 'ready', clip_path = ?, clip_sha256 = ?, reason = NULL, updated_at = ? WHERE id = ? AND ward = ? AND state IN (${OPEN_LIST})`, [
      clipPath, sha256, now, id, ward,
    ]);
    if (done.changes) {
      await this.ended(t, row!, { state: 'ready', bytes: row!.bytes, sha256 });
      return 'kept';
    }
    return row?.ward === ward && row.state === 'cancelled' ? 'discard' : 'kept';
  }

  async clipFailed(t: Sql, id: string, ward: string, reason: string, now: number): Promise<void> {
    const row = await rowIn(t, id);
    const done = await t.run(`UPDATE retrievals SET state = 'failed', reason = ?, updated_at = ? WHERE id = ? AND ward = ? AND state IN (${OPEN_LIST})`, [reason, now, id, ward]);
    if (done.changes) await this.ended(t, row!, { state: 'failed', reason });
  }

  /** Ends an open request (no longer counts against the limit, not sent again); false when it was not open. */
  cancel(id: string, reason: string, now: number): boolean {
    return this.s.cancel.run(reason, now, id).changes === 1;
  }

  /** Cancelled requests the ward had, whose cancel it has not been sent since `publishedBefore`. */
  cancelsToSend(ward: string, publishedBefore: number): RetrievalRow[] {
    return this.s.cancelsFor.all(ward, publishedBefore);
  }

  /** A cmd/retrieve-cancel was published: done when the ward was online, tried again later otherwise. */
  cancelPublished(id: string, online: boolean, now: number): void {
    if (online) this.s.cancelSent.run(now, id);
    else this.s.cancelTried.run(now, id);
  }

  /** Ready clips that arrived before `before`, oldest first: retention's candidates. */
  readyBefore(before: number, limit: number): RetrievalRow[] {
    return this.s.oldReady.all(before, limit);
  }

  /** Marks a ready clip removed (the caller removes its file after the commit). */
  expire(id: string, now: number): boolean {
    return this.s.expire.run(now, id).changes === 1;
  }
}
