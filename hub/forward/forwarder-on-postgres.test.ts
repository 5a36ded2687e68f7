// One forwarder at a time on a shared PostgreSQL index: two forwarders (two "hub processes", each with its own
// pool) on one database; only the holder of the forwarder lock delivers to the city's webhook receiver, either may
// queue (rules, shares, audited in the queueing transaction); when the holder's lock session is killed the other
// takes over at once, and when a holder stops the other takes over; every alert reaches the city once.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCityReceiver, type CityReceiver } from '../../test-fixtures/city/index.js';
import { appendAudit } from '../../shared/audit/audit.js';
import { migrateSql } from '../../shared/sql/migrate.js';
import { postgresSql } from '../../shared/sql/postgres.js';
import type { SqlDatabase } from '../../shared/sql/sql.js';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { captureLogger, tempDir } from '../../testing/hub/test-support.js';
import { forwardConfig, rule, SECRET, waitFor, webhook } from '../../testing/hub/forward/test-support.js';
import { RetrievalStore } from '../retrieval/store.js';
import { loadLinkKey } from '../share/link-key.js';
import { hubPgMigrations } from '../store/schema-pg.js';
import { createForwarder, type Forwarder } from './forwarder.js';
import { QUARTER_MS, startIndicatorPush, type IndicatorMessage } from './indicator-push.js';
import { webhookSink } from './webhook.js';

const noPostgres = skipWithoutPostgres('hub/forward/forwarder-on-postgres.test.ts');
const T0 = Date.parse('2026-12-06T04:00:00Z');

interface Process {
  name: string;
  db: SqlDatabase;
  forwarder: Forwarder;
  /** the keys this process's log says it delivered */
  delivered: () => string[];
  lines: () => Record<string, unknown>[];
}

