// Cancelling a retrieval, a clip that arrives after the cancel, retention of retrieved clips, and the migration
// that brought both: on a real SQLite store, through the real ingest.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAudit, type Audit } from '../../shared/audit/index.js';
import { topics } from '../../shared/contract/index.js';
import { openDb } from '../../shared/db.js';
import { silentLogger } from '../../shared/log.js';
import { createIngest, type Ingest } from '../ingest/ingest.js';
import { hubMigrations } from '../store/schema.js';
import { openHubStore, type HubStore } from '../store/store.js';
import { nextUlid, tempDir } from '../../testing/hub/test-support.js';
import { Retrievals } from './retrievals.js';
import { RetrievalStore } from './store.js';

const DAY = 86_400_000;
let now = Date.now();
let store: HubStore;
let ingest: Ingest;
let audit: Audit;
let retrievals: Retrievals;
const published: string[] = [];

beforeEach(async () => {
  now = Date.now();
  store = openHubStore(tempDir());
  await store.syncWards([{ id: 'p01', name: 'P1' }]);
  store.db.prepare("INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES ('p01', 'cam-1', 'recording', '{}', 1, 1)").run();
  audit = createAudit(store.sql, { clock: () => now });
  const table = new RetrievalStore(store.sql, audit);
  ingest = createIngest({ store, retrievals: table, wardOf: (box) => box, logger: silentLogger(), clock: () => now });
  published.length = 0;
  retrievals = new Retrievals({
    store: table,
    audit,
    publish: async (_ward, name, payload) => void published.push(`${name}:${payload.requestId}`),
    limits: { maxRetrieveMinutes: 30, maxOpenPerOperator: 1 },
    clock: () => now,
    logger: silentLogger(),
  });
});

afterEach(async () => {
  await ingest.close();
  await store.close();
});

async function request(by = 'lan'): Promise<string> {
  const r = await retrievals.request({ ward: 'p01', camera: 'cam-1', from: now - 120_000, to: now - 60_000, by, ip: '10.0.0.5' });
  if (!r.ok) throw new Error(`${r.field}: ${r.error}`);
  return r.retrieval.id;
}

/** The ward's clip for a request: manifest and chunks through ingest, as over MQTT. */
async function sendClip(requestId: string, bytes: Buffer): Promise<void> {
  const chunkBytes = 1024;
  const chunks = Math.ceil(bytes.length / chunkBytes);
  const manifest = { msgId: nextUlid(), eventId: requestId, requestId, camera: 'cam-1', contentType: 'video/mp4', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), chunkBytes, chunks, start: now - 120_000, end: now - 60_000 };
  await ingest.handle({ topic: topics.clipManifest('p01', requestId), payload: Buffer.from(JSON.stringify(manifest)) }, { box: 'p01' });
  for (let n = 0; n < chunks; n++) {
    await ingest.handle({ topic: topics.clipChunk('p01', requestId, n), payload: bytes.subarray(n * chunkBytes, (n + 1) * chunkBytes) }, { box: 'p01' });
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
  if (!(await check())) throw new Error(`timed out waiting for ${what}`);
}

describe('cancelling a retrieval', () => {
  it('ends an open request, audited, frees the operator\'s limit and is not sent again; an ended one cannot be cancelled', async () => {
    const id = await request();
    const refused = await retrievals.request({ ward: 'p01', camera: 'cam-1', from: now - 120_000, to: now - 60_000, by: 'lan', ip: null });
    expect(refused).toMatchObject({ ok: false, status: 429 });

    expect(await retrievals.cancel(id, 'minh', '10.0.0.7')).toMatchObject({ ok: true, retrieval: { id, state: 'cancelled', reason: 'cancelled by minh' } });
    expect((await audit.list({ target: id })).map((r) => [r.action, r.actor, r.ip])).toEqual([
      ['retrieve.cancel', 'minh', '10.0.0.7'],
      ['retrieve.request', 'lan', '10.0.0.5'],
    ]);
    expect(await retrievals.store.openBy('lan')).toBe(0);
    expect(await retrievals.store.waiting('p01', now + DAY)).toEqual([]);
    expect(await retrievals.cancel(id, 'minh', null)).toMatchObject({ ok: false, status: 409, error: expect.stringContaining('cancelled') });
    expect(await retrievals.cancel(nextUlid(), 'minh', null)).toMatchObject({ ok: false, status: 404 });

    // the ward's late answers change nothing
    await ingest.handle({ topic: topics.retrievals('p01'), payload: Buffer.from(JSON.stringify({ msgId: nextUlid(), requestId: id, state: 'cutting' })) }, { box: 'p01' });
    expect((await retrievals.store.view(id))!.state).toBe('cancelled');
  });

  it('removes a clip that arrives after its request was cancelled', async () => {
    const id = await request();
    await retrievals.cancel(id, 'lan', null);
    await sendClip(id, Buffer.alloc(3000, 7));
    const file = store.resolve(path.join('clips', 'p01', `${id}.mp4`));
    await until('the clip checked', () => store.db.prepare('SELECT state FROM clip_transfers WHERE event_id = ?').pluck().get(id) === 'present');
    expect(existsSync(file)).toBe(false);
    expect(await retrievals.store.get(id)).toMatchObject({ state: 'cancelled', clip_path: null });
  });

  it('keeps a clip that arrives for a request still open', async () => {
    const id = await request();
    await sendClip(id, Buffer.alloc(3000, 7));
    await until('the clip ready', async () => (await retrievals.store.get(id))?.state === 'ready');
    expect(existsSync(store.resolve((await retrievals.store.get(id))!.clip_path!))).toBe(true);
    expect(await retrievals.cancel(id, 'lan', null)).toMatchObject({ ok: false, status: 409, error: expect.stringContaining('ready') });
  });
});

