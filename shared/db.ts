// SQLite helper: open with WAL and sane pragmas, owner-only files, apply numbered migrations, each in one transaction.
import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/** A migration is SQL (or a function for data changes); its number is its position in the list, from 1. */
export type Migration = string | ((db: Db) => void);

export interface OpenDbOptions {
  /** `synchronous=FULL` costs a little speed and keeps the last commits across power loss */
  durable?: boolean;
  readonly?: boolean;
}

/**
 * The database holds users' password hashes, sessions, the audit log and what the cameras saw: only its owner may
 * read it, whatever the umask. SQLite gives the -wal and -shm files the mode of the database file, so creating that
 * one 0600 is enough for new files; files of an older install are made owner-only here too.
 */
function ownerOnly(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch (err) {
      // gone, or someone else's file (an administrator opening it as another user): leave it as it is
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw err;
    }
  }
}

export function openDb(file: string, migrations: readonly Migration[], options: OpenDbOptions = {}): Db {
  if (file !== ':memory:' && !options.readonly) ownerOnly(file);
  const db = new Database(file, { readonly: options.readonly ?? false });
  if (options.readonly) return db;
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durable === false ? 'NORMAL' : 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db, migrations);
  return db;
}

/** Applies the migrations not yet applied; safe to call on every open. */
export function migrate(db: Db, migrations: readonly Migration[]): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `database ${db.name} is at schema version ${current}, newer than this program knows (${migrations.length}): run the newer Wardwatch or restore a backup`,
    );
  }
  for (let version = current + 1; version <= migrations.length; version++) {
    const step = migrations[version - 1]!;
    db.transaction(() => {
      if (typeof step === 'string') db.exec(step);
      else step(db);
      db.pragma(`user_version = ${version}`);
    })();
  }
  return migrations.length - current;
}

/**
 * Prepares each distinct SQL text once: queries built from a filter's shape (which columns it names) repeat a few
 * shapes many times. The cache grows with the number of shapes, which the callers bound.
 */
export function statementCache(db: Db): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) cache.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
}
