// The hub's HTTP API on a seeded store: filters, keyset paging under inserts, input checks, Range, auth, audit.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCityReceiver, type CityReceiver } from '../../test-fixtures/city/index.js';
import type { RunningHub } from '../main.js';
import { noiseJpeg } from '../../testing/hub/forward/test-images.js';
import { CLI, Client, startApiHub } from '../../testing/hub/api/test-client.js';
import { seedIncident, type Seeded } from '../../testing/hub/api/test-seed.js';

const DAY = 86_400_000;
const T0 = Date.now() - 30 * DAY;
const clock = () => Date.now();

let hub: RunningHub;
let base: string;
let city: CityReceiver;
let operator: Client;
const seeded: Seeded[] = [];
let clip: Buffer;
let withFiles: Seeded;

beforeAll(async () => {
  city = await startCityReceiver({ secret: 'city-secret-1' });
  ({ hub, base } = await startApiHub({
    clock,
    targets: [
      { id: 'city', type: 'webhook', url: city.url, secretName: 'city-webhook' },
      // signs with the wrong secret: the city refuses it for good, which makes a dead letter
      { id: 'city-bad', type: 'webhook', url: city.url, secretName: 'wrong-secret' },
    ],
    secrets: { 'city-webhook': 'city-secret-1', 'wrong-secret': 'not-the-city-secret' },
  }));
  for (const [name, role] of [['lan', 'operator'], ['quan', 'admin'], ['city1', 'city'], ['new', 'operator']] as const) {
    await hub.accounts.addUser({ name, role, password: 'initial-pass-1' }, CLI);
  }
  operator = new Client(base);
  expect((await operator.login('lan', 'initial-pass-1', 'operator-pass-2')).status).toBe(200);

  // 40 incidents over two wards, three labels, zones, scores; some share a start time (the id breaks the tie)
  const labels = ['car', 'person', 'truck'];
  for (let i = 0; i < 40; i++) {
    seeded.push(
      seedIncident(hub.store, {
        ward: i % 3 === 0 ? 'p08' : 'p07',
        camera: `cam-0${i % 4}`,
        label: labels[i % 3]!,
        topScore: 0.5 + (i % 5) / 10,
        zones: i % 4 === 0 ? ['crossing'] : i % 4 === 1 ? ['crossing', 'school'] : [],
        start: T0 + Math.floor(i / 2) * 60_000,
        forwarded: i % 7 === 0,
      }),
    );
  }
  clip = randomBytes(200_000);
  withFiles = seedIncident(hub.store, { start: T0 - DAY, ward: 'p09', camera: 'gate', snapshot: await noiseJpeg(640, 360), clip });
  seeded.push(withFiles);
});

afterAll(async () => {
  await hub?.close();
  await city?.stop();
});

