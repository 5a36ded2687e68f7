import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { openDb } from '../db.js';
import { migrateSql, type SqlMigration } from './migrate.js';
import { postgresSql } from './postgres.js';
import type { SqlDatabase } from './sql.js';
import { sqliteSql } from './sqlite.js';

const noPostgres = skipWithoutPostgres('shared/sql/migrate.test.ts on PostgreSQL');
let server: TestPostgres | undefined;
const opened: SqlDatabase[] = [];
beforeAll(async () => {
  if (!noPostgres) server = await startPostgres();
}, 30_000);
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close().catch(() => {})));
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` handles on one new database: several hub processes on PostgreSQL; on SQLite, one process's one handle. */
const engines: { name: string; skip: boolean; open: (n: number) => Promise<SqlDatabase[]> }[] = [
  {
    name: 'sqlite',
    skip: false,
    open: async (n) => {
      const db = sqliteSql(openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-migrate-')), 'x.db'), []));
      opened.push(db);
      return Array.from({ length: n }, () => db);
    },
  },
  {
    name: 'postgres',
    skip: noPostgres,
    open: async (n) => {
      const connection = await server!.createDatabase();
      const dbs = Array.from({ length: n }, () => postgresSql({ connection }));
      opened.push(...dbs);
      return dbs;
    },
  },
];

// not idempotent on purpose: a migration applied twice fails on its CREATE TABLE
const steps: SqlMigration[] = [
  {
    name: 'wards',
    up: async (t) => {
      await sleep(100); // long enough for a racing starter to arrive while this one migrates
      await t.exec('CREATE TABLE wards (id TEXT PRIMARY KEY, name TEXT NOT NULL)');
    },
  },
  { name: 'a ward', up: "INSERT INTO wards (id, name) VALUES ('p07', 'Phường 7')" },
  { name: 'cameras', up: 'CREATE TABLE cameras (ward TEXT NOT NULL, camera TEXT NOT NULL); CREATE INDEX cameras_ward ON cameras (ward)' },
];

describe.each(engines)('migrateSql on $name', ({ skip, open }) => {
  const test = it.skipIf(skip);

  test('applies each migration once, in order, and records it; a second start applies nothing', async () => {
    const [db] = await open(1);
    expect(await migrateSql(db!, steps)).toEqual({ applied: 3, version: 3 });
    expect(await migrateSql(db!, steps)).toEqual({ applied: 0, version: 3 });
    expect(await db!.all('SELECT version, name FROM schema_migrations ORDER BY version')).toEqual([
      { version: 1, name: 'wards' },
      { version: 2, name: 'a ward' },
      { version: 3, name: 'cameras' },
    ]);
    expect(await db!.all('SELECT id FROM wards')).toEqual([{ id: 'p07' }]);
  });

  test('two starters racing migrate once between them', async () => {
    const [a, b] = await open(2);
    const results = await Promise.all([migrateSql(a!, steps), migrateSql(b!, steps)]);
    expect(results.map((r) => r.applied).sort()).toEqual([0, 3]);
    expect(await a!.get('SELECT count(*) AS n FROM schema_migrations')).toEqual({ n: 3 });
    expect(await b!.get('SELECT count(*) AS n FROM wards')).toEqual({ n: 1 });
  });

  test('a failing migration is rolled back as a whole and the ones before it stay applied', async () => {
    const [db] = await open(1);
    const broken: SqlMigration = { name: 'broken', up: "INSERT INTO wards (id, name) VALUES ('p08', 'Phường 8'); INSERT INTO nowhere VALUES (1)" };
    await expect(migrateSql(db!, [...steps.slice(0, 2), broken])).rejects.toThrow(/nowhere/);
    expect(await db!.get('SELECT max(version) AS v FROM schema_migrations')).toEqual({ v: 2 });
    expect(await db!.all('SELECT id FROM wards')).toEqual([{ id: 'p07' }]);
    expect(await migrateSql(db!, steps)).toEqual({ applied: 1, version: 3 });
    // the migration lock was released every time: another taker gets it
    const lock = await db!.tryAdvisoryLock('wardwatch:schema-migrations');
    expect(lock).not.toBeNull();
    await lock!.release();
  });

  test('refuses a database newer than the program, naming both versions and the way out', async () => {
    const [db] = await open(1);
    await migrateSql(db!, steps);
    await expect(migrateSql(db!, steps.slice(0, 2))).rejects.toThrow(
      'the database is at schema version 3 ("cameras"), newer than this program knows (2): run the newer Wardwatch or restore a backup',
    );
  });
});

describe.skipIf(noPostgres)('migrateSql lock', () => {
  it('waits for another process migrating, and says so when it waits too long', async () => {
    const [a, b] = await engines[1]!.open(2);
    const held = (await a!.tryAdvisoryLock('wardwatch:schema-migrations'))!;
    await expect(migrateSql(b!, steps, { lockWaitMs: 300 })).rejects.toThrow(/another process has been migrating this database for over 0.3 s \(it holds the lock "wardwatch:schema-migrations"\): wait for it to finish, or stop it/);
    await held.release();
    expect((await migrateSql(b!, steps)).applied).toBe(3);
  });
});
