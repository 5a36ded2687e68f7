// Evidence holds: a camera's time range kept until an administrator lifts it (RecordStore protections of kind
// 'hold'), each change audited in the same transaction.
import type { LocalAudit } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import type { RecordStore } from '../record/store.js';

export interface Hold {
  id: number;
  camera: string;
  fromMs: number;
  toMs: number;
  /** `event:<id>` when placed on an event */
  ref: string | null;
  createdBy: string | null;
  createdAt: number;
  releasedAt: number | null;
}

export interface HoldActor {
  name: string;
  ip: string | null;
}

export class Holds {
  constructor(
    private readonly db: Db,
    private readonly store: RecordStore,
    private readonly audit: LocalAudit,
    private readonly clock: () => number,
  ) {}

  add(h: { camera: string; fromMs: number; toMs: number; ref: string | null; reason: string | null }, by: HoldActor): Hold {
    const now = this.clock();
    const id = this.db.transaction(() => {
      const id = this.store.protect({ camera: h.camera, fromMs: h.fromMs, toMs: h.toMs, kind: 'hold', ref: h.ref ?? undefined, keepUntilMs: null, createdBy: by.name, now });
      this.audit.recordNow({ actor: by.name, action: 'hold.add', target: `hold:${id}`, ip: by.ip, detail: { camera: h.camera, fromMs: h.fromMs, toMs: h.toMs, ref: h.ref, reason: h.reason } });
      return id;
    })();
    return this.get(id)!;
  }

  /** false when there is no such hold in force */
  release(id: number, by: HoldActor, reason: string | null): boolean {
    const now = this.clock();
    return this.db.transaction(() => {
      const hold = this.get(id);
      if (!hold || hold.releasedAt !== null || !this.store.release(id, now)) return false;
      this.audit.recordNow({ actor: by.name, action: 'hold.release', target: `hold:${id}`, ip: by.ip, detail: { camera: hold.camera, fromMs: hold.fromMs, toMs: hold.toMs, reason } });
      return true;
    })();
  }

  get(id: number): Hold | undefined {
    return this.db
      .prepare<[number], Hold>(
        "SELECT id, camera, from_ms AS fromMs, to_ms AS toMs, ref, created_by AS createdBy, created_at AS createdAt, released_at AS releasedAt FROM protections WHERE id = ? AND kind = 'hold'",
      )
      .get(id);
  }

  /** Holds overlapping [fromMs, toMs) (all when omitted), newest first; released ones too when asked. */
  list(o: { camera?: string | undefined; fromMs?: number | undefined; toMs?: number | undefined; includeReleased?: boolean } = {}): Hold[] {
    const where = ["kind = 'hold'"];
    const params: (string | number)[] = [];
    const add = (sql: string, v: string | number | undefined) => {
      if (v === undefined) return;
      where.push(sql);
      params.push(v);
    };
    add('camera = ?', o.camera);
    add('to_ms > ?', o.fromMs);
    add('from_ms < ?', o.toMs);
    if (!o.includeReleased) where.push('released_at IS NULL');
    return this.db
      .prepare<(string | number)[], Hold>(
        `SELECT id, camera, from_ms AS fromMs, to_ms AS toMs, ref, created_by AS createdBy, created_at AS createdAt, released_at AS releasedAt FROM protections WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT 500`,
      )
      .all(...params);
  }
}