describe('telling the ward about a cancel', () => {
  const wardState = (state: 'online' | 'offline') =>
    store.db.prepare("INSERT OR REPLACE INTO box_status (box_id, state, status, at, updated_at) VALUES ('p01', ?, '{}', 1, 1)").run(state);

  it('sends cmd/retrieve-cancel to a ward that had the request: at once when online, else when it is next online', async () => {
    wardState('online');
    const a = await request('lan');
    const b = await request('minh');
    expect(published).toEqual([`retrieve:${a}`, `retrieve:${b}`]);
    expect((await retrievals.store.view(a))!.state).toBe('sent-to-ward');

    await retrievals.cancel(a, 'lan', null);
    await until('the cancel published', () => published.length === 3);
    expect(published[2]).toBe(`retrieve-cancel:${a}`);
    expect((await retrievals.store.get(a))!.cancel_pending).toBe(0);

    wardState('offline');
    await retrievals.cancel(b, 'minh', null);
    await until('the cancel tried', () => published.length === 4);
    expect((await retrievals.store.get(b))!.cancel_pending).toBe(1); // the ward was not there to get it
    wardState('online');
    now += 30_000;
    await retrievals.boxesOnline(['p01']);
    await until('the cancel sent again', () => published.length === 5);
    expect(published[4]).toBe(`retrieve-cancel:${b}`);
    expect((await retrievals.store.get(b))!.cancel_pending).toBe(0);
    now += 30_000;
    await retrievals.boxesOnline(['p01']);
    await new Promise((r) => setTimeout(r, 50));
    expect(published).toHaveLength(5); // nothing more to say
  });

  it('sends no cancel for a request the ward never had', async () => {
    const id = await request(); // the ward is offline: `requested`
    await retrievals.cancel(id, 'lan', null);
    await retrievals.boxesOnline(['p01']);
    await new Promise((r) => setTimeout(r, 50));
    expect(published).toEqual([`retrieve:${id}`]);
  });
});

describe('retention of retrieved clips', () => {
  it('removes clips at the hub for longer than clipDays and keeps the request as expired', async () => {
    const old = await request('lan');
    const young = await request('minh');
    for (const id of [old, young]) {
      const rel = path.join('clips', 'p01', `${id}.mp4`);
      mkdirSync(path.dirname(store.resolve(rel)), { recursive: true });
      writeFileSync(store.resolve(rel), 'mp4');
      await retrievals.store.clipPresent(store.sql, id, 'p01', rel, 'ab'.repeat(32), id === old ? now - 91 * DAY : now - 89 * DAY);
    }
    expect(await retrievals.applyRetention(store, 90)).toBe(1);
    expect(await retrievals.store.get(old)).toMatchObject({ state: 'expired', clip_path: null });
    expect(existsSync(store.resolve(path.join('clips', 'p01', `${old}.mp4`)))).toBe(false);
    expect((await retrievals.store.get(young))!.state).toBe('ready');
    expect(existsSync(store.resolve((await retrievals.store.get(young))!.clip_path!))).toBe(true);
    expect(await retrievals.applyRetention(store, 90)).toBe(0);
  });
});

describe('the migration to cancelled and expired retrievals', () => {
  it('keeps every retrieval and forward row of a hub db made before it', async () => {
    const root = tempDir();
    // migrations 1–6 (list positions 0–5): the hub as it was before migration 7 (cancelled and expired retrievals)
    const before = 6;
    const db = openDb(path.join(root, 'hub.db'), hubMigrations.slice(0, before));
    db.prepare(`INSERT INTO retrievals (id, ward, camera, from_ms, to_ms, requested_by, state, created_at, updated_at)
      VALUES ('01KAXG4Z7M5P2V8N3Q6R9T0W1Y', 'p01', 'cam-1', 1, 2, 'lan', 'sent-to-ward', 3, 4)`).run();
    db.prepare(`INSERT INTO forward_dead (key, incident_id, target, cause, unblurred, attempts, reason, created_at, dead_at)
      VALUES ('01KAXG4Z7M5P2V8N3Q6R9T0W1Z:city', '01KAXG4Z7M5P2V8N3Q6R9T0W1Z', 'city', 'rule', 0, 3, 'refused', 1, 2)`).run();
    db.close();

    const migrated = openHubStore(root);
    const r = new RetrievalStore(migrated.sql);
    expect(await r.get('01KAXG4Z7M5P2V8N3Q6R9T0W1Y')).toMatchObject({ state: 'sent-to-ward', requested_by: 'lan', created_at: 3 });
    expect(await r.cancel(migrated.sql, '01KAXG4Z7M5P2V8N3Q6R9T0W1Y', 'cancelled by lan', 5)).toBe(true);
    expect(migrated.db.prepare('SELECT subject FROM forward_dead').pluck().all()).toEqual(['incident']);
    await migrated.close();
  });
});
