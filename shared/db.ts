// SQLite helper: open with WAL and sane pragmas, apply numbered migrations, each in one transaction.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export type Db = Database.Database;

/** A migration is SQL (or a function for data changes); its number is its position in the list, from 1. */
export type Migration = string | ((db: Db) => void);

export interface OpenDbOptions {
  /** `synchronous=FULL` costs a little speed and keeps the last commits across power loss */
  durable?: boolean;
  readonly?: boolean;
}

export function openDb(file: string, migrations: readonly Migration[], options: OpenDbOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
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
