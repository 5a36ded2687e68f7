// /api/city and the city's checks in the live and retrieval routes, on a real hub with an injected clock: who may
// grant, open an emergency and see the viewers; what a bad body is told; what a city account may ask for and when.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../main.js';
import { CLI, Client, startApiHub } from '../../testing/hub/api/test-client.js';

const MIN = 60_000;
let now = Date.now();
let hub: RunningHub;
let base: string;
const as: Record<string, Client> = {};

beforeAll(async () => {
  ({ hub, base } = await startApiHub({ clock: () => now }));
  for (const [name, role] of [['lan', 'operator'], ['quan', 'admin'], ['city1', 'city'], ['off', 'officer']] as const) {
    await hub.accounts.addUser({ name, role, password: 'initial-pass-1', ...(role === 'officer' ? { ward: 'p07' } : {}) }, CLI);
    as[name] = new Client(base);
    expect((await as[name].login(name, 'initial-pass-1', 'changed-pass-2')).status).toBe(200);
  }
  for (const camera of ['cam-1', 'cam-2']) {
    hub.store.db.prepare("INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES ('p07', ?, 'recording', '{}', 1, 1)").run(camera);
  }
});

afterAll(() => hub?.close());

const grantBody = { ward: 'p07', camera: 'cam-1', minutes: 10, live: true, recordings: { from: now - 60 * MIN, to: now }, reason: 'flooding at the market' };

