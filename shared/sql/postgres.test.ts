// What only the PostgreSQL adapter does: serialization retries, session locks across processes' pools, a lost
// connection, integers beyond 2^53, a server restart. Against a real PostgreSQL 15.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { advisoryKey, postgresSql } from './postgres.js';
import type { SqlDatabase } from './sql.js';

const noPostgres = skipWithoutPostgres('shared/sql/postgres.test.ts');
let server: TestPostgres;
const opened: SqlDatabase[] = [];
beforeAll(async () => {
  if (!noPostgres) server = await startPostgres();
}, 30_000);
afterAll(async () => {
  await Promise.all(opened.map((db) => db.close().catch(() => {})));
  await server?.close();
});

/** `n` handles on one new database, as `n` hub processes would have. */
async function pools(n: number): Promise<SqlDatabase[]> {
  const connection = await server.createDatabase();
  const dbs = Array.from({ length: n }, () => postgresSql({ connection }));
  opened.push(...dbs);
  return dbs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(noPostgres)('postgresSql', () => {
  it('runs a transaction again when it fails to serialize: two conflicting ones both end committed, one retried once', async () => {
    const [a, b] = await pools(2);
    await a!.exec("CREATE TABLE counter (k TEXT PRIMARY KEY, v BIGINT NOT NULL); INSERT INTO counter VALUES ('n', 0)");
    // both read before either writes (the barrier), then both write the same row: one of them must not commit as is
    let arrived = 0;
    let open!: () => void;
    const barrier = new Promise<void>((r) => (open = r));
    const increment = (db: SqlDatabase, attempts: number[]) =>
      db.tx(async (t) => {
        attempts.push(1);
        const { v } = (await t.get<{ v: number }>('SELECT v FROM counter WHERE k = ?', ['n']))!;
        if (attempts.length === 1) {
          if (++arrived === 2) open();
          await barrier;
        }
        await t.run('UPDATE counter SET v = ? WHERE k = ?', [v + 1, 'n']);
        return v + 1;
      });
    const attemptsA: number[] = [];
    const attemptsB: number[] = [];
    const results = await Promise.all([increment(a!, attemptsA), increment(b!, attemptsB)]);
    expect(results.sort()).toEqual([1, 2]);
    expect([attemptsA.length, attemptsB.length].sort()).toEqual([1, 2]);
    expect(await a!.get('SELECT v FROM counter')).toEqual({ v: 2 });
  });

  it('retries a deadlock victim too, gives up after maxAttempts naming the SQLSTATE, and never retries other errors', async () => {
    const connection = await server.createDatabase();
    const db = postgresSql({ connection, maxAttempts: 2 });
    opened.push(db);
    let calls = 0;
    const fails = db.tx(async (t) => {
      calls++;
      await t.exec("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$");
    });
    await expect(fails).rejects.toThrow(/failed to serialize 2 times in a row \(SQLSTATE 40001\); gave up/);
    expect(calls).toBe(2);
    // a deadlock victim is retried too, and a retry that succeeds commits
    calls = 0;
    await db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY)');
    await db.tx(async (t) => {
      await t.run('INSERT INTO kv (k) VALUES (?)', [`try ${++calls}`]);
      if (calls === 1) await t.exec("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40P01'; END $$");
    });
    expect(await db.all('SELECT k FROM kv')).toEqual([{ k: 'try 2' }]);
    // other errors are not retried
    calls = 0;
    const missing = db.tx(async (t) => {
      calls++;
      await t.exec('SELECT * FROM nowhere');
    });
    await expect(missing).rejects.toThrow(/nowhere/);
    expect(calls).toBe(1);
  });

  it('runs the whole transaction again when a savepoint\'s caller catches a serialization failure or deadlock', async () => {
    const connection = await server.createDatabase();
    const db = postgresSql({ connection });
    opened.push(db);
    await db.exec('CREATE TABLE kv (k TEXT PRIMARY KEY)');
    for (const code of ['40001', '40P01']) {
      let calls = 0;
      const caught: string[] = [];
      await db.tx(async (t) => {
        calls++;
        await t.run('INSERT INTO kv (k) VALUES (?)', [`${code} before, try ${calls}`]);
        // as ingest does with one message of a batch: its savepoint fails, the error is kept, the batch goes on
        await t
          .tx(async (s) => {
            if (calls === 1) await s.exec(`DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '${code}'; END $$`);
          })
          .catch((err: { code?: string }) => void caught.push(err.code ?? '?'));
        // the next statement of the doomed attempt fails with the same error, which goes up to tx()
        await t.run('INSERT INTO kv (k) VALUES (?)', [`${code} after, try ${calls}`]);
      });
      expect(caught).toEqual([code]);
      expect(calls).toBe(2);
    }
    expect(await db.all('SELECT k FROM kv ORDER BY k')).toEqual([
      { k: '40001 after, try 2' }, { k: '40001 before, try 2' }, { k: '40P01 after, try 2' }, { k: '40P01 before, try 2' },
    ]);
    // even when the callback catches everything after it, the doomed attempt does not commit
    let calls = 0;
    await db.tx(async (t) => {
      calls++;
      await t
        .tx(async (s) => {
          if (calls === 1) await s.exec("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = '40001'; END $$");
          else await s.run("INSERT INTO kv (k) VALUES ('swallowed, try 2')");
        })
        .catch(() => undefined);
      await t.run('INSERT INTO kv (k) VALUES (?)', [`last, try ${calls}`]).catch(() => undefined);
    });
    expect(calls).toBe(2);
    expect(await db.all("SELECT k FROM kv WHERE k LIKE 'last%' OR k LIKE 'swallowed%' ORDER BY k")).toEqual([{ k: 'last, try 2' }, { k: 'swallowed, try 2' }]);
  });

  it('an advisory lock is held by one of two pools until released, closed, or its session killed', async () => {
    const [a, b] = await pools(2);
    const held = (await a!.tryAdvisoryLock('forwarder'))!;
    expect(held).not.toBeNull();
    expect(await b!.tryAdvisoryLock('forwarder')).toBeNull();
    await held.release();
    const bLock = (await b!.tryAdvisoryLock('forwarder'))!;
    expect(bLock).not.toBeNull();
    expect(await a!.tryAdvisoryLock('forwarder')).toBeNull();

    // the holder's session dies: it learns it lost the lock, and the other pool gets it
    const key = advisoryKey('forwarder');
    const [victim] = await server.admin<{ pid: number }>(
      "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND ((classid::bigint << 32) | objid::bigint) = $1::bigint",
      [key],
    );
    expect(victim).toBeDefined();
    await server.admin('SELECT pg_terminate_backend($1)', [victim!.pid]);
    expect((await bLock.lost).message).toMatch(/lost the lock "forwarder": its connection to PostgreSQL ended/);
    let aLock = await a!.tryAdvisoryLock('forwarder');
    for (let i = 0; !aLock && i < 50; i++) aLock = (await sleep(20), await a!.tryAdvisoryLock('forwarder'));
    expect(aLock).not.toBeNull();

    // close() gives the locks up
    await a!.close();
    expect(await b!.tryAdvisoryLock('forwarder')).not.toBeNull();
  });

  it('a connection lost mid-transaction rejects with a clear error, commits nothing, and the pool goes on', async () => {
    const [db] = await pools(1);
    await db!.exec('CREATE TABLE kv (k TEXT PRIMARY KEY)');
    let calls = 0;
    const lost = db!.tx(async (t) => {
      calls++;
      await t.run('INSERT INTO kv (k) VALUES (?)', ['before']);
      const { pid } = (await t.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!;
      await server.admin('SELECT pg_terminate_backend($1)', [pid]);
      await t.run('INSERT INTO kv (k) VALUES (?)', ['after']);
    });
    await expect(lost).rejects.toThrow(/connection to PostgreSQL was lost during a transaction: nothing of it was committed/);
    expect(calls).toBe(1);
    expect(await db!.all('SELECT k FROM kv')).toEqual([]);
  });

  it('returns integers up to 2^53 as numbers and refuses larger ones rather than rounding them', async () => {
    const [db] = await pools(1);
    expect(await db!.get('SELECT 9007199254740991::bigint AS n, -9007199254740991::bigint AS m')).toEqual({ n: 9007199254740991, m: -9007199254740991 });
    await expect(db!.get('SELECT 9007199254740993::bigint AS n')).rejects.toThrow(/integer 9007199254740993, beyond what a JS number holds exactly/);
    await expect(db!.get('SELECT ?::bigint AS n', [1])).resolves.toEqual({ n: 1 });
    await expect(db!.get('SELECT ? AS a, ? AS b', [1])).rejects.toThrow(/2 \? placeholder\(s\) but 1 parameter\(s\)/);
  });

  it('comes back after the server is killed and restarted (idle connections dropped, not fatal)', async () => {
    const [db] = await pools(1);
    await db!.exec('CREATE TABLE kv (k TEXT PRIMARY KEY)');
    await db!.run('INSERT INTO kv (k) VALUES (?)', ['kept']);
    await server.kill();
    await server.restart();
    // the first statement may meet a connection the crash broke; the pool replaces it
    let rows: unknown[] | undefined;
    for (let i = 0; !rows && i < 20; i++) rows = await db!.all('SELECT k FROM kv').catch(() => sleep(50).then(() => undefined));
    expect(rows).toEqual([{ k: 'kept' }]);
  });
});
