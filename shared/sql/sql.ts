// One async interface for SQL that the hub's stores use, on SQLite (better-sqlite3) or PostgreSQL (pg).
//
// The SQL is written once, in the subset both engines take:
// - parameters are `?` only (no `@name`, no `$1`); the PostgreSQL adapter numbers them, skipping `?` inside
//   '…' strings, "…" identifiers and comments. So no PostgreSQL `?` operators (jsonb), no $$ or E'…' strings.
// - upserts are `INSERT … ON CONFLICT (…) DO UPDATE SET … = excluded.…` or `DO NOTHING`; never `INSERT OR IGNORE`
//   / `INSERT OR REPLACE` / `REPLACE INTO`. `RETURNING` works on both.
// - words PostgreSQL reserves are quoted where they name a column: "end", "user" (quoted in SQLite too).
// - integers: every SQLite INTEGER column is BIGINT in PostgreSQL (ms timestamps pass 2^31); BIGINT (and count(*),
//   sum() and avg(), which PostgreSQL returns as BIGINT or NUMERIC) come back as a JS number; a value beyond
//   Number.MAX_SAFE_INTEGER is an error, never a rounded number. REAL is DOUBLE PRECISION.
// - BLOB is BYTEA: a Buffer in, a Buffer out. Booleans are stored as 0/1 integers, as SQLite has no other.
// - no engine-specific functions in shared statements (json_each, strftime, ->> on TEXT…): where a store needs one,
//   it branches on `dialect`, in one place.
// - unquoted, PostgreSQL reads `WHERE user = ?` as `current_user = ?`: no error, wrong rows. Quote it.

/** What a parameter may be. */
export type SqlParam = string | number | null | Buffer;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Every row of a statement that returns rows. */
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  /** A statement that changes rows; `changes`: how many it inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }>;
  /** Several statements without parameters (a migration's DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Inside, use `t` only (the
   * outer handle refuses while the transaction is open: it would deadlock on SQLite and escape the transaction on
   * PostgreSQL). `t.tx` is a savepoint: its failure rolls back only its own work. On PostgreSQL `fn` may run more
   * than once (a serialization failure retries it from the start), so it must do nothing but SQL through `t` that
   * it cannot undo: send messages, write files and change memory after the transaction.
   */
  tx<T>(fn: (t: Sql) => Promise<T>): Promise<T>;
}

/** A lock only one holder has at a time, across every process on the same database. */
export interface AdvisoryLock {
  readonly name: string;
  /** Gives it up; the next asker gets it. */
  release(): Promise<void>;
  /**
   * Resolves if the lock is lost without release() (the connection that held it died): the holder must stop the
   * work it guarded, as another process may now have it. Never resolves on SQLite (the lock is in this process).
   */
  readonly lost: Promise<Error>;
}

/** An open database: what `main.ts` opens once and hands to the stores (as `Sql`). */
export interface SqlDatabase extends Sql {
  /** Takes the named lock if free (a held session lock on PostgreSQL, in-process on SQLite); null when held. */
  tryAdvisoryLock(name: string): Promise<AdvisoryLock | null>;
  /** Waits for work under way, then closes every connection. */
  close(): Promise<void>;
}

/** Thrown by the outer handle when called inside its own open transaction. */
export function outerCallInTx(): Error {
  return new Error('a statement was sent through the database while one of its transactions is open in the same flow: inside sql.tx(async (t) => …) use t, not sql');
}
