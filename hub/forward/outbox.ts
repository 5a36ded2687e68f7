// The forward outbox in the hub db: rows in, due rows out, and where each row goes when it is settled.
import type { Db } from '../../shared/db.js';
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

export class ForwardOutbox {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      unchecked: db.prepare<[number], { id: string; ward: string; label: string; top_score: number; zones: string; rule_id: string | null; rule_kind: string | null }>(
        "SELECT id, ward, label, top_score, zones, rule_id, rule_kind FROM incidents WHERE state = 'ended' AND forward_checked = 0 LIMIT ?",
      ),
      checked: db.prepare('UPDATE incidents SET forward_checked = 1 WHERE id = ?'),
      forwarded: db.prepare('UPDATE incidents SET forwarded = 1 WHERE id = ?'),
      isDelivered: db.prepare<[string], { key: string }>('SELECT key FROM forward_delivered WHERE key = ?'),
      isDead: db.prepare<[string], { key: string }>('SELECT key FROM forward_dead WHERE key = ?'),
      isPending: db.prepare<[string], { key: string }>('SELECT key FROM forward_outbox WHERE key = ?'),
      insert: db.prepare(`INSERT OR IGNORE INTO forward_outbox (${COLUMNS}, attempts, next_at, created_at)
        VALUES (@key, @incidentId, @subject, @target, @cause, @rules, @sharedBy, @note, @unblurred, 0, @now, @now)`),
      due: db.prepare<[number, number], OutboxRow>('SELECT * FROM forward_outbox WHERE next_at <= ? ORDER BY next_at, key LIMIT ?'),
      soonest: db.prepare<[number], { key: string; next_at: number }>('SELECT key, next_at FROM forward_outbox ORDER BY next_at, key LIMIT ?'),
      get: db.prepare<[string], OutboxRow>('SELECT * FROM forward_outbox WHERE key = ?'),
      toDelivered: db.prepare(`INSERT OR REPLACE INTO forward_delivered (${COLUMNS}, attempts, status, created_at, delivered_at)
        SELECT ${COLUMNS}, attempts + 1, ?, created_at, ? FROM forward_outbox WHERE key = ?`),
      toDead: db.prepare(`INSERT OR REPLACE INTO forward_dead (${COLUMNS}, attempts, status, reason, created_at, dead_at)
        SELECT ${COLUMNS}, attempts + 1, ?, ?, created_at, ? FROM forward_outbox WHERE key = ?`),
      fromDead: db.prepare(`INSERT OR IGNORE INTO forward_outbox (${COLUMNS}, attempts, next_at, created_at)
        SELECT ${COLUMNS}, 0, ?, created_at FROM forward_dead WHERE key = ?`),
      remove: db.prepare('DELETE FROM forward_outbox WHERE key = ?'),
      removeDead: db.prepare('DELETE FROM forward_dead WHERE key = ?'),
      retry: db.prepare('UPDATE forward_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE key = ?'),
      dead: db.prepare<[number, number], Record<string, unknown>>('SELECT * FROM forward_dead WHERE dead_at < ? ORDER BY dead_at DESC, key LIMIT ?'),
      counts: db.prepare<[], { pending: number; delivered: number; dead: number }>(`SELECT
        (SELECT count(*) FROM forward_outbox) AS pending, (SELECT count(*) FROM forward_delivered) AS delivered,
        (SELECT count(*) FROM forward_dead) AS dead`),
    };
  }

  private settled(key: string): boolean {
    return this.s.isDelivered.get(key) !== undefined || this.s.isDead.get(key) !== undefined;
  }

  /**
   * Evaluates the rules once for every ended incident not yet checked; each match becomes an outbox row in the
   * same transaction as the incident's `forwarded` mark and its `forward_checked` mark, and `onQueued` (the
   * audit) runs inside it too. Returns the new rows.
   */
  checkEnded(rules: readonly ForwardRule[], now: number, onQueued: (q: Queued) => void = () => undefined, batch = 500): Queued[] {
    const queued: Queued[] = [];
    const step = this.db.transaction(() => {
      const rows = this.s.unchecked.all(batch);
      for (const r of rows) {
        const subject = { ward: r.ward, label: r.label, topScore: r.top_score, zones: JSON.parse(r.zones) as string[], alert: r.rule_id, alertKind: r.rule_kind };
        const matched = targetsFor(rules, subject);
        for (const [target, ruleIds] of matched) {
          const key = alertKey(r.id, target, false);
          if (this.settled(key)) continue;
          const info = this.s.insert.run({ key, incidentId: r.id, subject: 'incident', target, cause: 'rule', rules: JSON.stringify(ruleIds), sharedBy: null, note: null, unblurred: 0, now });
          if (info.changes === 0) continue;
          const q = { key, incidentId: r.id, target, rules: ruleIds };
          onQueued(q); // in the transaction: if it throws (the audit), nothing is queued or marked
          queued.push(q);
        }
        if (matched.size > 0) this.s.forwarded.run(r.id);
        this.s.checked.run(r.id);
      }
      return rows.length;
    });
    while (step() === batch);
    return queued;
  }

  /**
   * An operator's share to `targets`; a dead letter shared again gets another go. `audit` runs in the same
   * transaction, so a share that cannot be audited is not queued.
   */
  enqueueShare(
    subject: { kind: ForwardSubject; id: string },
    targets: readonly string[],
    share: { by: string; unblurred: boolean; note: string | null },
    now: number,
    audit: (results: ShareResult[]) => void = () => undefined,
  ): ShareResult[] {
    return this.db.transaction(() => {
      const results = targets.map((target): ShareResult => {
        const key = subject.kind === 'incident' ? alertKey(subject.id, target, share.unblurred) : recordingAlertKey(subject.id, target);
        if (this.s.isDelivered.get(key)) return { target, key, state: 'delivered' };
        if (this.s.isPending.get(key)) return { target, key, state: 'pending' };
        this.s.removeDead.run(key);
        this.s.insert.run({ key, incidentId: subject.id, subject: subject.kind, target, cause: 'share', rules: null, sharedBy: share.by, note: share.note, unblurred: share.unblurred ? 1 : 0, now });
        return { target, key, state: 'queued' };
      });
      if (subject.kind === 'incident') this.s.forwarded.run(subject.id);
      audit(results);
      return results;
    })();
  }

  due(now: number, limit: number): OutboxRow[] {
    return this.s.due.all(now, limit);
  }

  get(key: string): OutboxRow | undefined {
    return this.s.get.get(key);
  }

  /** When the earliest row not in `except` is due; undefined when there is none. */
  nextDueAt(except: ReadonlySet<string> = new Set()): number | undefined {
    return this.s.soonest.all(except.size + 1).find((r) => !except.has(r.key))?.next_at;
  }

  delivered(key: string, status: number | null, now: number): void {
    this.db.transaction(() => {
      this.s.toDelivered.run(status, now, key);
      this.s.remove.run(key);
    })();
  }

  dead(key: string, status: number | null, reason: string, now: number): void {
    this.db.transaction(() => {
      this.s.toDead.run(status, reason, now, key);
      this.s.remove.run(key);
    })();
  }

  retry(key: string, nextAt: number, error: string): void {
    this.s.retry.run(nextAt, error, key);
  }

  /** Puts a dead letter back in the outbox (after the cause was fixed); false when there is no such letter. */
  requeueDead(key: string, now: number): boolean {
    return this.db.transaction(() => {
      if (this.s.fromDead.run(now, key).changes === 0) return false;
      this.s.removeDead.run(key);
      return true;
    })();
  }

  /** Newest first; page with `before` = the last row's deadAt. */
  deadLetters(options: { limit?: number; before?: number } = {}): DeadLetter[] {
    return this.s.dead.all(options.before ?? Number.MAX_SAFE_INTEGER, options.limit ?? 100).map(toDeadLetter);
  }

  counts(): { pending: number; delivered: number; dead: number } {
    return this.s.counts.get()!;
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
export function deadLetters(db: Db, options: { limit?: number; before?: number } = {}): DeadLetter[] {
  return new ForwardOutbox(db).deadLetters(options);
}