describe('/api/city', () => {
  it('lets operators and admins grant, not the city nor an officer; names the field of a bad body', async () => {
    expect((await as.city1!.call('POST', '/api/city/grants', grantBody)).status).toBe(403);
    expect((await as.off!.call('POST', '/api/city/grants', grantBody)).status).toBe(403);
    for (const [body, field] of [
      [{ ...grantBody, minutes: 0 }, 'minutes'],
      [{ ...grantBody, minutes: 2.5 }, 'minutes'],
      [{ ...grantBody, reason: ' x ' }, 'reason'],
      [{ ...grantBody, ward: 'P 7' }, 'ward'],
      [{ ...grantBody, ward: 'p99' }, 'ward'],
      [{ ...grantBody, camera: 'cam-9' }, 'camera'],
      [{ ...grantBody, live: false, recordings: null }, 'live'],
    ] as const) {
      const r = await as.lan!.call('POST', '/api/city/grants', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.field).toBe(field);
    }
    const bad = await as.lan!.call('POST', '/api/city/grants', { ...grantBody, recordings: { from: now, to: now - 1 } });
    expect(bad.status).toBe(400);
    expect(String(bad.json.error)).toMatch(/recordings.to must be later than recordings.from/);

    const g = await as.lan!.call('POST', '/api/city/grants', grantBody);
    expect(g.status).toBe(201);
    const seen = await as.city1!.get('/api/city/grants');
    expect(seen.status).toBe(200);
    expect(seen.json.grants).toEqual([expect.objectContaining({ id: g.json.id, ward: 'p07', camera: 'cam-1', live: true, endsAt: now + 10 * MIN, grantedBy: 'lan', reason: 'flooding at the market' })]);
    expect((await as.off!.get('/api/city/grants')).status).toBe(403);
    expect((await hub.audit.list({ target: String(g.json.id) })).map((a) => [a.actor, a.action])).toEqual([['lan', 'city.grant']]);
  });

  it('lets the city ask for a granted range only, and refuses live of another camera with the reason', async () => {
    const inside = await as.city1!.call('POST', '/api/retrievals', { ward: 'p07', camera: 'cam-1', from: now - 30 * MIN, to: now - 29 * MIN });
    expect(inside.status).toBe(202);
    const g = (await hub.city.grants.active())[0]!;
    expect((await hub.audit.list({ target: g.id })).map((a) => a.action)).toEqual(['city.retrieve', 'city.grant']);
    const outside = await as.city1!.call('POST', '/api/retrievals', { ward: 'p07', camera: 'cam-1', from: now - 90 * MIN, to: now - 89 * MIN });
    expect(outside).toMatchObject({ status: 403, json: { code: 'NOT_GRANTED' } });
    expect(String(outside.json.error)).toMatch(/granted to the city only within/);
    const other = await as.city1!.call('POST', '/api/live', { ward: 'p07', camera: 'cam-2', stream: 'sub' });
    expect(other).toMatchObject({ status: 403, json: { code: 'NOT_GRANTED', error: 'camera cam-2 of ward p07 is not granted to the city: ask an operator for a grant' } });
    // the city sees the city's retrievals only; an operator's stays hidden
    const mine = await as.lan!.call('POST', '/api/retrievals', { ward: 'p07', camera: 'cam-2', from: now - 30 * MIN, to: now - 29 * MIN });
    expect(mine.status).toBe(202);
    const listed = await as.city1!.get('/api/retrievals');
    expect((listed.json.retrievals as { id: string }[]).map((r) => r.id)).toEqual([inside.json.id]);
    expect((await as.city1!.get(`/api/retrievals/${String(mine.json.id)}`)).status).toBe(404);
    expect((await as.city1!.call('POST', `/api/retrievals/${String(inside.json.id)}/cancel`)).status).toBe(403);
  });

  it('opens an emergency for admins only, shows it to everyone logged in, and ends it by itself', async () => {
    expect((await as.lan!.call('POST', '/api/city/emergency', { hours: 1, reason: 'typhoon' })).status).toBe(403);
    expect((await as.quan!.call('POST', '/api/city/emergency', { hours: 0, reason: 'typhoon' })).json.field).toBe('hours');
    const e = await as.quan!.call('POST', '/api/city/emergency', { hours: 0.1, reason: 'typhoon Noru' });
    expect(e.status).toBe(201);
    expect((await as.quan!.call('POST', '/api/city/emergency', { hours: 1, reason: 'again' })).status).toBe(409);
    for (const c of [as.lan!, as.off!, as.city1!]) {
      expect((await c.get('/api/city/emergency')).json.emergency).toEqual({ id: e.json.id, openedBy: 'quan', reason: 'typhoon Noru', startsAt: now, endsAt: now + 6 * MIN });
    }
    expect((await as.lan!.call('POST', `/api/city/grants/${String(e.json.id)}/revoke`)).status).toBe(403);
    expect((await as.city1!.call('POST', '/api/retrievals', { ward: 'p07', camera: 'cam-2', from: now - 600 * MIN, to: now - 599 * MIN })).status).toBe(202);

    now += 6 * MIN; // sessions stay alive: they idle out after 30 minutes
    await hub.city.grants.sweep();
    expect((await as.lan!.get('/api/city/emergency')).json.emergency).toBeNull();
    expect((await hub.audit.list({ target: String(e.json.id) })).map((a) => [a.actor, a.action])).toEqual([['system', 'city.emergency.close'], ['city1', 'city.retrieve'], ['quan', 'city.emergency.open']]);
    expect((await as.city1!.call('POST', '/api/retrievals', { ward: 'p07', camera: 'cam-2', from: now - 600 * MIN, to: now - 599 * MIN })).status).toBe(403);
  });

  it('revokes for operators, after which the city is refused; lists the viewers for operators only', async () => {
    const g = await as.lan!.call('POST', '/api/city/grants', { ...grantBody, camera: 'cam-2', recordings: null, minutes: 5 });
    expect((await as.city1!.call('POST', `/api/city/grants/${String(g.json.id)}/revoke`)).status).toBe(403);
    expect(await as.lan!.call('POST', `/api/city/grants/${String(g.json.id)}/revoke`)).toMatchObject({ status: 200, json: { revoked: true } });
    expect((await as.lan!.call('POST', `/api/city/grants/${String(g.json.id)}/revoke`)).status).toBe(404);
    const refused = await as.city1!.call('POST', '/api/live', { ward: 'p07', camera: 'cam-2', stream: 'sub' });
    expect(refused.status).toBe(403);
    expect(String(refused.json.error)).toBe('the city\'s access to camera cam-2 of ward p07 was revoked: ask an operator for a new grant');
    expect(await as.lan!.get('/api/city/viewers')).toMatchObject({ status: 200, json: { viewers: [] } });
    expect((await as.city1!.get('/api/city/viewers')).status).toBe(403);
  });
});
