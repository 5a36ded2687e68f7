// The Sql contract, the same cases on SQLite and on a real PostgreSQL 15.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { openDb } from '../db.js';
import { postgresSql } from './postgres.js';
import type { SqlDatabase } from './sql.js';
import { sqliteSql } from './sqlite.js';

const noPostgres = skipWithoutPostgres('shared/sql/sql.test.ts on PostgreSQL');
let server: TestPostgres | undefined;
beforeAll(async () => {
  if (!noPostgres) server = await startPostgres();
}, 30_000);
afterAll(async () => {
  await server?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const engines: { name: string; skip: boolean; open: () => Promise<SqlDatabase> }[] = [
  { name: 'sqlite', skip: false, open: async () => sqliteSql(openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-sql-')), 'x.db'), [])) },
  { name: 'postgres', skip: noPostgres, open: async () => postgresSql({ connection: await server!.createDatabase() }) },
];

describe.each(engines)('$name', ({ skip, open }) => {
  const test = it.skipIf(skip);

  async function withDb(fn: (db: SqlDatabase) => Promise<void>): Promise<void> {
    const db = await open();
    try {
      await db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL)');
      await fn(db);
    } finally {
      await db.close();
    }
  }
  const keys = async (db: SqlDatabase) => (await db.all<{ k: string }>('SELECT k FROM kv ORDER BY k')).map((r) => r.k);

  test('round-trips text, integers, ms timestamps, reals, null and bytes with the same JS types', async () => {
    await withDb(async (db) => {
      const blob = db.dialect === 'postgres' ? 'BYTEA' : 'BLOB';
      await db.exec(`CREATE TABLE r (t TEXT, i BIGINT, ms BIGINT, x DOUBLE PRECISION, n TEXT, b ${blob})`);
      const bytes = Buffer.from([0, 1, 127, 128, 255]);
      const row = { t: "Phú Nhuận 'p07'?", i: -42, ms: 1_780_000_000_123, x: 0.125, n: null, b: bytes };
      const ins = await db.run('INSERT INTO r (t, i, ms, x, n, b) VALUES (?, ?, ?, ?, ?, ?)', [row.t, row.i, row.ms, row.x, row.n, row.b]);
      expect(ins.changes).toBe(1);
      const back = await db.get<typeof row>('SELECT t, i, ms, x, n, b FROM r WHERE ms = ?', [row.ms]);
      expect(back).toEqual(row);
      expect(Buffer.isBuffer(back!.b)).toBe(true);
      const agg = await db.get('SELECT count(*) AS c, sum(ms) AS s, sum(i) AS si, max(ms) AS m, avg(i) AS a FROM r');
      expect(agg).toEqual({ c: 1, s: row.ms, si: -42, m: row.ms, a: -42 });
      expect(await db.get('SELECT t FROM r WHERE t = ?', ['nobody'])).toBeUndefined();
    });
  });

  test('upserts with ON CONFLICT and reads back with RETURNING', async () => {
    await withDb(async (db) => {
      const upsert = 'INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v RETURNING v';
      expect(await db.all(upsert, ['a', 1])).toEqual([{ v: 1 }]);
      expect(await db.get(upsert, ['a', 5])).toEqual({ v: 6 });
      expect((await db.run('INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING', ['a', 9])).changes).toBe(0);
      expect((await db.run('UPDATE kv SET v = v + 1 WHERE k IN (?, ?)', ['a', 'zz'])).changes).toBe(1);
    });
  });

  test('a transaction commits when its callback resolves and rolls back, rethrowing, when it throws', async () => {
    await withDb(async (db) => {
      expect(await db.tx(async (t) => (await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1])).changes)).toBe(1);
      await expect(
        db.tx(async (t) => {
          await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['b', 1]);
          expect(await t.all('SELECT k FROM kv ORDER BY k')).toEqual([{ k: 'a' }, { k: 'b' }]);
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      expect(await keys(db)).toEqual(['a']);
    });
  });

  test('a nested tx is a savepoint: its failure rolls back its own work only, the outer transaction commits', async () => {
    await withDb(async (db) => {
      await db.tx(async (t) => {
        await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 1]);
        await expect(
          t.tx(async (s) => {
            await s.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['b', 1]);
            throw new Error('inner fails');
          }),
        ).rejects.toThrow('inner fails');
        await t.tx(async (s) => void (await s.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['c', 1])));
        // a failed statement inside a savepoint leaves the outer transaction usable (PostgreSQL would abort it otherwise)
        await expect(t.tx((s) => s.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['a', 2]))).rejects.toThrow();
        await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['d', 1]);
      });
      expect(await keys(db)).toEqual(['a', 'c', 'd']);
    });
  });

  test('a statement sent from elsewhere while a transaction awaits is not part of it (it survives the rollback)', async () => {
    await withDb(async (db) => {
      let inside!: () => void;
      const started = new Promise<void>((r) => (inside = r));
      let settled = false;
      const failing = db.tx(async (t) => {
        await t.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['in-tx', 1]);
        inside();
        await sleep(300);
        throw new Error('roll back');
      });
      failing.catch(() => (settled = true));
      await started;
      const outside = await db.run('INSERT INTO kv (k, v) VALUES (?, ?)', ['outside', 1]);
      const txOverFirst = settled;
      await expect(failing).rejects.toThrow('roll back');
      expect(outside.changes).toBe(1);
      expect(await keys(db)).toEqual(['outside']);
      // SQLite's one connection: the outside statement waited for the transaction; PostgreSQL ran it on another
      expect(txOverFirst).toBe(db.dialect === 'sqlite');
    });
  });

  test('inside a transaction, the outer handle refuses (deadlock or escape), and a spent handle refuses', async () => {
    await withDb(async (db) => {
      let spent!: Parameters<Parameters<SqlDatabase['tx']>[0]>[0];
      await expect(
        db.tx(async (t) => {
          spent = t;
          await db.get('SELECT 1 AS one');
        }),
      ).rejects.toThrow(/inside sql.tx\(async \(t\) => …\) use t, not sql/);
      await expect(spent.get('SELECT 1 AS one')).rejects.toThrow(/this transaction is over/);
      await expect(db.tx(async (t) => t.tx(async () => t.get('SELECT 1 AS one')))).rejects.toThrow(/use t, not sql/);
      expect(await db.get('SELECT 1 AS one')).toEqual({ one: 1 });
    });
  });

  test('an advisory lock has one holder at a time until released', async () => {
    await withDb(async (db) => {
      const lock = await db.tryAdvisoryLock('forwarder');
      expect(lock?.name).toBe('forwarder');
      expect(await db.tryAdvisoryLock('forwarder')).toBeNull();
      const other = await db.tryAdvisoryLock('retention');
      expect(other).not.toBeNull();
      await lock!.release();
      const again = await db.tryAdvisoryLock('forwarder');
      expect(again).not.toBeNull();
      await again!.release();
      await other!.release();
    });
  });
});
