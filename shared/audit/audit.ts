// The audit log on the async SQL interface (SQLite or PostgreSQL): append a row (in the caller's transaction when
// there is one), list, verify; and the ward box's synchronous append for its better-sqlite3 transactions.
import type { Db } from '../db.js';
import type { Sql } from '../sql/sql.js';
import { sqliteSql } from '../sql/sqlite.js';
import { isAuditAction, type AuditAction } from './actions.js';
import { canonicalJson, rowHash, verifyChainPaged, type AuditHead, type AuditRow, type ChainVerdict } from './chain.js';

/** Who did it and from where: passed along by whatever performs the action. */
export interface AuditContext {
  /** user name, `cli:<os user>`, or `system` */
  actor: string;
  ip?: string | null | undefined;
}

export interface AuditEntry extends AuditContext {
  action: AuditAction;
  target?: string | null | undefined;
  detail?: Record<string, unknown> | null | undefined;
}

export interface Audit {
  /** Appends one row in a transaction of its own. */
  record(entry: AuditEntry): Promise<AuditRow>;
  /** Appends one row inside a transaction of the async SQL interface (shared/sql/), committed or rolled back with it. */
  recordIn(t: Sql, entry: AuditEntry): Promise<AuditRow>;
  /** newest first, `before` an id for paging */
  list(options?: AuditListOptions): Promise<AuditRow[]>;
  /** the whole chain against its head, both read in one transaction */
  verify(): Promise<ChainVerdict>;
}

export interface AuditListOptions {
  before?: number;
  limit?: number;
  actor?: string;
  target?: string;
}

/**
 * The ward box's audit: its other stores are synchronous better-sqlite3 and audit inside their own
 * `db.transaction(...)`, through `recordNow`; the async methods run through the box's `Sql` on the same db.
 */
export type LocalAudit = Audit & {
  /** Appends one row now; inside a `db.transaction(...)` it joins it (a savepoint): the action and its row commit or roll back together. */
  recordNow(entry: AuditEntry): AuditRow;
  /**
   * The async handle on the box's db the async methods use: the box's other async stores (its accounts) must use
   * this one too, as two handles on one connection would open their transactions inside each other.
   */
  readonly sql: Sql;
};

export interface AuditOptions {
  clock?: () => number;
}

const MAX_TEXT = 200;

/** The audit log on any `Sql` (SQLite or PostgreSQL). */
export function createAudit(sql: Sql, options: AuditOptions = {}): Audit {
  const clock = options.clock ?? Date.now;
  // Every row updates the one head row: on PostgreSQL concurrent appends conflict there and all but one are run
  // again, so this process's own appends go one at a time (other processes' still conflict, and are retried).
  let queue: Promise<unknown> = Promise.resolve();
  return {
    async record(entry) {
      checkEntry(entry); // a bad entry is refused before a transaction opens
      const row = queue.then(() => sql.tx((t) => appendAudit(t, entry, clock())));
      queue = row.catch(() => undefined);
      return row;
    },
    recordIn(t, entry) {
      return appendAudit(t, entry, clock());
    },
    list({ before, limit = 100, actor, target } = {}) {
      const filters: [string, string | number | undefined][] = [
        ['id < ?', before],
        ['actor = ?', actor],
        ['target = ?', target],
      ];
      const used = filters.filter((f): f is [string, string | number] => f[1] !== undefined);
      const where = used.map((f) => f[0]);
      const params = used.map((f) => f[1]);
      const text = `SELECT ${COLUMNS} FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      return sql.all<AuditRow>(text, [...params, Math.min(Math.max(1, limit), 1000)]);
    },
    verify() {
      // one transaction: rows and head from the same moment even while others append
      return sql.tx(async (t) => {
        const head = (await t.get<AuditHead>('SELECT count, last_id, last_hash FROM audit_head WHERE one = 1')) ?? { count: 0, last_id: 0, last_hash: '' };
        return verifyChainPaged((afterId) => t.all<AuditRow>(`SELECT ${COLUMNS} FROM audit WHERE id > ? ORDER BY id LIMIT ${VERIFY_PAGE}`, [afterId]), head);
      });
    },
  };
}

/**
 * The box's audit over its better-sqlite3 db: `recordNow` for code inside a synchronous `db.transaction`, the async
 * methods through `sqliteSql(db)` (or `options.sql`, a handle on the same db), exposed as `sql` for the box's other
 * async stores.
 */
export function createLocalAudit(db: Db, options: AuditOptions & { sql?: Sql } = {}): LocalAudit {
  const clock = options.clock ?? Date.now;
  const sql = options.sql ?? sqliteSql(db);
  const readHead = db.prepare<[], AuditHead>('SELECT count, last_id, last_hash FROM audit_head WHERE one = 1');
  const insert = db.prepare<AuditRow>(
    'INSERT INTO audit (id, at, actor, action, target, detail, ip, prev_hash, hash) VALUES (@id, @at, @actor, @action, @target, @detail, @ip, @prev_hash, @hash)',
  );
  const writeHead = db.prepare<[number, string]>('UPDATE audit_head SET count = count + 1, last_id = ?, last_hash = ? WHERE one = 1');
  const append = db.transaction((entry: AuditEntry): AuditRow => {
    const row = nextRow(readHead.get(), entry, clock());
    insert.run(row);
    writeHead.run(row.id, row.hash);
    return row;
  });
  return {
    ...createAudit(sql, options),
    sql,
    recordNow(entry) {
      checkEntry(entry);
      return append(entry);
    },
  };
}

const COLUMNS = 'id, at, actor, action, target, detail, ip, prev_hash, hash';
/** rows `verify` reads at a time */
const VERIFY_PAGE = 5000;

function checkEntry(entry: AuditEntry): void {
  if (!isAuditAction(entry.action)) throw new Error(`unknown audit action "${String(entry.action)}" (see shared/audit/actions.ts)`);
  if (!entry.actor) throw new Error('an audit entry needs an actor');
}

/** The row after `head`: numbered next, chained to the one before. */
function nextRow(head: AuditHead | undefined, entry: AuditEntry, at: number): AuditRow {
  if (!head) throw new Error('audit_head row is missing: the audit log was tampered with; run `audit verify`');
  const partial = {
    id: head.last_id + 1,
    at,
    actor: clip(entry.actor),
    action: entry.action,
    target: entry.target == null ? null : clip(entry.target),
    detail: entry.detail == null ? null : canonicalJson(entry.detail),
    ip: entry.ip ?? null,
    prev_hash: head.last_hash,
  };
  return { ...partial, hash: rowHash(partial) };
}

/**
 * Appends one row through the async SQL interface, inside the caller's transaction `t` (the head row is written
 * first, then read: on PostgreSQL a second writer waits for its row lock, then fails as a serialization conflict and
 * its transaction is retried; read first, both would take the same next id and the loser fail as a duplicate key,
 * which is not retried).
 */
export async function appendAudit(t: Sql, entry: AuditEntry, at: number): Promise<AuditRow> {
  checkEntry(entry);
  const head = await t.get<AuditHead>('UPDATE audit_head SET count = count + 1 WHERE one = 1 RETURNING count, last_id, last_hash');
  const row = nextRow(head, entry, at);
  await t.run('INSERT INTO audit (id, at, actor, action, target, detail, ip, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    row.id, row.at, row.actor, row.action, row.target, row.detail, row.ip, row.prev_hash, row.hash,
  ]);
  await t.run('UPDATE audit_head SET last_id = ?, last_hash = ? WHERE one = 1', [row.id, row.hash]);
  return row;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
}
