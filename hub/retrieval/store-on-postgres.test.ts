// The retrievals table gives the same answers on PostgreSQL as on SQLite: one request life driven through the
// service and the store (requests checked and refused, published to online and offline boxes, the ward's answers,
// a clip in, cancels sent at once and later, a clip for a cancelled request, retention) on a hub index of each
// engine; every answer along the way and the rows left (retrievals, their audit rows) compared.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAudit } from '../../shared/audit/index.js';
import { silentLogger } from '../../shared/log.js';
import type { Sql, SqlDatabase } from '../../shared/sql/sql.js';
import { bothIndexes } from '../../testing/hub/postgres-index.js';
import { tempDir } from '../../testing/hub/test-support.js';
import type { HubStore } from '../store/store.js';
import { Retrievals } from './retrievals.js';
import { RetrievalStore } from './store.js';

const both = bothIndexes('hub/retrieval/store-on-postgres.test.ts');
const { noPostgres } = both;
let pg: SqlDatabase;
let lite: HubStore;
const T0 = Date.parse('2026-12-01T03:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;

/** Request ids are ULIDs made from the clock: each engine's run names them `#1`, `#2`… in the order they were made. */
function renamer() {
  const names = new Map<string, string>();
  const name = (id: string) => {
    if (!names.has(id)) names.set(id, `#${names.size + 1}`);
    return names.get(id)!;
  };
  const rename = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/[0-9A-HJKMNP-TV-Z]{26}/g, name);
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)]));
    return v;
  };
  return { name, rename };
}

async function seed(sql: Sql): Promise<void> {
  await sql.tx(async (t) => {
    for (const w of ['p01', 'p02']) await t.run('INSERT INTO wards (id, name, last_seen_at) VALUES (?, ?, ?)', [w, `Ward ${w}`, T0]);
    // p01 has two boxes: cam-1 on p01 (online), cam-2 on p01b (offline); cam-3 known only by its status (the ward's box)
    await t.run("INSERT INTO boxes (id, ward, name) VALUES ('p01', 'p01', 'P1'), ('p01b', 'p01', 'P1 b'), ('p02', 'p02', 'P2')");
    await t.run("INSERT INTO cameras (ward, camera, box_id, first_seen_at, last_seen_at) VALUES ('p01', 'cam-1', 'p01', ?, ?), ('p01', 'cam-2', 'p01b', ?, ?)", [T0, T0, T0, T0]);
    await t.run("INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES ('p01', 'cam-3', 'recording', '{}', ?, ?)", [T0, T0]);
    await t.run("INSERT INTO box_status (box_id, state, status, at, updated_at) VALUES ('p01', 'online', '{}', ?, ?), ('p01b', 'offline', '{}', ?, ?)", [T0, T0, T0, T0]);
  });
}

const boxState = (sql: Sql, box: string, state: 'online' | 'offline') => sql.run('UPDATE box_status SET state = ? WHERE box_id = ?', [state, box]);

