// The forward outbox in the hub index (through the async SQL interface): rows in, due rows out, and where each row goes when it is settled.
import type { Sql } from '../../shared/sql/sql.js';
import { targetsFor, type ForwardRule } from './rules.js';

/** What a row sends: an incident, or a recording an operator retrieved from a ward (hub/retrieval). */
export type ForwardSubject = 'incident' | 'recording';

export interface OutboxRow {
  key: string;
  /** the incident's id; a retrieval's id when `subject` is `recording` */
  incident_id: string;
  subject: ForwardSubject;
  target: string;
  cause: 'rule' | 'share';
  rules: string | null;
  shared_by: string | null;
  note: string | null;
  unblurred: number;
  attempts: number;
  next_at: number;
  last_error: string | null;
  created_at: number;
}

export interface DeadLetter {
  key: string;
  subject: { kind: ForwardSubject; id: string };
  /** the incident's id; null for a recording */
  incidentId: string | null;
  target: string;
  cause: 'rule' | 'share';
  rules: string[];
  sharedBy: string | null;
  note: string | null;
  unblurred: boolean;
  attempts: number;
  /** HTTP status of the refusal; null when there was none (e.g. the target was removed from the config) */
  status: number | null;
  reason: string;
  createdAt: number;
  deadAt: number;
}

export interface Queued {
  key: string;
  incidentId: string;
  target: string;
  rules: string[];
}

/** What a share did for one target. */
export interface ShareResult {
  target: string;
  key: string;
  /** queued: new row (or a dead letter given another go); pending: already on its way; delivered: the target has it */
  state: 'queued' | 'pending' | 'delivered';
}

/**
 * The idempotency key of an alert: stable across retries and restarts, one per incident, target and kind;
 * a recording's is `recording:<retrieval id>:<target>`.
 */
export function alertKey(incidentId: string, target: string, unblurred: boolean): string {
  return `${incidentId}:${target}${unblurred ? ':unblurred' : ''}`;
}

export function recordingAlertKey(retrievalId: string, target: string): string {
  return `recording:${retrievalId}:${target}`;
}

const COLUMNS = 'key, incident_id, subject, target, cause, rules, shared_by, note, unblurred';

const INSERT = `INSERT INTO forward_outbox (${COLUMNS}, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)
  ON CONFLICT (key) DO NOTHING`;
// a settled row replaces any earlier one under its key (a dead letter given another go, then delivered)
const TO_DELIVERED = `INSERT INTO forward_delivered (${COLUMNS}, attempts, status, created_at, delivered_at)
  SELECT ${COLUMNS}, attempts + 1, ?, created_at, ? FROM forward_outbox WHERE key = ?
  ON CONFLICT (key) DO UPDATE SET incident_id = excluded.incident_id, subject = excluded.subject, target = excluded.target,
    cause = excluded.cause, rules = excluded.rules, shared_by = excluded.shared_by, note = excluded.note, unblurred = excluded.unblurred,
    attempts = excluded.attempts, status = excluded.status, created_at = excluded.created_at, delivered_at = excluded.delivered_at`;
const TO_DEAD = `INSERT INTO forward_dead (${COLUMNS}, attempts, status, reason, created_at, dead_at)
  SELECT ${COLUMNS}, attempts + 1, ?, ?, created_at, ? FROM forward_outbox WHERE key = ?
  ON CONFLICT (key) DO UPDATE SET incident_id = excluded.incident_id, subject = excluded.subject, target = excluded.target,
    cause = excluded.cause, rules = excluded.rules, shared_by = excluded.shared_by, note = excluded.note, unblurred = excluded.unblurred,
    attempts = excluded.attempts, status = excluded.status, reason = excluded.reason, created_at = excluded.created_at, dead_at = excluded.dead_at`;
const FROM_DEAD = `INSERT INTO forward_outbox (${COLUMNS}, attempts, next_at, created_at)
  SELECT ${COLUMNS}, 0, ?, created_at FROM forward_dead WHERE key = ?
  ON CONFLICT (key) DO NOTHING`;

