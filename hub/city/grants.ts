// The city's grants and emergency access over SQLite (`city_grants`): grant, open, revoke, check, list, and the
// end of each grant noticed by itself (listeners told, an emergency's close audited).
import { monotonicFactory } from 'ulid';
import type { Audit } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import { decide, inForce, type CityAccess, type CityWhat, type GrantTerms } from './policy.js';

export type { CityAccess, CityWhat } from './policy.js';
type Database = Db;

/** A grant or an emergency as the pages and the API show it. */
export interface CityGrantView extends GrantTerms {
  reason: string;
  grantedBy: string;
  createdAt: number;
  revokedBy: string | null;
}

interface Row {
  id: string;
  kind: 'grant' | 'emergency';
  ward: string | null;
  camera: string | null;
  live: number;
  rec_from: number | null;
  rec_to: number | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  granted_by: string;
  created_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

const toView = (r: Row): CityGrantView => ({
  id: r.id,
  kind: r.kind,
  ward: r.ward,
  camera: r.camera,
  live: r.live === 1,
  recordings: r.rec_from !== null && r.rec_to !== null ? { from: r.rec_from, to: r.rec_to } : null,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  reason: r.reason,
  grantedBy: r.granted_by,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

/** Grants that ended longer ago than this no longer explain a refusal ("ended at …"). */
const REMEMBER_MS = 7 * 24 * 3_600_000;
/** The sweep looks at least this often, so a clock that jumps (or an injected one) is noticed soon. */
const SWEEP_MAX_MS = 5_000;

export class CityGrants {
  private readonly db: Database;
  private readonly clock: () => number;
  private readonly audit: Audit;
  private readonly ulid = monotonicFactory();
  private readonly listeners = new Set<() => void>();
  /** ends up to this moment have been noticed */
  private sweptTo: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(o: { db: Database; clock: () => number; audit: Audit }) {
    this.db = o.db;
    this.clock = o.clock;
    this.audit = o.audit;
    // the first sweep also closes (in the audit) emergencies that ended while the hub was down
    this.sweptTo = this.clock() - REMEMBER_MS;
  }

  /** live view, or recordings of [from, to) */
  check(ward: string, camera: string, what: CityWhat): CityAccess {
    const now = this.clock();
    const rows = this.db
      .prepare<[string, string, number], Row>(
        'SELECT * FROM city_grants WHERE (ward IS NULL OR ward = ?) AND (camera IS NULL OR camera = ?) AND ends_at > ?',
      )
      .all(ward, camera, now - REMEMBER_MS);
    return decide(rows.map(toView), ward, camera, what, now);
  }

  grant(g: {
    by: string;
    ward: string;
    camera: string | null;
    minutes: number;
    live: boolean;
    recordings: { from: number; to: number } | null;
    reason: string;
    ip?: string | null;
  }): { id: string; endsAt: number } {
    if (!(g.minutes > 0)) throw new Error('minutes must be more than 0');
    if (!g.live && !g.recordings) throw new Error('a grant allows live view, recordings, or both');
    if (g.recordings && !(g.recordings.from < g.recordings.to)) throw new Error('recordings.to must be later than recordings.from');
    const now = this.clock();
    const id = this.ulid(now);
    const endsAt = now + Math.round(g.minutes * 60_000);
    this.db.transaction(() => {
      this.insert({ id, kind: 'grant', ward: g.ward, camera: g.camera, live: g.live ? 1 : 0, rec_from: g.recordings?.from ?? null,
        rec_to: g.recordings?.to ?? null, starts_at: now, ends_at: endsAt, reason: g.reason, granted_by: g.by, created_at: now,
        revoked_at: null, revoked_by: null });
      this.audit.record({ actor: g.by, ip: g.ip ?? null, action: 'city.grant', target: id,
        detail: { ward: g.ward, camera: g.camera, minutes: g.minutes, live: g.live, recordings: g.recordings, reason: g.reason, endsAt } });
    })();
    this.changed();
    if (this.running) this.tick();
    return { id, endsAt };
  }

  openEmergency(e: { by: string; hours: number; reason: string; ip?: string | null }): { id: string; endsAt: number } {
    if (!(e.hours > 0)) throw new Error('hours must be more than 0');
    const now = this.clock();
    const id = this.ulid(now);
    const endsAt = now + Math.round(e.hours * 3_600_000);
    this.db.transaction(() => {
      this.insert({ id, kind: 'emergency', ward: null, camera: null, live: 1, rec_from: null, rec_to: null, starts_at: now,
        ends_at: endsAt, reason: e.reason, granted_by: e.by, created_at: now, revoked_at: null, revoked_by: null });
      this.audit.record({ actor: e.by, ip: e.ip ?? null, action: 'city.emergency.open', target: id, detail: { hours: e.hours, reason: e.reason, endsAt } });
    })();
    this.changed();
    if (this.running) this.tick();
    return { id, endsAt };
  }

  /** Revokes a grant or closes an emergency still in force; false when there is none such. */
  revoke(id: string, by: string, ip?: string | null): boolean {
    const now = this.clock();
    const done = this.db.transaction(() => {
      const row = this.get(id);
      if (!row || !inForce(row, now)) return false;
      this.db.prepare('UPDATE city_grants SET revoked_at = ?, revoked_by = ? WHERE id = ?').run(now, by, id);
      this.audit.record({ actor: by, ip: ip ?? null, action: row.kind === 'emergency' ? 'city.emergency.close' : 'city.revoke', target: id,
        detail: row.kind === 'emergency' ? { reason: row.reason, ended: 'closed' } : { ward: row.ward, camera: row.camera } });
      return true;
    })();
    if (done) this.changed();
    return done;
  }

  get(id: string): CityGrantView | undefined {
    const row = this.db.prepare<[string], Row>('SELECT * FROM city_grants WHERE id = ?').get(id);
    return row ? toView(row) : undefined;
  }

  /** grants and emergencies not revoked and not yet ended, soonest end first */
  active(): CityGrantView[] {
    const now = this.clock();
    return this.db
      .prepare<[number, number], Row>('SELECT * FROM city_grants WHERE revoked_at IS NULL AND ends_at > ? AND starts_at <= ? ORDER BY ends_at, id')
      .all(now, now)
      .map(toView);
  }

  /** the emergency in force, if any (the banner) */
  emergency(): CityGrantView | undefined {
    return this.active().find((g) => g.kind === 'emergency');
  }

  /** subscribers are told when a grant is revoked or an emergency closed (B ends RTSP sessions at once) */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Notices grants that ended by themselves since the last sweep: an emergency's end is audited, listeners are told.
   * `start()` calls it on a timer; tests with an injected clock call it directly.
   */
  sweep(): number {
    const now = this.clock();
    if (now <= this.sweptTo) return 0;
    const ended = this.db
      .prepare<[number, number], Row>('SELECT * FROM city_grants WHERE revoked_at IS NULL AND ends_at > ? AND ends_at <= ? ORDER BY ends_at')
      .all(this.sweptTo, now);
    this.sweptTo = now;
    for (const row of ended.filter((r) => r.kind === 'emergency')) {
      if (this.audit.list({ target: row.id, limit: 10 }).some((a) => a.action === 'city.emergency.close')) continue;
      this.audit.record({ actor: 'system', action: 'city.emergency.close', target: row.id, detail: { reason: row.reason, ended: 'expired' } });
    }
    if (ended.length > 0) this.changed();
    return ended.length;
  }

  /** Sweeps at each grant's end (and every few seconds) until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** sweeps now, then sleeps until the soonest end (a new grant re-arms it, so its end is noticed at its moment) */
  private tick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.sweep();
    const next = this.active()[0]?.endsAt;
    const wait = next === undefined ? SWEEP_MAX_MS : Math.min(SWEEP_MAX_MS, Math.max(10, next - this.clock()));
    this.timer = setTimeout(() => this.tick(), wait);
    this.timer.unref();
  }

  private insert(row: Row): void {
    this.db
      .prepare(`INSERT INTO city_grants (id, kind, ward, camera, live, rec_from, rec_to, starts_at, ends_at, reason, granted_by, created_at, revoked_at, revoked_by)
        VALUES (@id, @kind, @ward, @camera, @live, @rec_from, @rec_to, @starts_at, @ends_at, @reason, @granted_by, @created_at, @revoked_at, @revoked_by)`)
      .run(row);
  }

  private changed(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // one listener's failure must not keep the others (or the grant's caller) from going on
      }
    }
  }
}