/** The whole life on one engine, audited on it. */
async function life(sql: Sql) {
  await seed(sql);
  let now = T0;
  const audit = createAudit(sql, { clock: () => now });
  const store = new RetrievalStore(sql, audit);
  const published: string[] = [];
  const { name, rename } = renamer();
  const retrievals = new Retrievals({
    store,
    audit,
    publish: async (box, command, payload) => void published.push(`${command}:${box}:${name(payload.requestId)}`),
    limits: { maxRetrieveMinutes: 30, maxOpenPerOperator: 2 },
    clock: () => now,
    logger: silentLogger(),
  });
  const settled = async (n: number) => {
    for (let i = 0; i < 200 && published.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    if (published.length < n) throw new Error(`timed out waiting for command ${n}: ${published.join(', ')}`);
    return [...published];
  };
  /** until a publish's row is written too (it is written after the command went out) */
  const until = async (what: string, check: () => Promise<boolean>) => {
    for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
    if (!(await check())) throw new Error(`timed out waiting for ${what}`);
  };
  const answers: Record<string, unknown> = {};
  const ask = (by: string, ward: string, camera: string, minutes = 5) => retrievals.request({ ward, camera, from: now - (minutes + 1) * MIN, to: now - MIN, by, ip: '10.0.0.5' });
  const id = (r: Awaited<ReturnType<typeof ask>>) => (r.ok ? r.retrieval.id : '');

  answers.refused = [await ask('lan', 'p09', 'cam-1'), await ask('lan', 'p01', 'cam-9'), await ask('lan', 'p01', 'cam-1', 45)];
  const first = await ask('lan', 'p01', 'cam-1'); // its box online: sent-to-ward
  now += 1000;
  const offline = await ask('lan', 'p01', 'cam-2'); // its box offline: requested
  now += 1000;
  answers.requested = [first, offline, await ask('lan', 'p01', 'cam-1')]; // the third: over the limit
  const a = id(first);
  const b = id(offline);
  answers.checks = [
    await store.openBy('lan'), await store.openBy('nobody'), await store.wardKnown('p01'), await store.wardKnown('p09'),
    await store.cameraKnown('p01', 'cam-3'), await store.cameraKnown('p02', 'cam-1'), await store.boxOf('p01', 'cam-2'), await store.boxOf('p01', 'cam-3'),
    await store.cameraOnline('p01', 'cam-1'), await store.cameraOnline('p01', 'cam-2'), await store.wardOfBox('p01b'), await store.wardOfBox('zz'),
  ];

  // the ward answers a: cutting, then sent with its size; minh's request on cam-3 fails at the ward
  now += 1000;
  const failing = await ask('minh', 'p01', 'cam-3');
  const c = id(failing);
  await sql.tx(async (t) => {
    await store.applyStatus(t, 'p01', { msgId: '01KB0000000000000000000001', requestId: a, state: 'cutting' }, now);
    await store.applyStatus(t, 'p01', { msgId: '01KB0000000000000000000002', requestId: a, state: 'sent', bytes: 4096 }, now + 1);
    await store.applyStatus(t, 'p01', { msgId: '01KB0000000000000000000003', requestId: c, state: 'failed', reason: 'no recording in range' }, now + 2);
  });
  answers.transferring = [await store.view(a), await store.view(c)];
  answers.expects = await sql.tx(async (t) => [await store.expectsClip(t, 'p01', a), await store.expectsClip(t, 'p02', a)]);
  // a share of a's recording on its way to the city
  await sql.run("INSERT INTO forward_outbox (key, incident_id, target, cause, shared_by, unblurred, attempts, next_at, created_at, subject) VALUES (?, ?, 'city', 'share', 'lan', 0, 0, ?, ?, 'recording')", [`${a}:city`, a, now, now]);
  answers.kept = await sql.tx((t) => store.clipPresent(t, a, 'p01', `clips/p01/${a}.mp4`, 'ab'.repeat(32), now + 3));

  // b's box comes online: it is sent again; then b is cancelled while its box is offline again: the cancel waits
  now += 30_000;
  await boxState(sql, 'p01b', 'online');
  answers.waiting = await store.waiting('p01', now);
  await retrievals.boxesOnline(['p01b', 'zz']);
  answers.sentAgain = await settled(4);
  await until('#2 marked sent', async () => (await store.get(b))!.state === 'sent-to-ward');
  await boxState(sql, 'p01b', 'offline');
  now += 1000;
  answers.cancelled = [await retrievals.cancel(b, 'minh', '10.0.0.7'), await retrievals.cancel(b, 'minh', null), await retrievals.cancel(a, 'lan', null), await retrievals.cancel('01KB0000000000000000000009', 'lan', null)];
  answers.cancelTried = await settled(5);
  await until('#2\'s cancel marked tried', async () => (await store.get(b))!.last_published_at === now);
  answers.pendingCancel = [(await store.get(b))!.cancel_pending, await store.cancelsToSend('p01', now + 1)];
  now += 30_000;
  await boxState(sql, 'p01b', 'online');
  await retrievals.boxesOnline(['p01b']);
  answers.cancelSent = await settled(6);
  await until('#2\'s cancel marked sent', async () => (await store.get(b))!.cancel_pending === 0);
  answers.afterCancel = [(await store.get(b))!.cancel_pending, await store.cancelsToSend('p01', now + 1), await store.openBy('lan')];
  // b's clip arrives all the same: to be removed; a clip for a failed request is kept out
  answers.late = await sql.tx(async (t) => [await store.clipPresent(t, b, 'p01', `clips/p01/${b}.mp4`, 'cd'.repeat(32), now), await store.clipPresent(t, b, 'p02', 'x', 'ef'.repeat(32), now)]);
  await sql.tx((t) => store.clipFailed(t, b, 'p01', 'too late', now));

  // retention: a's clip is older than 90 days
  now += 91 * DAY;
  const root = tempDir('ww-retrieval-files-');
  answers.retention = [await retrievals.applyRetention({ resolve: (r) => path.join(root, r) }, 90), await retrievals.applyRetention({ resolve: (r) => path.join(root, r) }, 90)];
  answers.list = await store.list(10, 0);
  answers.page = await store.list(2, 1);

  const rows = await sql.all('SELECT * FROM retrievals ORDER BY created_at, id');
  const audited = await sql.all('SELECT actor, action, target, detail, ip FROM audit ORDER BY id');
  const head = await sql.get('SELECT count FROM audit_head');
  return rename({ answers, rows, audited, head, published }) as Record<string, unknown>;
}

beforeAll(() => {
  lite = both.lite();
  if (!noPostgres) pg = both.pg();
});

describe.skipIf(noPostgres)('the retrievals table on PostgreSQL', () => {
  it('gives every answer of a request\'s life as SQLite does, and leaves the same rows and audit', async () => {
    const onLite = await life(lite.sql);
    const onPg = await life(pg);
    expect(onPg).toEqual(onLite);

    // what the life is meant to give, so that two equal but wrong answers cannot pass
    const answers = onLite.answers as Record<string, unknown>;
    expect(answers.refused).toMatchObject([{ ok: false, field: 'ward' }, { ok: false, field: 'camera' }, { ok: false, status: 400 }]);
    expect(answers.requested).toMatchObject([
      { ok: true, retrieval: { id: '#1', state: 'sent-to-ward' } },
      { ok: true, retrieval: { id: '#2', state: 'requested' } },
      { ok: false, status: 429 },
    ]);
    expect(answers.checks).toEqual([2, 0, true, false, true, false, 'p01b', 'p01', true, false, 'p01', undefined]);
    expect(answers.transferring).toMatchObject([{ id: '#1', state: 'transferring', bytes: 4096 }, { id: '#3', state: 'failed', reason: 'no recording in range' }]);
    expect(answers.expects).toEqual([true, false]);
    expect(answers.kept).toBe('kept');
    expect(answers.waiting).toMatchObject([{ id: '#2', state: 'requested', publishes: 1 }]);
    expect(answers.sentAgain).toEqual(['retrieve:p01:#1', 'retrieve:p01b:#2', 'retrieve:p01:#3', 'retrieve:p01b:#2']);
    expect(answers.cancelled).toMatchObject([
      { ok: true, retrieval: { id: '#2', state: 'cancelled', reason: 'cancelled by minh' } },
      { ok: false, status: 409 },
      { ok: false, status: 409, error: expect.stringContaining('ready') },
      { ok: false, status: 404 },
    ]);
    expect(answers.pendingCancel).toMatchObject([1, [{ id: '#2' }]]);
    expect(answers.cancelSent).toEqual([...(answers.sentAgain as string[]), 'retrieve-cancel:p01b:#2', 'retrieve-cancel:p01b:#2']);
    expect(answers.afterCancel).toEqual([0, [], 0]);
    expect(answers.late).toEqual(['discard', 'kept']);
    expect(answers.retention).toEqual([1, 0]);
    expect(answers.list).toMatchObject([
      { id: '#3', state: 'failed', shared: { pending: 0, delivered: 0, dead: 0 } },
      { id: '#2', state: 'cancelled' },
      { id: '#1', state: 'expired', sha256: 'ab'.repeat(32), shared: { pending: 1, delivered: 0, dead: 0 } },
    ]);
    expect(answers.page).toMatchObject([{ id: '#2' }, { id: '#1' }]);
    expect((onLite.audited as { action: string; target: string }[]).map((r) => `${r.action} ${r.target}`)).toEqual([
      'retrieve.request #1', 'retrieve.request #2', 'retrieve.request #3', 'retrieve.result #3', 'retrieve.result #1', 'retrieve.cancel #2',
    ]);
    expect(onLite.head).toEqual({ count: 6 });
  }, 60_000);
});