type Unchecked = { id: string; ward: string; label: string; top_score: number; zones: string; rule_id: string | null; rule_kind: string | null };

/** What `audit` is given inside the transaction that queues: `t` is that transaction, the audit row goes through it. */
export type InTx<A> = (t: Sql, arg: A) => Promise<void>;

const has = async (t: Sql, table: 'forward_outbox' | 'forward_delivered' | 'forward_dead', key: string) =>
  (await t.get<{ key: string }>(`SELECT key FROM ${table} WHERE key = ?`, [key])) !== undefined;

/**
 * The outbox on the hub index (`store.sql`): the shared table every hub process queues into; only the process that
 * holds the forwarder lock delivers from it (forwarder.ts).
 */
export class ForwardOutbox {
  constructor(private readonly sql: Sql) {}

  /**
   * Evaluates the rules once for every ended incident not yet checked; each match becomes an outbox row in the
   * same transaction as the incident's `forwarded` mark and its `forward_checked` mark, and `onQueued` (the
   * audit) runs inside it too, through `t`. Returns the new rows.
   */
  async checkEnded(rules: readonly ForwardRule[], now: number, onQueued: InTx<Queued> = async () => undefined, batch = 500): Promise<Queued[]> {
    const queued: Queued[] = [];
    for (;;) {
      // built anew on each try: PostgreSQL may run the transaction again
      const step = await this.sql.tx(async (t) => {
        const mine: Queued[] = [];
        const rows = await t.all<Unchecked>("SELECT id, ward, label, top_score, zones, rule_id, rule_kind FROM incidents WHERE state = 'ended' AND forward_checked = 0 LIMIT ?", [batch]);
        for (const r of rows) {
          const subject = { ward: r.ward, label: r.label, topScore: r.top_score, zones: JSON.parse(r.zones) as string[], alert: r.rule_id, alertKind: r.rule_kind };
          const matched = targetsFor(rules, subject);
          for (const [target, ruleIds] of matched) {
            const key = alertKey(r.id, target, false);
            if ((await has(t, 'forward_delivered', key)) || (await has(t, 'forward_dead', key))) continue;
            const info = await t.run(INSERT, [key, r.id, 'incident', target, 'rule', JSON.stringify(ruleIds), null, null, 0, now, now]);
            if (info.changes === 0) continue;
            const q = { key, incidentId: r.id, target, rules: ruleIds };
            await onQueued(t, q); // in the transaction: if it throws (the audit), nothing is queued or marked
            mine.push(q);
          }
          if (matched.size > 0) await t.run('UPDATE incidents SET forwarded = 1 WHERE id = ?', [r.id]);
          await t.run('UPDATE incidents SET forward_checked = 1 WHERE id = ?', [r.id]);
        }
        return { rows: rows.length, queued: mine };
      });
      queued.push(...step.queued);
      if (step.rows < batch) return queued;
    }
  }

  /**
   * An operator's share to `targets`; a dead letter shared again gets another go. `audit` runs in the same
   * transaction (through `t`), so a share that cannot be audited is not queued.
   */
  enqueueShare(
    subject: { kind: ForwardSubject; id: string },
    targets: readonly string[],
    share: { by: string; unblurred: boolean; note: string | null },
    now: number,
    audit: InTx<ShareResult[]> = async () => undefined,
  ): Promise<ShareResult[]> {
    return this.sql.tx(async (t) => {
      const results: ShareResult[] = [];
      for (const target of targets) {
        const key = subject.kind === 'incident' ? alertKey(subject.id, target, share.unblurred) : recordingAlertKey(subject.id, target);
        if (await has(t, 'forward_delivered', key)) results.push({ target, key, state: 'delivered' });
        else if (await has(t, 'forward_outbox', key)) results.push({ target, key, state: 'pending' });
        else {
          await t.run('DELETE FROM forward_dead WHERE key = ?', [key]);
          await t.run(INSERT, [key, subject.id, subject.kind, target, 'share', null, share.by, share.note, share.unblurred ? 1 : 0, now, now]);
          results.push({ target, key, state: 'queued' });
        }
      }
      if (subject.kind === 'incident') await t.run('UPDATE incidents SET forwarded = 1 WHERE id = ?', [subject.id]);
      await audit(t, results);
      return results;
    });
  }

