// The Sql interface over one better-sqlite3 connection, used like a pool of one: an async mutex lets one caller at a
// time in, so no other caller's statement can land inside a transaction whose callback is awaiting.
import type { Db } from '../db.js';
import { statementCache } from '../db.js';
import { outerCallInTx, type AdvisoryLock, type Sql, type SqlDatabase, type SqlParam } from './sql.js';
import { asTxOf, inOpenTx } from './tx-scope.js';

/** Wraps an open database (shared/db.ts openDb); close() closes it. */
export function sqliteSql(db: Db): SqlDatabase {
  return new SqliteDatabase(db);
}

const never = new Promise<Error>(() => {});

class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private readonly statement: ReturnType<typeof statementCache>;
  /** the tail of the queue: each caller waits for the one before */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly locks = new Set<string>();

  constructor(private readonly db: Db) {
    this.statement = statementCache(db);
  }

  /** One caller at a time; a call from inside this database's own open transaction would wait for itself. */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    if (inOpenTx(this)) return Promise.reject(outerCallInTx());
    const result = this.tail.then(fn);
    this.tail = result.catch(() => {});
    return result;
  }

  all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.exclusive(() => this.statement(sql).all(...params) as T[]);
  }

  get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.exclusive(() => this.statement(sql).get(...params) as T | undefined);
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<{ changes: number }> {
    return this.exclusive(() => ({ changes: this.statement(sql).run(...params).changes }));
  }

  exec(sql: string): Promise<void> {
    return this.exclusive(() => void this.db.exec(sql));
  }

  tx<T>(fn: (t: Sql) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      // IMMEDIATE: the write lock up front, so another process's writer makes this wait (busy_timeout), not fail later
      this.db.exec('BEGIN IMMEDIATE');
      const t = new SqliteTx(this.db, this.statement, 1);
      try {
        const result = await asTxOf(this, () => fn(t));
        t.end();
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        t.end();
        // SQLite has already rolled back after some errors (disk full, I/O)
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  tryAdvisoryLock(name: string): Promise<AdvisoryLock | null> {
    // one process owns a SQLite index: the lock only keeps two holders in this process apart
    if (this.locks.has(name)) return Promise.resolve(null);
    this.locks.add(name);
    let held = true;
    return Promise.resolve({
      name,
      lost: never,
      release: () => {
        if (held) this.locks.delete(name);
        held = false;
        return Promise.resolve();
      },
    });
  }

  close(): Promise<void> {
    return this.exclusive(() => void this.db.close());
  }
}

/** The handle a transaction's callback gets: runs at once (its transaction holds the mutex); tx() is a savepoint. */
class SqliteTx implements Sql {
  readonly dialect = 'sqlite' as const;
  private ended = false;

  constructor(
    private readonly db: Db,
    private readonly statement: ReturnType<typeof statementCache>,
    private readonly depth: number,
  ) {}

  end(): void {
    this.ended = true;
  }

  private now<T>(fn: () => T): Promise<T> {
    if (this.ended) return Promise.reject(new Error('this transaction is over: its handle was used after sql.tx() returned'));
    if (inOpenTx(this)) return Promise.reject(outerCallInTx());
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.now(() => this.statement(sql).all(...params) as T[]);
  }

  get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.now(() => this.statement(sql).get(...params) as T | undefined);
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<{ changes: number }> {
    return this.now(() => ({ changes: this.statement(sql).run(...params).changes }));
  }

  exec(sql: string): Promise<void> {
    return this.now(() => void this.db.exec(sql));
  }

  async tx<T>(fn: (t: Sql) => Promise<T>): Promise<T> {
    const name = `sp${this.depth}`;
    await this.now(() => this.db.exec(`SAVEPOINT ${name}`));
    const inner = new SqliteTx(this.db, this.statement, this.depth + 1);
    try {
      const result = await asTxOf(this, () => fn(inner));
      inner.end();
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (err) {
      inner.end();
      if (this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw err;
    }
  }
}
