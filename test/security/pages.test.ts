// The pages over TLS: the hub's operator page and API and the box's review page served over HTTPS with certificates
// made by provisioning (one CA), Secure cookies and HSTS under TLS, live view over wss://, and `trustProxy` for a TLS
// proxy in front (a spoofed X-Forwarded-Proto counts only when it is on). Real servers on 127.0.0.1:0.
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type RunningHub } from '../../hub/main.js';
import { hubConfigSchema } from '../../shared/config/hub.js';
import type { HubConfig } from '../../shared/config/load.js';
import { readPageTls } from '../../shared/http/index.js';
import { captureLogger } from '../../testing/hub/test-support.js';
import { silentLogger } from '../../shared/log.js';
import { startReviewBox, type ReviewBox } from '../review/review-box.js';
import { makeTestTls, type TestTls } from '../tls-files.js';

const WHERE = { key: 'http.tls', make: 'provision credentials tls' };
let dir: string;
let tls: TestTls;
let ca: Buffer;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request over http or https (trusting `ca`), to 127.0.0.1. */
function call(url: string, o: { method?: string; headers?: Record<string, string>; body?: unknown; ca?: Buffer | null } = {}): Promise<Answer> {
  const data = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
  const headers = { ...o.headers, ...(data && { 'content-type': 'application/json' }) };
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: o.method ?? 'GET', headers, ...(o.ca !== null && url.startsWith('https:') && { ca: o.ca ?? ca }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const cookieOf = (a: Answer) => (a.headers['set-cookie'] ?? [])[0] ?? '';

async function hubWith(http: Record<string, unknown>, logger = silentLogger()): Promise<RunningHub> {
  const root = mkdtempSync(path.join(dir, 'hub-'));
  const config: HubConfig = {
    ...hubConfigSchema.parse({
      district: { name: 'Phú Nhuận' },
      storage: { root },
      broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      wards: [{ id: 'p07', name: 'Phường 7' }],
      http: { host: '127.0.0.1', port: 0, ...http },
    }),
    file: path.join(root, 'hub.yaml'),
    secrets: new Map(),
  };
  const hub = await startHub(config, { logger });
  await hub.accounts.addUser({ name: 'lan', role: 'operator', password: 'first-pass-1' }, { actor: 'test', ip: null });
  return hub;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-pages-tls-'));
  tls = await makeTestTls(dir);
  ca = readFileSync(tls.ca);
});

describe('the hub\'s pages over HTTPS', () => {
  let hub: RunningHub;
  let base: string;
  beforeAll(async () => {
    hub = await hubWith({ tls: tls.hub });
    base = `https://127.0.0.1:${hub.http!.port}`;
  });
  afterAll(() => hub?.close());

  it('serves the page with the provisioned certificate, HSTS and nosniff', async () => {
    expect(hub.http!.scheme).toBe('https');
    const page = await call(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('is refused by a client that does not trust the district CA, and speaks no plain HTTP', async () => {
    await expect(call(`${base}/`, { ca: null })).rejects.toThrow(/unable to verify the first certificate/);
    await expect(call(`http://127.0.0.1:${hub.http!.port}/`)).rejects.toThrow(/socket hang up|ECONNRESET|Parse Error/);
  });

  it('sets the session cookie Secure, HttpOnly and SameSite=Strict', async () => {
    const login = await call(`${base}/api/login`, { method: 'POST', body: { name: 'lan', password: 'first-pass-1' } });
    expect(login.status).toBe(200);
    const cookie = cookieOf(login);
    expect(cookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
    const session = await call(`${base}/api/session`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(session.status).toBe(200);
  });
});

describe('trustProxy: a TLS proxy in front of a plain-HTTP hub', () => {
  // trustProxy, the proxy's X-Forwarded-Proto → a Secure cookie and HSTS
  const cases = [
    { trustProxy: false, proto: 'https', secure: false },
    { trustProxy: false, proto: undefined, secure: false },
    { trustProxy: true, proto: 'https', secure: true },
    { trustProxy: true, proto: 'http', secure: false },
    { trustProxy: true, proto: undefined, secure: false },
  ];
  const hubs = new Map<boolean, RunningHub>();
  beforeAll(async () => {
    hubs.set(false, await hubWith({}));
    hubs.set(true, await hubWith({ trustProxy: true }));
  });
  afterAll(async () => {
    for (const h of hubs.values()) await h.close();
  });

  it.each(cases)('trustProxy $trustProxy, X-Forwarded-Proto $proto: Secure cookie and HSTS $secure', async ({ trustProxy, proto, secure }) => {
    const hub = hubs.get(trustProxy)!;
    const base = `http://127.0.0.1:${hub.http!.port}`;
    const headers: Record<string, string> = { 'x-forwarded-for': '203.0.113.9', ...(proto && { 'x-forwarded-proto': proto }) };
    const login = await call(`${base}/api/login`, { method: 'POST', headers, body: { name: 'lan', password: 'first-pass-1' } });
    expect(login.status).toBe(200);
    expect(cookieOf(login).split('; ').includes('Secure')).toBe(secure);
    expect(login.headers['strict-transport-security'] !== undefined).toBe(secure);
    // the address the hub audits: the proxy's word only when trusted
    const row = hub.store.db.prepare("SELECT ip FROM audit WHERE action = 'login' ORDER BY rowid DESC LIMIT 1").get() as { ip: string | null };
    expect(row.ip).toBe(trustProxy ? '203.0.113.9' : '127.0.0.1');
  });
});

describe('trustProxy: the page as the browser addressed the proxy', () => {
  let hubs: RunningHub[] = [];
  afterAll(async () => {
    for (const h of hubs) await h.close();
  });

  it('takes a change whose Origin is the proxy\'s address only from a trusted proxy that names it in X-Forwarded-Host/-Proto', async () => {
    hubs = [await hubWith({}), await hubWith({ trustProxy: true })];
    const [plain, proxied] = hubs.map((h) => `http://127.0.0.1:${h.http!.port}`) as [string, string];
    // what nginx sends by default: its upstream as Host, the browser's host and scheme in X-Forwarded-*
    const headers = { origin: 'https://hub.phunhuan.example.vn', 'x-forwarded-host': 'hub.phunhuan.example.vn', 'x-forwarded-proto': 'https' };
    const body = { name: 'lan', password: 'first-pass-1' };
    const untrusted = await call(`${plain}/api/login`, { method: 'POST', headers, body });
    expect([untrusted.status, (JSON.parse(untrusted.body) as { code: string }).code]).toEqual([403, 'ORIGIN']);
    const trusted = await call(`${proxied}/api/login`, { method: 'POST', headers, body });
    expect(trusted.status).toBe(200);
    const foreign = await call(`${proxied}/api/login`, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body });
    expect(foreign.status).toBe(403);
  });
});

describe('the box\'s review page over HTTPS', () => {
  let box: ReviewBox;
  beforeAll(async () => {
    box = await startReviewBox({ ward: { id: 'p07', name: 'Phường 7' }, cameras: [], tls: readPageTls(tls.box, { ...WHERE, key: 'review.tls' }) });
    await box.server.accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', password: 'first-pass-1' }, { actor: 'test' });
  });
  afterAll(() => box?.close());

  it('serves its own certificate from the district CA, Secure cookies, HSTS, and the live socket over wss://', async () => {
    expect(box.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const page = await call(`${box.url}/`);
    expect([page.status, page.headers['strict-transport-security']]).toEqual([200, 'max-age=31536000']);
    const login = await call(`${box.url}/api/login`, { method: 'POST', body: { name: 'minh', password: 'first-pass-1' } });
    expect(cookieOf(login)).toMatch(/; Secure/);
    const changed = await call(`${box.url}/api/password`, {
      method: 'POST',
      headers: { cookie: cookieOf(login).split(';')[0]!, 'x-csrf-token': String((JSON.parse(login.body) as { csrfToken: string }).csrfToken) },
      body: { current: 'first-pass-1', next: 'officer-pass-2' },
    });
    expect(changed.status).toBe(200);
    // the page opens wss://<its host>/api/live/<camera>: the upgrade reaches the route with the session over TLS
    const ws = new WebSocket(`${box.url.replace('https:', 'wss:')}/api/live/ghost?stream=sub`, { ca, headers: { cookie: cookieOf(login).split(';')[0]! } });
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(d.toString('utf8')));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'problem', message: 'camera "ghost" is not in this ward' });
    ws.terminate();
  });
});

describe('a certificate that cannot serve', () => {
  it('keeps the hub\'s pages down with one error line naming http.tls and the fix; the broker runs on', async () => {
    const { logger, lines } = captureLogger();
    const hub = await hubWith({ tls: { certFile: path.join(dir, 'missing.crt'), keyFile: tls.hub.keyFile } }, logger).catch((err: Error) => err);
    // hubWith adds a user through accounts: the hub started, without pages
    expect(hub).not.toBeInstanceOf(Error);
    const running = hub as RunningHub;
    try {
      expect(running.http).toBeUndefined();
      expect(running.listeners[0]!.port).toBeGreaterThan(0);
      const errors = lines().filter((l) => l.level === 50);
      expect(errors).toHaveLength(1);
      expect(String(errors[0]!.msg)).toMatch(/^http: http\.tls\.certFile: .*missing\.crt does not exist: make it with `wardwatch provision credentials tls --out DIR --host NAME`.*The operator page and API are down; the broker and ingest go on$/);
    } finally {
      await running.close();
    }
  });
});
