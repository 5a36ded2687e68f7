import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDb, type Migration } from './db.js';

const migrations: Migration[] = [
  'CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL)',
  (db) => db.prepare('INSERT INTO a (name) VALUES (?)').run('seed'),
];

describe('openDb', () => {
  it('opens in WAL mode, applies migrations once, and re-opens idempotently', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-db-')), 'sub', 'x.db');
    const db = openDb(file, migrations);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    db.close();
    const again = openDb(file, migrations);
    expect(again.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 });
    again.close();
    const more = openDb(file, [...migrations, 'ALTER TABLE a ADD COLUMN note TEXT']);
    expect(more.pragma('user_version', { simple: true })).toBe(3);
    more.close();
  });

  it('rolls back a failing migration as a whole', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-db-')), 'y.db');
    expect(() => openDb(file, ['CREATE TABLE b (id INTEGER)', 'INSERT INTO b VALUES (1); INSERT INTO nope VALUES (1)'])).toThrow(/nope/);
    const db = openDb(file, ['CREATE TABLE b (id INTEGER)']);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare('SELECT count(*) AS n FROM b').get()).toEqual({ n: 0 });
    db.close();
  });

  it('creates the database, its WAL and its folder for the owner only, whatever the umask, and fixes an older install', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'ww-db-')), 'data');
    const file = path.join(dir, 'm.db');
    const umask = process.umask(0o022);
    try {
      const db = openDb(file, migrations);
      db.prepare('INSERT INTO a (name) VALUES (?)').run('written'); // the WAL exists once something is written
      const mode = (f: string) => statSync(f).mode & 0o777;
      expect([mode(dir), mode(file), mode(`${file}-wal`), mode(`${file}-shm`)]).toEqual([0o700, 0o600, 0o600, 0o600]);
      db.close();
      chmodSync(file, 0o644); // as an older Wardwatch left it
      openDb(file, migrations).close();
      expect(mode(file)).toBe(0o600);
    } finally {
      process.umask(umask);
    }
  });

  it('refuses a database newer than the program', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-db-')), 'z.db');
    openDb(file, migrations).close();
    expect(() => openDb(file, migrations.slice(0, 1))).toThrow(/schema version 2, newer than this program knows \(1\)/);
  });
});