describe.skipIf(noPostgres)('one forwarder at a time on PostgreSQL', () => {
  let server: TestPostgres;
  let connection: Awaited<ReturnType<TestPostgres['createDatabase']>>;
  let city: CityReceiver;
  const root = tempDir('ww-fwd-pg-');
  const open: Process[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startPostgres();
    connection = await server.createDatabase();
    const db = postgresSql({ connection });
    await migrateSql(db, hubPgMigrations);
    await db.run('INSERT INTO wards (id, name) VALUES (?, ?)', ['p07', 'Phường 7']);
    await db.close();
    city = await startCityReceiver({ secret: SECRET });
  }, 60_000);

  afterAll(async () => {
    for (const p of open) await p.forwarder.close();
    for (const p of open) await p.db.close().catch(() => undefined);
    await city?.stop();
    await server?.close();
  });

  /** A hub process's forwarder: its own pool on the shared database, the audit through the queueing transaction. */
  function start(name: string, lockRetryMs: number): Process {
    const db = postgresSql({ connection: { ...connection, max: 4 } });
    const { logger, lines } = captureLogger();
    const store = { sql: db, resolve: (relative: string) => path.join(root, relative) };
    const forwarder = createForwarder({
      store,
      recordings: new RetrievalStore(db),
      config: forwardConfig([webhook(city.url)], [rule()]),
      linkKey: loadLinkKey(root),
      audit: async (t, action, detail) => void (await appendAudit(t, { actor: String(detail.actor), action, target: (detail.incidentId as string | undefined) ?? null, detail }, Date.now())),
      logger,
      retry: { initialMs: 20, jitter: 0 },
      lockRetryMs,
    });
    const p: Process = {
      name,
      db,
      forwarder,
      lines,
      delivered: () => lines().filter((l) => typeof l.msg === 'string' && / delivered to city$/.test(l.msg)).map((l) => l.key as string),
    };
    open.push(p);
    return p;
  }

  /** An ended incident, written as ingest would, not yet checked by the rules. */
  async function endedIncident(db: SqlDatabase): Promise<string> {
    const id = `01KFWD${String(++n).padStart(20, '0')}`;
    await db.run(
      `INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, "end", state, last_msg_id, created_at, updated_at, box_id)
       VALUES (?, 'p07', 'cam-01', 'car', 0.8, 0.8, '{"x":0.1,"y":0.2,"w":0.3,"h":0.2}', '["crossing"]', ?, ?, 'ended', ?, ?, ?, 'p07')`,
      [id, T0, T0 + 14_000, `${id}-end`, T0, T0],
    );
    return id;
  }

  const accepted = () => city.alerts().map((a) => a.idempotencyKey).sort();

  it('lets only the lock holder deliver, hands over when its lock session is killed or it stops, and delivers nothing twice', async () => {
    // a, once it lost the lock, asks again after 1 s; b, standing by, every 100 ms: b is the one that takes over
    const a = start('a', 1000);
    await waitFor('a to hold the lock', () => a.forwarder.delivering());
    const b = start('b', 100);
    await waitFor('b to stand by', () => b.lines().some((l) => typeof l.msg === 'string' && l.msg.includes('stands by')));
    expect(b.forwarder.delivering()).toBe(false);

    // the standing-by process queues (rules when ingest commits, an operator's share); the holder delivers
    const ruled = [await endedIncident(b.db), await endedIncident(b.db), await endedIncident(b.db)];
    b.forwarder.incidentsChanged(ruled);
    const shared = ruled[0]!;
    expect(await b.forwarder.forwardIncident(shared, { by: 'op-lan', unblurred: true })).toEqual([{ target: 'city', key: `${shared}:city:unblurred`, state: 'queued' }]);
    const first = [...ruled.map((id) => `${id}:city`), `${shared}:city:unblurred`].sort();
    await waitFor('the first alerts', () => city.stats().accepted === 4);
    // the city answers before the holder records the delivery and logs it
    await waitFor('a to record them', () => a.delivered().length === 4);
    expect(await a.forwarder.stats()).toMatchObject({ pending: 0, delivered: 4 });
    expect(accepted()).toEqual(first);
    expect(a.delivered().sort()).toEqual(first);
    expect(b.delivered()).toEqual([]);
    // each queued row's audit row was written in its transaction, on PostgreSQL
    expect((await a.db.get<{ n: number }>("SELECT count(*) AS n FROM audit WHERE action = 'share'"))!.n).toBe(4);

    // kill the holder's lock session, as a dead connection would: a stops at once, b takes over
    const killed = await server.admin<{ pid: number }>(
      "SELECT pg_terminate_backend(pid) AS killed, pid FROM pg_locks WHERE locktype = 'advisory' AND granted",
    );
    expect(killed).toHaveLength(1);
    await waitFor('a to stop delivering', () => !a.forwarder.delivering());
    await waitFor('b to take over', () => b.forwarder.delivering());
    expect(a.lines().some((l) => typeof l.msg === 'string' && l.msg.includes('stopped delivering'))).toBe(true);

    // a (now standing by, its pool alive) queues; b delivers; a delivers nothing more
    const second = await endedIncident(a.db);
    a.forwarder.incidentsChanged([second]);
    await waitFor('the alert after the handover', () => city.stats().accepted === 5);
    await waitFor('b to record it', () => b.delivered().length === 1);
    expect(b.delivered()).toEqual([`${second}:city`]);
    expect(a.delivered().sort()).toEqual(first);
    expect(a.forwarder.delivering()).toBe(false); // b holds the lock

    // the holder stops (its process shuts down): a takes over
    await b.forwarder.close();
    await b.db.close();
    await waitFor('a to take over again', () => a.forwarder.delivering());
    const third = await endedIncident(a.db);
    a.forwarder.incidentsChanged([third]);
    await waitFor('the alert after the stop', () => city.stats().accepted === 6);
    await waitFor('a to record it', () => a.delivered().length === 5);

    expect(accepted()).toEqual([...first, `${second}:city`, `${third}:city`].sort());
    expect(city.stats()).toMatchObject({ accepted: 6, duplicates: 0, rejected: 0 }); // nothing delivered twice
    expect(await a.forwarder.stats()).toMatchObject({ pending: 0, delivered: 6, dead: 0 });
  }, 60_000);

  it('pushes a quarter’s indicators from PostgreSQL once, and only in its turn', async () => {
    const db = postgresSql({ connection });
    try {
      const q = Math.floor(T0 / QUARTER_MS) * QUARTER_MS;
      await db.tx(async (t) => {
        await t.run('INSERT INTO cameras (ward, camera, first_seen_at, last_seen_at, box_id) VALUES (?, ?, ?, ?, ?)', ['p07', 'cam-01', T0, T0, 'p07']);
        await t.run('INSERT INTO count_quarters (ward, camera, quarter, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)', ['p07', 'cam-01', q, 'north', 'forward', 'car', 30]);
        await t.run('INSERT INTO count_quarters (ward, camera, quarter, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?, ?)', ['p07', 'cam-01', q, 'north', 'backward', 'bus', 1]);
        await t.run('INSERT INTO count_quarter_minutes (ward, camera, quarter, minutes) VALUES (?, ?, ?, ?)', ['p07', 'cam-01', q, 15]);
      });
      const turn: { signal?: AbortSignal } = {};
      const push = startIndicatorPush({
        sql: db, district: 'Phú Nhuận', sinks: new Map([['city', webhookSink({ url: city.url, secret: SECRET, timeoutMs: 5000 })]]), delayMinutes: 5,
        logger: captureLogger().logger, clock: () => q + QUARTER_MS + 6 * 60_000, delivering: () => turn.signal,
      });
      const before = city.alerts().length;
      await push.tick(); // not our turn: nothing
      expect(city.alerts()).toHaveLength(before);
      turn.signal = new AbortController().signal;
      await push.tick();
      await push.tick(); // remembered in indicator_pushes: not sent again
      push.close();
      const sent = city.alerts().slice(before);
      expect(sent.map((a) => a.idempotencyKey)).toEqual([`indicators:${q}:city`]);
      expect(sent[0]!.alert as unknown as IndicatorMessage).toEqual({
        kind: 'indicators', district: 'Phú Nhuận', from: q, to: q + QUARTER_MS,
        indicators: [{ ward: 'p07', camera: 'cam-01', line: 'north', direction: 'backward', label: 'bus', n: 1 }, { ward: 'p07', camera: 'cam-01', line: 'north', direction: 'forward', label: 'car', n: 30 }],
        watched: [{ ward: 'p07', camera: 'cam-01', minutes: 15 }],
      });
    } finally {
      await db.close();
    }
  });
});
