// The city's grants and emergency access in the hub's index (`city_grants`, through the async SQL interface, on
// SQLite or PostgreSQL): grant, open, revoke, check, list, and the end of each grant noticed by itself (listeners
// told, an emergency's close audited once, whichever hub process notices it first).
import { monotonicFactory } from 'ulid';
import type { Audit } from '../../shared/audit/index.js';
import type { Logger } from '../../shared/log.js';
import type { Sql } from '../../shared/sql/sql.js';
import { decide, inForce, type CityAccess, type CityWhat, type GrantTerms } from './policy.js';

export type { CityAccess, CityWhat } from './policy.js';

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

const COLUMNS = ['id', 'kind', 'ward', 'camera', 'live', 'rec_from', 'rec_to', 'starts_at', 'ends_at', 'reason', 'granted_by', 'created_at', 'revoked_at', 'revoked_by'] as const;

export class CityGrants {
  private readonly sql: Sql;
  private readonly clock: () => number;
  private readonly audit: Pick<Audit, 'recordIn'>;
  private readonly logger: Logger | undefined;
  private readonly ulid = monotonicFactory();
  private readonly listeners = new Set<() => unknown>();
  /** ends up to this moment have been noticed */
  private sweptTo: number;
  /** sweeps run one after the other: each looks at the ends since the one before */
  private sweeping: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(o: { sql: Sql; clock: () => number; audit: Pick<Audit, 'recordIn'>; logger?: Logger }) {
    this.sql = o.sql;
    this.clock = o.clock;
    this.audit = o.audit;
    this.logger = o.logger;
    // the first sweep also closes (in the audit) emergencies that ended while the hub was down
    this.sweptTo = this.clock() - REMEMBER_MS;
  }

  /** live view, or recordings of [from, to) */
  async check(ward: string, camera: string, what: CityWhat): Promise<CityAccess> {
    const now = this.clock();
    const rows = await this.sql.all<Row>(
      'SELECT * FROM city_grants WHERE (ward IS NULL OR ward = ?) AND (camera IS NULL OR camera = ?) AND ends_at > ? ORDER BY id',
      [ward, camera, now - REMEMBER_MS],
    );
    return decide(rows.map(toView), ward, camera, what, now);
  }

  async grant(g: {
    by: string;
    ward: string;
    camera: string | null;
    minutes: number;
    live: boolean;
    recordings: { from: number; to: number } | null;
    reason: string;
    ip?: string | null;
  }): Promise<{ id: string; endsAt: number }> {
    if (!(g.minutes > 0)) throw new Error('minutes must be more than 0');
    if (!g.live && !g.recordings) throw new Error('a grant allows live view, recordings, or both');
    if (g.recordings && !(g.recordings.from < g.recordings.to)) throw new Error('recordings.to must be later than recordings.from');
    const now = this.clock();
    const id = this.ulid(now);
    const endsAt = now + Math.round(g.minutes * 60_000);
    await this.sql.tx(async (t) => {
      await insert(t, { id, kind: 'grant', ward: g.ward, camera: g.camera, live: g.live ? 1 : 0, rec_from: g.recordings?.from ?? null,
        rec_to: g.recordings?.to ?? null, starts_at: now, ends_at: endsAt, reason: g.reason, granted_by: g.by, created_at: now,
        revoked_at: null, revoked_by: null });
      await this.audit.recordIn(t, { actor: g.by, ip: g.ip ?? null, action: 'city.grant', target: id,
        detail: { ward: g.ward, camera: g.camera, minutes: g.minutes, live: g.live, recordings: g.recordings, reason: g.reason, endsAt } });
    });
    await this.changed();
    if (this.running) void this.tick();
    return { id, endsAt };
  }

  async openEmergency(e: { by: string; hours: number; reason: string; ip?: string | null }): Promise<{ id: string; endsAt: number }> {
    if (!(e.hours > 0)) throw new Error('hours must be more than 0');
    const now = this.clock();
    const id = this.ulid(now);
    const endsAt = now + Math.round(e.hours * 3_600_000);
    await this.sql.tx(async (t) => {
      await insert(t, { id, kind: 'emergency', ward: null, camera: null, live: 1, rec_from: null, rec_to: null, starts_at: now,
        ends_at: endsAt, reason: e.reason, granted_by: e.by, created_at: now, revoked_at: null, revoked_by: null });
      await this.audit.recordIn(t, { actor: e.by, ip: e.ip ?? null, action: 'city.emergency.open', target: id, detail: { hours: e.hours, reason: e.reason, endsAt } });
    });
    await this.changed();
    if (this.running) void this.tick();
    return { id, endsAt };
  }