  due(now: number, limit: number): Promise<OutboxRow[]> {
    return this.sql.all<OutboxRow>('SELECT * FROM forward_outbox WHERE next_at <= ? ORDER BY next_at, key LIMIT ?', [now, limit]);
  }

  get(key: string): Promise<OutboxRow | undefined> {
    return this.sql.get<OutboxRow>('SELECT * FROM forward_outbox WHERE key = ?', [key]);
  }

  /** When the earliest row not in `except` is due; undefined when there is none. */
  async nextDueAt(except: ReadonlySet<string> = new Set()): Promise<number | undefined> {
    const rows = await this.sql.all<{ key: string; next_at: number }>('SELECT key, next_at FROM forward_outbox ORDER BY next_at, key LIMIT ?', [except.size + 1]);
    return rows.find((r) => !except.has(r.key))?.next_at;
  }

  async delivered(key: string, status: number | null, now: number): Promise<void> {
    await this.sql.tx(async (t) => {
      await t.run(TO_DELIVERED, [status, now, key]);
      await t.run('DELETE FROM forward_outbox WHERE key = ?', [key]);
    });
  }

  async dead(key: string, status: number | null, reason: string, now: number): Promise<void> {
    await this.sql.tx(async (t) => {
      await t.run(TO_DEAD, [status, reason, now, key]);
      await t.run('DELETE FROM forward_outbox WHERE key = ?', [key]);
    });
  }

  async retry(key: string, nextAt: number, error: string): Promise<void> {
    await this.sql.run('UPDATE forward_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE key = ?', [nextAt, error, key]);
  }

  /** Puts a dead letter back in the outbox (after the cause was fixed); false when there is no such letter. */
  requeueDead(key: string, now: number): Promise<boolean> {
    return this.sql.tx(async (t) => {
      if ((await t.run(FROM_DEAD, [now, key])).changes === 0) return false;
      await t.run('DELETE FROM forward_dead WHERE key = ?', [key]);
      return true;
    });
  }

  /** Newest first; page with `before` = the last row's deadAt. */
  async deadLetters(options: { limit?: number; before?: number } = {}): Promise<DeadLetter[]> {
    const rows = await this.sql.all<Record<string, unknown>>('SELECT * FROM forward_dead WHERE dead_at < ? ORDER BY dead_at DESC, key LIMIT ?', [
      options.before ?? Number.MAX_SAFE_INTEGER,
      options.limit ?? 100,
    ]);
    return rows.map(toDeadLetter);
  }

  async counts(): Promise<{ pending: number; delivered: number; dead: number }> {
    return (await this.sql.get<{ pending: number; delivered: number; dead: number }>(`SELECT
      (SELECT count(*) FROM forward_outbox) AS pending, (SELECT count(*) FROM forward_delivered) AS delivered,
      (SELECT count(*) FROM forward_dead) AS dead`))!;
  }
}

function toDeadLetter(r: Record<string, unknown>): DeadLetter {
  const subject = { kind: r.subject as ForwardSubject, id: r.incident_id as string };
  return {
    key: r.key as string,
    subject,
    incidentId: subject.kind === 'incident' ? subject.id : null,
    target: r.target as string,
    cause: r.cause as DeadLetter['cause'],
    rules: r.rules ? (JSON.parse(r.rules as string) as string[]) : [],
    sharedBy: r.shared_by as string | null,
    note: r.note as string | null,
    unblurred: r.unblurred === 1,
    attempts: r.attempts as number,
    status: r.status as number | null,
    reason: r.reason as string,
    createdAt: r.created_at as number,
    deadAt: r.dead_at as number,
  };
}

/** The operators' view of what the city refused for good, newest first. */
export function deadLetters(sql: Sql, options: { limit?: number; before?: number } = {}): Promise<DeadLetter[]> {
  return new ForwardOutbox(sql).deadLetters(options);
}
