// What every answer of the hub's API carries, and changes sent from another site's page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHub } from '../main.js';
import { CLI, Client, startApiHub } from '../../testing/hub/api/test-client.js';

let hub: RunningHub;
let base: string;
let operator: Client;

beforeAll(async () => {
  ({ hub, base } = await startApiHub()); // publicUrl http://127.0.0.1:1
  await hub.accounts.addUser({ name: 'lan', role: 'operator', password: 'initial-pass-1' }, CLI);
  operator = new Client(base);
  expect((await operator.login('lan', 'initial-pass-1', 'operator-pass-2')).status).toBe(200);
});

afterAll(async () => {
  await hub?.close();
});

describe('headers', () => {
  it('marks every answer nosniff and API JSON no-store; the page and files keep their own caching', async () => {
    for (const url of ['/api/session', '/api/incidents', '/api/openapi.json', '/api/no-such-route']) {
      const r = await operator.get(url);
      expect(r.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(r.headers.get('cache-control'), url).toBe('no-store');
    }
    const refused = await new Client(base).get('/api/incidents'); // 401 JSON too
    expect([refused.status, refused.headers.get('cache-control')]).toEqual([401, 'no-store']);
    const page = await operator.get('/');
    expect([page.headers.get('x-content-type-options'), page.headers.get('cache-control')]).toEqual(['nosniff', 'no-cache']);
    const metrics = await operator.get('/metrics');
    expect([metrics.headers.get('x-content-type-options'), metrics.headers.get('cache-control')]).toEqual(['nosniff', null]);
  });
});

describe('Origin', () => {
  it('refuses a change sent from another site\'s page (403 ORIGIN), before login or CSRF are looked at', async () => {
    const evil = { origin: 'https://evil.example' };
    expect(await new Client(base).call('POST', '/api/login', { name: 'lan', password: 'operator-pass-2' }, { headers: evil })).toMatchObject({ status: 403, json: { code: 'ORIGIN' } });
    expect(await operator.call('POST', '/api/logout', undefined, { headers: evil })).toMatchObject({ status: 403, json: { code: 'ORIGIN' } });
    expect(await operator.call('POST', '/api/logout', undefined, { headers: { origin: 'null' } })).toMatchObject({ status: 403, json: { code: 'ORIGIN' } });
    expect((await operator.get('/api/session', evil)).status).toBe(200); // reading is not a change
  });

  it('takes changes from the page itself, from hub.yaml\'s publicUrl, and from clients that send no Origin', async () => {
    expect((await new Client(base).call('POST', '/api/login', { name: 'lan', password: 'operator-pass-2' }, { headers: { origin: base } })).status).toBe(200);
    expect((await new Client(base).call('POST', '/api/login', { name: 'lan', password: 'operator-pass-2' }, { headers: { origin: 'http://127.0.0.1:1' } })).status).toBe(200);
    expect((await new Client(base).call('POST', '/api/login', { name: 'lan', password: 'operator-pass-2' })).status).toBe(200);
    expect((await operator.call('POST', '/api/logout', undefined, { headers: { origin: base } })).status).toBe(204);
  });
});
