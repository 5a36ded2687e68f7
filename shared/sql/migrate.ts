// Versioned migrations on either engine: schema_migrations records each one applied; each runs in its own
// transaction; on PostgreSQL under an advisory lock, so hub processes starting together migrate once.
import type { Sql, SqlDatabase } from './sql.js';

/** Its version is its position in the list, from 1. `up` is DDL (several statements) or a function for data. */
export interface SqlMigration {
  readonly name: string;
  readonly up: string | ((t: Sql) => Promise<void>);
}

export interface MigrateOptions {
  /** how long to wait for another process that is migrating the same database (default 60 s) */
  lockWaitMs?: number;
  now?: () => number;
}

/** The lock every Wardwatch process takes to migrate. */
export const MIGRATION_LOCK = 'wardwatch:schema-migrations';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies what is not applied yet; safe on every start. Returns how many it applied and the version reached. */
export async function migrateSql(db: SqlDatabase, migrations: readonly SqlMigration[], options: MigrateOptions = {}): Promise<{ applied: number; version: number }> {
  const { lockWaitMs = 60_000, now = Date.now } = options;
  const deadline = now() + lockWaitMs;
  let lock = await db.tryAdvisoryLock(MIGRATION_LOCK);
  while (!lock) {
    if (now() > deadline) {
      throw new Error(`another process has been migrating this database for over ${lockWaitMs / 1000} s (it holds the lock "${MIGRATION_LOCK}"): wait for it to finish, or stop it`);
    }
    await sleep(50 + Math.random() * 100);
    lock = await db.tryAdvisoryLock(MIGRATION_LOCK);
  }
  try {
    await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const start = await currentVersion(db);
    if (start.version > migrations.length) {
      throw new Error(
        `the database is at schema version ${start.version} ("${start.name}"), newer than this program knows (${migrations.length}): run the newer Wardwatch or restore a backup`,
      );
    }
    let applied = 0;
    for (let version = start.version + 1; version <= migrations.length; version++) {
      const { name, up } = migrations[version - 1]!;
      const done = await db.tx(async (t) => {
        // checked again inside: without the lock (two processes on one SQLite file) the transaction still decides
        const at = (await currentVersion(t)).version;
        if (at >= version) return false;
        if (typeof up === 'string') await t.exec(up);
        else await up(t);
        await t.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [version, name, now()]);
        return true;
      });
      if (done) applied++;
    }
    return { applied, version: migrations.length };
  } finally {
    await lock.release();
  }
}

async function currentVersion(q: Sql): Promise<{ version: number; name: string }> {
  const row = await q.get<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1');
  return row ?? { version: 0, name: '' };
}