/** Every page of a listing, following `next`. */
async function all(c: Client, query: string, limit = 7): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const r = await c.get(`/api/incidents?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    ids.push(...(r.json.incidents as { id: string }[]).map((i) => i.id));
    cursor = r.json.next as string | null;
    if (!cursor) return ids;
  }
  throw new Error('paging never ended');
}

const newestFirst = (rows: Seeded[]) => [...rows].sort((a, b) => b.start - a.start || (a.id < b.id ? 1 : -1)).map((s) => s.id);

describe('GET /api/incidents', () => {
  it.each([
    ['no filter', '', () => true],
    ['ward', 'ward=p08', (s: Seeded) => s.ward === 'p08'],
    ['ward and camera', 'ward=p07&camera=cam-01', (s: Seeded) => s.ward === 'p07' && s.camera === 'cam-01'],
    ['label', 'label=person', (s: Seeded) => s.label === 'person'],
    ['ward and label', 'ward=p07&label=truck', (s: Seeded) => s.ward === 'p07' && s.label === 'truck'],
    ['ward, camera and zone', 'ward=p07&camera=cam-01&zone=crossing', (s: Seeded) => s.ward === 'p07' && s.camera === 'cam-01' && s.zones.includes('crossing')],
    ['forwarded and label', 'forwarded=true&label=car', (s: Seeded) => s.forwarded && s.label === 'car'],
    ['time range', `from=${T0 + 5 * 60_000}&to=${T0 + 12 * 60_000}`, (s: Seeded) => s.start >= T0 + 5 * 60_000 && s.start < T0 + 12 * 60_000],
    ['zone', 'zone=school', (s: Seeded) => s.zones.includes('school')],
    ['min score', 'minScore=0.8', (s: Seeded) => s.topScore >= 0.8 - 1e-9],
    ['forwarded', 'forwarded=true', (s: Seeded) => s.forwarded],
    ['not forwarded', 'forwarded=false', (s: Seeded) => !s.forwarded],
    ['everything at once', `ward=p07&label=person&zone=crossing&minScore=0.6&forwarded=false&from=${T0}`, (s: Seeded) =>
      s.ward === 'p07' && s.label === 'person' && s.zones.includes('crossing') && s.topScore >= 0.6 && !s.forwarded && s.start >= T0],
  ])('filters by %s, newest first, across pages', async (_name, query, match) => {
    const expected = newestFirst(seeded.filter(match));
    expect(expected.length).toBeGreaterThan(0);
    expect(await all(operator, query)).toEqual(expected);
  });

  it('shows an incident as the API promises: decoded fields, no storage paths', async () => {
    const r = await operator.get(`/api/incidents?ward=p09`);
    expect(r.json.incidents).toEqual([
      expect.objectContaining({ id: withFiles.id, ward: 'p09', camera: 'gate', box: { x: 0.1, y: 0.2, w: 0.3, h: 0.2 }, zones: [], snapshot: true, clip: expect.objectContaining({ state: 'present' }), forwarded: false }),
    ]);
    expect(JSON.stringify(r.json)).not.toMatch(/clips\/|snapshots\/|_path/);
  });

  it('skips and doubles no row when incidents arrive between pages', async () => {
    const before = newestFirst(seeded);
    const seen: string[] = [];
    const added: Seeded[] = [];
    const older: Seeded[] = [];
    const aboveCursor: Seeded[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 50; page++) {
      const r = await operator.get(`/api/incidents?limit=6${cursor ? `&cursor=${cursor}` : ''}`);
      const ids = (r.json.incidents as { id: string }[]).map((i) => i.id);
      seen.push(...ids);
      cursor = r.json.next as string | null;
      if (!cursor) break;
      // between pages: a newer incident, one at the very time of the last row shown, and an older one
      const last = seeded.find((s) => s.id === ids[ids.length - 1]) ?? added.find((s) => s.id === ids[ids.length - 1])!;
      aboveCursor.push(seedIncident(hub.store, { start: T0 + 100 * 60_000 + page }));
      aboveCursor.push(seedIncident(hub.store, { start: last.start })); // a tie: its larger id sorts above the cursor
      older.push(seedIncident(hub.store, { start: T0 - 2 * DAY - page }));
      added.push(...aboveCursor.slice(-2), older[older.length - 1]!);
    }
    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    for (const id of before) expect(seen).toContain(id); // nothing that was there is skipped
    // the older arrivals come on later pages; the newer ones (and ties, with larger ids) are above the cursor
    expect(older.length).toBeGreaterThan(3);
    for (const a of older) expect(seen).toContain(a.id);
    for (const a of aboveCursor) expect(seen).not.toContain(a.id);
    // tidy up: the other tests count the seeded rows
    const del = hub.store.db.prepare('DELETE FROM incidents WHERE id = ?');
    for (const a of added) del.run(a.id);
  });

  it.each([
    ['label=face', 'label'],
    ['minScore=2', 'minScore'],
    ['minScore=abc', 'minScore'],
    ['limit=0', 'limit'],
    ['limit=1000', 'limit'],
    ['from=yesterday', 'from'],
    [`from=${T0}&to=${T0}`, 'to'],
    ['ward=P%2F07', 'ward'],
    ['camera=cam-01', 'camera'],
    ['zone=a%20b', 'zone'],
    ['forwarded=yes', 'forwarded'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['cursor=%22%3B%20DROP%20TABLE%20incidents', 'cursor'],
    ['sort=asc', 'sort'],
  ])('answers 400 naming the field for %s', async (query, field) => {
    const r = await operator.get(`/api/incidents?${query}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'BAD_REQUEST', field });
    expect(String(r.json.error)).toMatch(new RegExp(`^${field}: `));
    expect(JSON.stringify(r.json)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });
});

