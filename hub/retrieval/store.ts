// The retrievals table's statements: create, read, list, apply a ward's answer, mark a publish, mark the clip in.
import type { Sql } from '../../shared/sql/sql.js';
import type { Audit } from '../../shared/audit/index.js';
import type { RetrievalStatus } from '../../shared/contract/index.js';
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

/**
 * The statements of the retrievals table, on the async SQL interface. Methods that only run inside a caller's
 * transaction take its handle `t` first; reads that may run inside one (a request's checks, a cancel) take it last,
 * `on`, and otherwise run on the store's own handle.
 */
export class RetrievalStore {
  /**
   * `sql`: the hub index (`store.sql`). `audit`: where the ends of requests that come from a ward (ready, failed)
   * are recorded, as `retrieve.result` by actor `ward:<id>`, in the caller's transaction (ingest's); readers of the
   * table pass none.
   */
  constructor(
    readonly sql: Sql,
    private readonly audit?: Audit,
  ) {}

  /** Stores a new request, inside the caller's transaction `t`. */
  async create(t: Sql, r: { id: string; ward: string; camera: string; from: number; to: number; requestedBy: string }, now: number): Promise<void> {
    await t.run(
      `INSERT INTO retrievals (id, ward, camera, from_ms, to_ms, requested_by, state, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?)`,
      [r.id, r.ward, r.camera, r.from, r.to, r.requestedBy, now, now],
    );
  }

  get(id: string, on: Sql = this.sql): Promise<RetrievalRow | undefined> {
    return rowIn(on, id);
  }

  async view(id: string, on: Sql = this.sql): Promise<RetrievalView | undefined> {
    const row = await on.get<Joined>(`${SELECT} WHERE r.id = ?`, [id]);
    return row && toView(row);
  }

  async list(limit: number, offset: number): Promise<RetrievalView[]> {
    return (await this.sql.all<Joined>(`${SELECT} ORDER BY r.created_at DESC, r.id DESC LIMIT ? OFFSET ?`, [limit, offset])).map(toView);
  }

  /** The operator's requests still open: what counts against remoteAccess.maxOpenPerOperator. */
  async openBy(operator: string, on: Sql = this.sql): Promise<number> {
    const row = await on.get<{ n: number }>(`SELECT count(*) AS n FROM retrievals WHERE requested_by = ? AND state IN (${OPEN_LIST})`, [operator]);
    return row!.n;
  }

  async wardKnown(ward: string, on: Sql = this.sql): Promise<boolean> {
    return (await on.get('SELECT 1 AS one FROM wards WHERE id = ?', [ward])) !== undefined;
  }

  /** what the operator page lists (/api/wards): cameras seen in events or statuses */
  async cameraKnown(ward: string, camera: string, on: Sql = this.sql): Promise<boolean> {
    const seen = await on.get('SELECT 1 AS one FROM cameras WHERE ward = ? AND camera = ? UNION ALL SELECT 1 FROM camera_status WHERE ward = ? AND camera = ?', [ward, camera, ward, camera]);
    return seen !== undefined;
  }

  /** the box that records this camera (the one that sends its data); a camera never heard of: the ward's own box */
  async boxOf(ward: string, camera: string): Promise<string> {
    const row = await this.sql.get<{ box_id: string | null }>('SELECT box_id FROM cameras WHERE ward = ? AND camera = ?', [ward, camera]);
    return row?.box_id ?? ward;
  }

  /** whether a box's last status says it is online */
  async boxOnline(box: string): Promise<boolean> {
    return (await this.sql.get("SELECT 1 AS one FROM box_status WHERE box_id = ? AND state = 'online'", [box])) !== undefined;
  }

  /** whether the box that records this camera says it is online */
  async cameraOnline(ward: string, camera: string): Promise<boolean> {
    return this.boxOnline(await this.boxOf(ward, camera));
  }

  /** the ward a box belongs to (hub.yaml, as last synced); undefined: no such box */
  async wardOfBox(box: string): Promise<string | undefined> {
    return (await this.sql.get<{ ward: string }>('SELECT ward FROM boxes WHERE id = ?', [box]))?.ward;
  }

  /** Requests of a ward it has not answered, not published since `publishedBefore`. */
  waiting(ward: string, publishedBefore: number): Promise<RetrievalRow[]> {
    return this.sql.all<RetrievalRow>(
      `SELECT * FROM retrievals WHERE ward = ? AND state IN ('requested', 'sent-to-ward')
      AND (last_published_at IS NULL OR last_published_at < ?) ORDER BY created_at LIMIT 100`,
      [ward, publishedBefore],
    );
  }

  /** A cmd/retrieve was published. Sent to an offline ward, it counts as not sent: the ward's next "online" sends it at once. */
  async published(id: string, online: boolean, now: number): Promise<void> {
    const on = online ? 1 : 0;
    await this.sql.run(
      `UPDATE retrievals SET publishes = publishes + 1, updated_at = ?,
      last_published_at = CASE WHEN ? = 1 THEN ? ELSE last_published_at END,
      state = CASE WHEN state = 'requested' AND ? = 1 THEN 'sent-to-ward' ELSE state END WHERE id = ?`,
      [now, on, now, on, id],
    );
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

  /**
   * Ends an open request (no longer counts against the limit, not sent again), inside the caller's transaction `t`;
   * false when it was not open. A request the ward never had (still `requested`) needs no cancel sent after it.
   */
  async cancel(t: Sql, id: string, reason: string, now: number): Promise<boolean> {
    const done = await t.run(
      `UPDATE retrievals SET state = 'cancelled', reason = ?, updated_at = ?, cancel_pending = CASE WHEN state = 'requested' THEN 0 ELSE 1 END
      WHERE id = ? AND state IN (${OPEN_LIST})`,
      [reason, now, id],
    );
    return done.changes === 1;
  }

  /** Cancelled requests the ward had, whose cancel it has not been sent since `publishedBefore`. */
  cancelsToSend(ward: string, publishedBefore: number): Promise<RetrievalRow[]> {
    return this.sql.all<RetrievalRow>(
      'SELECT * FROM retrievals WHERE ward = ? AND cancel_pending = 1 AND (last_published_at IS NULL OR last_published_at < ?) ORDER BY updated_at LIMIT 100',
      [ward, publishedBefore],
    );
  }

  /** A cmd/retrieve-cancel was published: done when the ward was online, tried again later otherwise. */
  async cancelPublished(id: string, online: boolean, now: number): Promise<void> {
    if (online) await this.sql.run('UPDATE retrievals SET cancel_pending = 0, last_published_at = ? WHERE id = ?', [now, id]);
    else await this.sql.run('UPDATE retrievals SET last_published_at = ? WHERE id = ?', [now, id]);
  }

  /** Ready clips that arrived before `before`, oldest first: retention's candidates, inside its transaction `t`. */
  readyBefore(t: Sql, before: number, limit: number): Promise<RetrievalRow[]> {
    return t.all<RetrievalRow>("SELECT * FROM retrievals WHERE state = 'ready' AND updated_at < ? ORDER BY updated_at LIMIT ?", [before, limit]);
  }

  /** Marks a ready clip removed, inside retention's transaction `t` (the caller removes its file after the commit). */
  async expire(t: Sql, id: string, now: number): Promise<boolean> {
    return (await t.run("UPDATE retrievals SET state = 'expired', clip_path = NULL, updated_at = ? WHERE id = ? AND state = 'ready'", [now, id])).changes === 1;
  }
}