  /** Revokes a grant or closes an emergency still in force; false when there is none such. */
  async revoke(id: string, by: string, ip?: string | null): Promise<boolean> {
    const now = this.clock();
    const done = await this.sql.tx(async (t) => {
      const found = await t.get<Row>('SELECT * FROM city_grants WHERE id = ?', [id]);
      const row = found && toView(found);
      if (!row || !inForce(row, now)) return false;
      await t.run('UPDATE city_grants SET revoked_at = ?, revoked_by = ? WHERE id = ?', [now, by, id]);
      await this.audit.recordIn(t, { actor: by, ip: ip ?? null, action: row.kind === 'emergency' ? 'city.emergency.close' : 'city.revoke', target: id,
        detail: row.kind === 'emergency' ? { reason: row.reason, ended: 'closed' } : { ward: row.ward, camera: row.camera } });
      return true;
    });
    if (done) await this.changed();
    return done;
  }

  async get(id: string): Promise<CityGrantView | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM city_grants WHERE id = ?', [id]);
    return row ? toView(row) : undefined;
  }

  /** grants and emergencies not revoked and not yet ended, soonest end first */
  async active(): Promise<CityGrantView[]> {
    const now = this.clock();
    const rows = await this.sql.all<Row>('SELECT * FROM city_grants WHERE revoked_at IS NULL AND ends_at > ? AND starts_at <= ? ORDER BY ends_at, id', [now, now]);
    return rows.map(toView);
  }

  /** the emergency in force, if any (the banner) */
  async emergency(): Promise<CityGrantView | undefined> {
    return (await this.active()).find((g) => g.kind === 'emergency');
  }

  /**
   * Subscribers are told when a grant is revoked or an emergency closed (B ends RTSP sessions at once): the change's
   * caller waits for a listener's promise, so a revoke has ended the sessions it ends when it resolves.
   */
  onChange(listener: () => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Notices grants that ended by themselves since the last sweep: an emergency's end is audited (once, whichever
   * process sees it first), listeners are told. `start()` calls it on a timer; tests with an injected clock call it
   * directly. Sweeps run one after the other.
   */
  sweep(): Promise<number> {
    const next = this.sweeping.then(() => this.sweepOnce());
    this.sweeping = next.catch(() => undefined);
    return next;
  }

  /** Sweeps at each grant's end (and every few seconds) until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async sweepOnce(): Promise<number> {
    const now = this.clock();
    if (now <= this.sweptTo) return 0;
    const ended = await this.sql.all<Row>('SELECT * FROM city_grants WHERE revoked_at IS NULL AND ends_at > ? AND ends_at <= ? ORDER BY ends_at, id', [this.sweptTo, now]);
    for (const row of ended.filter((r) => r.kind === 'emergency')) {
      await this.sql.tx(async (t) => {
        // another hub process (or this one before a restart) may have closed it already
        const closed = await t.get("SELECT 1 AS one FROM audit WHERE target = ? AND action = 'city.emergency.close'", [row.id]);
        if (!closed) await this.audit.recordIn(t, { actor: 'system', action: 'city.emergency.close', target: row.id, detail: { reason: row.reason, ended: 'expired' } });
      });
    }
    this.sweptTo = now;
    if (ended.length > 0) await this.changed();
    return ended.length;
  }

  /** sweeps now, then sleeps until the soonest end (a new grant re-arms it, so its end is noticed at its moment) */
  private async tick(): Promise<void> {
    if (!this.running) return;
    let wait = SWEEP_MAX_MS;
    try {
      await this.sweep();
      const next = (await this.active())[0]?.endsAt;
      if (next !== undefined) wait = Math.min(SWEEP_MAX_MS, Math.max(10, next - this.clock()));
    } catch (err) {
      if (this.running) this.logger?.warn({ err }, `city grants: could not look for grants that ended (trying again in ${SWEEP_MAX_MS / 1000} s)`);
    }
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref();
  }

  private async changed(): Promise<void> {
    // one listener's failure must not keep the others (or the grant's caller) from going on
    await Promise.allSettled([...this.listeners].map(async (l) => l()));
  }
}

async function insert(t: Sql, row: Row): Promise<void> {
  await t.run(`INSERT INTO city_grants (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`, COLUMNS.map((c) => row[c]));
}