describe('one incident, its snapshot and clip', () => {
  it('gives the detail, and 404 for an id that is well formed but unknown', async () => {
    const r = await operator.get(`/api/incidents/${withFiles.id}`);
    expect(r.json).toMatchObject({ id: withFiles.id, forwards: [] });
    expect((await operator.get('/api/incidents/01KAXG4Z7M5P2V8N3Q6R9T0W1Z')).status).toBe(404);
  });

  it.each([
    '/api/incidents/..%2F..%2Fhub.db/clip',
    '/api/incidents/..%2F..%2F..%2Fetc%2Fpasswd/snapshot',
    '/api/incidents/%2e%2e%2fhub.db',
    '/api/incidents/01KAXG4Z7M5P2V8N3Q6R9T0W1Z%00/clip',
    '/api/incidents/../../hub.db',
    '/share/..%2F..%2Fhub.db',
  ])('refuses a path-traversal id %s with 400 or 404 and serves no file', async (url) => {
    const r = await operator.get(url);
    expect([400, 403, 404]).toContain(r.status);
    expect(r.buffer.includes(Buffer.from('SQLite format'))).toBe(false);
    expect(r.buffer.includes(Buffer.from('root:'))).toBe(false);
  });

  it('serves the snapshot as JPEG (full and thumbnail), each view audited', async () => {
    const before = (await hub.audit.list({ target: withFiles.id })).length;
    const full = await operator.get(`/api/incidents/${withFiles.id}/snapshot`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('image/jpeg');
    expect(full.buffer.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const thumb = await operator.get(`/api/incidents/${withFiles.id}/snapshot?size=thumb`);
    expect(thumb.buffer.length).toBeLessThan(full.buffer.length);
    const rows = (await hub.audit.list({ target: withFiles.id })).slice(0, 2);
    expect((await hub.audit.list({ target: withFiles.id })).length).toBe(before + 2);
    expect(rows.map((r) => [r.action, r.actor, r.ip])).toEqual([
      ['snapshot.view', 'lan', '127.0.0.1'],
      ['snapshot.view', 'lan', '127.0.0.1'],
    ]);
    expect((await operator.get(`/api/incidents/${seeded[0]!.id}/snapshot`)).status).toBe(404);
  });

  it('serves the clip with HTTP Range: 200, 206 with the right bytes, 416; one audit row per view', async () => {
    const url = `/api/incidents/${withFiles.id}/clip`;
    const views = async () => (await hub.audit.list({ target: withFiles.id, limit: 1000 })).filter((r) => r.action === 'clip.view').length;
    const v0 = await views();
    const whole = await operator.get(url);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.buffer.equals(clip)).toBe(true);
    expect(await views()).toBe(v0 + 1);

    const first = await operator.get(url, { range: 'bytes=0-' });
    expect(first.status).toBe(206);
    expect(first.buffer.equals(clip)).toBe(true);
    expect(await views()).toBe(v0 + 2); // a player's first request starts a view

    for (const [range, start, end] of [
      ['bytes=1000-1999', 1000, 1999],
      ['bytes=150000-', 150000, 199999],
      ['bytes=-500', 199500, 199999],
      ['bytes=199990-500000', 199990, 199999],
    ] as const) {
      const r = await operator.get(url, { range });
      expect(r.status, range).toBe(206);
      expect(r.headers.get('content-range')).toBe(`bytes ${start}-${end}/${clip.length}`);
      expect(r.buffer.equals(clip.subarray(start, end + 1))).toBe(true);
    }
    expect(await views()).toBe(v0 + 2); // seeking within a view is not another view

    const head = await operator.call('HEAD', url);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(clip.length));
    expect(await views()).toBe(v0 + 2); // a HEAD shows nothing

    const beyond = await operator.get(url, { range: 'bytes=200000-' });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${clip.length}`);
    expect(await hub.audit.verify()).toMatchObject({ ok: true });
  });

  it('says why there is no clip', async () => {
    expect(await operator.get(`/api/incidents/${seeded[0]!.id}/clip`)).toMatchObject({ status: 404, json: { code: 'NO_CLIP', clipState: 'none' } });
  });
});

describe('who may do what', () => {
  it('answers 401 without a session, on every API route', async () => {
    const anon = new Client(base);
    for (const url of ['/api/incidents', `/api/incidents/${withFiles.id}`, `/api/incidents/${withFiles.id}/clip`, `/api/incidents/${withFiles.id}/snapshot`, '/api/wards', '/api/forward/dead']) {
      expect((await anon.get(url)).status, url).toBe(401);
    }
    expect((await anon.call('POST', `/api/incidents/${withFiles.id}/share`, {})).status).toBe(401);
  });

  it('answers 403 to roles without the permission, and to a session whose initial password is unchanged', async () => {
    const admin = new Client(base);
    await admin.login('quan', 'initial-pass-1', 'admin-pass-3');
    expect(await admin.get('/api/incidents')).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect((await admin.get(`/api/incidents/${withFiles.id}/clip`)).status).toBe(403);
    expect((await admin.call('POST', `/api/incidents/${withFiles.id}/share`, {})).status).toBe(403);
    const cityUser = new Client(base);
    await cityUser.login('city1', 'initial-pass-1', 'city-pass-44');
    expect((await cityUser.get('/api/wards')).status).toBe(403);
    const fresh = new Client(base);
    expect((await fresh.login('new', 'initial-pass-1')).json).toMatchObject({ status: 'must-change' });
    expect(await fresh.get('/api/incidents')).toMatchObject({ status: 403, json: { code: 'MUST_CHANGE' } });
  });

  it('enforces CSRF on the share', async () => {
    const r = await operator.call('POST', `/api/incidents/${withFiles.id}/share`, {}, { csrf: false });
    expect(r).toMatchObject({ status: 403, json: { code: 'CSRF' } });
    expect(city.stats().seen).toBe(0);
  });

  it('locks a name for the address after 5 wrong passwords in 30 s, even against the right one (other addresses: hub/logins.test.ts)', async () => {
    const c = new Client(base);
    await hub.accounts.addUser({ name: 'victim', role: 'operator', password: 'initial-pass-1' }, CLI);
    const wrong: number[] = [];
    for (let i = 0; i < 5; i++) wrong.push((await c.call('POST', '/api/login', { name: 'victim', password: `wrong-${i}-pass` })).status);
    expect(wrong).toEqual([401, 401, 401, 401, 403]); // the fifth failure locks
    const r = await c.call('POST', '/api/login', { name: 'victim', password: 'initial-pass-1' });
    expect(r).toMatchObject({ status: 403, json: { code: 'LOCKED' } });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(200);
    // the wrong passwords are audited one by one; the refusal after the lock is summed up in the address's burst row
    expect((await hub.audit.list({ target: 'victim', limit: 100 })).filter((a) => a.action === 'login.failed').length).toBe(5);
    expect((await hub.audit.list({ target: 'victim', limit: 100 })).some((a) => a.action === 'user.lock' && a.actor === 'system' && a.ip === '127.0.0.1')).toBe(true);
    expect((await hub.accounts.get('victim'))!.locked).toBe(false);
  });
});

describe('share to the city and dead letters', () => {
  it('checks the body and names the field', async () => {
    expect(await operator.call('POST', `/api/incidents/${withFiles.id}/share`, { unblurred: 'yes' })).toMatchObject({ status: 400, json: { field: 'unblurred' } });
    expect(await operator.call('POST', `/api/incidents/${withFiles.id}/share`, { note: 'x'.repeat(1001) })).toMatchObject({ status: 400, json: { field: 'note' } });
    expect(await operator.call('POST', `/api/incidents/${withFiles.id}/share`, { target: 'x' })).toMatchObject({ status: 400, json: { field: 'target' } });
    expect(await operator.call('POST', '/api/incidents/not-an-id/share', {})).toMatchObject({ status: 400, json: { field: 'id' } });
    expect((await operator.call('POST', '/api/incidents/01KAXG4Z7M5P2V8N3Q6R9T0W1Z/share', {})).status).toBe(404);
  });

  it('shares (audited), the city verifies the signature, and the refused target becomes a dead letter that can be retried', async () => {
    const r = await operator.call('POST', `/api/incidents/${withFiles.id}/share`, { note: 'xe đỗ sai chỗ' });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.results).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'city', state: 'queued' }), expect.objectContaining({ target: 'city-bad', state: 'queued' })]));
    const until = Date.now() + 20_000;
    while ((city.stats().accepted < 1 || (await hub.forwarder.stats()).dead < 1) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    expect(city.stats()).toMatchObject({ accepted: 1 }); // the receiver accepts only a signature that verifies
    expect(city.alerts()[0]!.alert).toMatchObject({ cause: { kind: 'share', by: 'lan', note: 'xe đỗ sai chỗ' }, incident: { id: withFiles.id } });
    expect((await hub.audit.list({ target: withFiles.id })).find((a) => a.action === 'share')).toMatchObject({ actor: 'lan', ip: '127.0.0.1' });

    const detail = await operator.get(`/api/incidents/${withFiles.id}`);
    expect(detail.json.forwarded).toBe(true);
    expect(detail.json.forwards).toEqual(expect.arrayContaining([expect.objectContaining({ target: 'city', state: 'delivered' }), expect.objectContaining({ target: 'city-bad', state: 'dead' })]));

    const dead = await operator.get('/api/forward/dead');
    const letters = dead.json.deadLetters as { key: string; reason: string; status: number }[];
    expect(letters).toEqual([expect.objectContaining({ key: `${withFiles.id}:city-bad`, status: 401 })]);
    expect((await operator.call('POST', `/api/forward/dead/${encodeURIComponent(letters[0]!.key)}/retry`, {})).json).toEqual({ retried: letters[0]!.key });
    expect((await operator.call('POST', `/api/forward/dead/${encodeURIComponent(letters[0]!.key)}/retry`, {})).status).toBe(404); // already requeued
    expect(await operator.call('POST', '/api/forward/dead/..%2Fx/retry', {})).toMatchObject({ status: 400, json: { field: 'key' } });
    expect(await operator.get('/api/forward/dead?limit=abc')).toMatchObject({ status: 400, json: { field: 'limit' } });
  });
});

describe('health, metrics and the OpenAPI document', () => {
  it('reports wards online from the retained status, offline from the Last Will, stale when quiet, with their cameras', async () => {
    const now = clock();
    const status = (ward: string, extra: object) => JSON.stringify({ state: 'online', ward, version: '0.1.0', startedAt: now - 1000, at: now, disk: { freeBytes: 5e11, totalBytes: 2e12 }, outboxDepth: 3, cameras: { recording: 1, total: 2 }, detector: 'onnx', alarms: [], ...extra });
    const put = hub.store.db.prepare('INSERT OR REPLACE INTO box_status (box_id, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?)');
    put.run('p07', 'online', status('p07', {}), now, now - 5_000);
    put.run('p08', 'offline', JSON.stringify({ state: 'offline', ward: 'p08' }), null, now - 5_000);
    put.run('p09', 'online', status('p09', {}), now, now - 10 * 60_000);
    const cam = hub.store.db.prepare('INSERT OR REPLACE INTO camera_status (ward, camera, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
    const camStatus = (camera: string, state: string) => JSON.stringify({ ward: 'p07', camera, state, at: now, lastSegmentAt: now - 3000, gapsToday: 1, bytesPerSecond: 5e5, detectFps: 5 });
    cam.run('p07', 'cam-01', 'recording', camStatus('cam-01', 'recording'), now, now - 1000);
    cam.run('p07', 'cam-02', 'stalled', camStatus('cam-02', 'stalled'), now, now - 1000);

    const r = await operator.get('/api/wards');
    expect(r.json.timeZone).toBe('Asia/Ho_Chi_Minh'); // hub.yaml's default: the page shows its times in it
    const wards = r.json.wards as { id: string; state: string; online: boolean; outboxDepth: number | null; diskFreeBytes: number | null; cameras: { camera: string; state: string; recording: boolean }[] }[];
    expect(wards.map((w) => [w.id, w.state, w.online])).toEqual([
      ['p07', 'online', true],
      ['p08', 'offline', false],
      ['p09', 'stale', false],
    ]);
    const p07 = wards[0]!;
    expect(p07).toMatchObject({ outboxDepth: 3, diskFreeBytes: 5e11 });
    expect(p07.cameras.find((c) => c.camera === 'cam-01')).toMatchObject({ state: 'recording', recording: true });
    expect(p07.cameras.find((c) => c.camera === 'cam-02')).toMatchObject({ state: 'stalled', recording: false });
    expect(p07.cameras.find((c) => c.camera === 'cam-03')).toMatchObject({ state: 'unknown' }); // seen in incidents, no status
    expect(wards[2]!.cameras.every((c) => c.state === 'unknown')).toBe(true);
    expect((await operator.get('/api/wards/p08')).json).toMatchObject({ id: 'p08', state: 'offline' });
    expect((await operator.get('/api/wards/zz')).status).toBe(404);
    expect(await operator.get('/api/wards/P..')).toMatchObject({ status: 400, json: { field: 'ward' } });
  });

  it('serves Prometheus metrics without a login', async () => {
    const r = await new Client(base).get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = r.buffer.toString('utf8');
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('wardwatch_incidents')).toBe(hub.store.db.prepare('SELECT count(*) AS n FROM incidents').pluck().get());
    expect(value('wardwatch_wards_online')).toBe(1);
    expect(value('wardwatch_forward_dead')).toBe((await hub.forwarder.stats()).dead);
    expect(text).toMatch(/^# TYPE wardwatch_ingest_messages_total counter$/m);
  });

  it('describes every route it serves in /api/openapi.json', async () => {
    const doc = (await new Client(base).get('/api/openapi.json')).json as { openapi: string; paths: Record<string, Record<string, { parameters: { name: string }[] }>> };
    expect(doc.openapi).toBe('3.1.0');
    const served = hub.http!.routes.filter((r) => r.method !== 'HEAD' && /^\/(api\/|share\/|metrics$)/.test(r.url));
    expect(served.length).toBeGreaterThan(12);
    for (const r of served) expect(doc.paths[r.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[r.method.toLowerCase()], `${r.method} ${r.url}`).toBeDefined();
    expect(doc.paths['/api/incidents']!.get!.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['ward', 'camera', 'label', 'from', 'to', 'zone', 'minScore', 'forwarded', 'limit', 'cursor']));
  });
});
