import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountMigrations, createAccounts, type Accounts } from '../accounts/index.js';
import { auditMigrations, createAudit, type Audit } from '../audit/index.js';
import { openDb } from '../db.js';
import { sqliteSql } from '../sql/sqlite.js';
import { requirePermission, requireRole } from './guards.js';
import { sessionPlugin } from './sessions.js';

const clock = { now: 1_764_000_000_000 };
let app: FastifyInstance;
let base: string;
let accounts: Accounts;
let audit: Audit;

/** A browser's cookie jar and CSRF header, reduced to what the tests need. */
class Client {
  cookie = '';
  csrf = '';
  lastSetCookie: string[] = [];
  async call(method: string, url: string, body?: unknown, options: { csrf?: boolean; contentType?: string } = {}) {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (options.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(base + url, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const c of this.lastSetCookie) {
      const [pair] = c.split(';');
      this.cookie = /Max-Age=0/.test(c) ? '' : pair!;
    }
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (typeof json.csrfToken === 'string') this.csrf = json.csrfToken;
    return { status: res.status, json };
  }
  async login(name: string, password: string) {
    return this.call('POST', '/api/login', { name, password });
  }
}

beforeAll(async () => {
  const db = openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-http-')), 'a.db'), [...accountMigrations, ...auditMigrations]);
  const sql = sqliteSql(db);
  audit = createAudit(sql, { clock: () => clock.now });
  accounts = createAccounts(sql, { audit, clock: () => clock.now });
  const admin = { actor: 'test' };
  await accounts.addUser({ name: 'lan', role: 'operator', password: 'first-pass-1' }, admin);
  await accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', password: 'first-pass-2' }, admin);
  app = Fastify();
  await app.register(sessionPlugin, { accounts, clock: () => clock.now });
  app.get('/api/incidents', { preHandler: requirePermission('incidents') }, async () => ({ incidents: [] }));
  app.post('/api/incidents/:id/share', { preHandler: requirePermission('share') }, async (req) => ({ shared: (req.params as { id: string }).id }));
  app.get('/api/wards/:ward/live', { preHandler: requirePermission('live', (req) => (req.params as { ward: string }).ward) }, async () => ({ live: true }));
  app.get('/api/users', { preHandler: requireRole('admin') }, async () => ({ users: [] }));
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app?.close();
});

describe('sessions over HTTP', () => {
  it('answers bad login bodies with 400 naming the field', async () => {
    const c = new Client();
    expect(await c.call('POST', '/api/login', { name: 'lan' })).toMatchObject({ status: 400, json: { field: 'password', error: 'password: is required' } });
    expect(await c.call('POST', '/api/login', { name: 'lan', password: 5 })).toMatchObject({ status: 400, json: { field: 'password' } });
    expect(await c.call('POST', '/api/login', { name: 'lan', password: 'x', remember: true })).toMatchObject({ status: 400, json: { field: 'remember' } });
    // what a cross-site form could send
    expect(await c.call('POST', '/api/login', 'name=lan&password=x', { contentType: 'text/plain' })).toMatchObject({ status: 400, json: { field: 'body' } });
    expect(await c.login('lan', 'wrong-pass-1')).toMatchObject({ status: 401, json: { code: 'BAD_LOGIN' } });
    expect(c.cookie).toBe('');
  });

  it('forces the change of an initial password: only /api/password works until then, with the CSRF token', async () => {
    const c = new Client();
    const login = await c.login('lan', 'first-pass-1');
    expect(login).toMatchObject({ status: 200, json: { status: 'must-change', user: { name: 'lan', role: 'operator', mustChange: true } } });
    const cookie = c.lastSetCookie.join('\n');
    expect(cookie).toMatch(/^ww_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/); // plain HTTP: not Secure
    expect(await c.call('GET', '/api/incidents')).toMatchObject({ status: 403, json: { code: 'MUST_CHANGE' } });
    expect(await c.call('POST', '/api/password', { current: 'first-pass-1', next: 'second-pass-1' }, { csrf: false })).toMatchObject({ status: 403, json: { code: 'CSRF' } });
    expect(await c.call('POST', '/api/password', { current: 'first-pass-1', next: 'password' })).toMatchObject({ status: 400, json: { field: 'next', error: expect.stringMatching(/^next: no digit/) } });
    expect(await c.call('POST', '/api/password', { current: 'first-pass-1' })).toMatchObject({ status: 400, json: { field: 'next' } });
    expect(await c.call('POST', '/api/password', { current: 'nope-nope-1', next: 'second-pass-1' })).toMatchObject({ status: 403, json: { field: 'current' } });
    expect(await c.call('POST', '/api/password', { current: 'first-pass-1', next: 'second-pass-1' })).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await c.call('GET', '/api/incidents')).toMatchObject({ status: 200, json: { incidents: [] } });
  });

  it('refuses a state change without the CSRF token (403) and takes it with the token', async () => {
    const c = new Client();
    expect((await c.login('lan', 'second-pass-1')).json.status).toBe('ok');
    expect(await c.call('POST', '/api/incidents/01JDQ6Z7A1B2C3D4E5F6G7H8J9/share', {}, { csrf: false })).toMatchObject({ status: 403, json: { code: 'CSRF' } });
    const stolen = c.csrf;
    c.csrf = 'x'.repeat(43);
    expect((await c.call('POST', '/api/incidents/01JDQ6Z7A1B2C3D4E5F6G7H8J9/share', {})).status).toBe(403);
    c.csrf = stolen;
    expect(await c.call('POST', '/api/incidents/01JDQ6Z7A1B2C3D4E5F6G7H8J9/share', {})).toMatchObject({ status: 200, json: { shared: '01JDQ6Z7A1B2C3D4E5F6G7H8J9' } });
    // the page gets the token again from GET /api/session
    c.csrf = '';
    expect(await c.call('GET', '/api/session')).toMatchObject({ status: 200, json: { user: { name: 'lan' }, csrfToken: stolen } });
    expect((await c.call('GET', '/api/users')).status).toBe(403); // an operator is not an admin
  });

  it('keeps an officer to the ward of the account', async () => {
    const c = new Client();
    await c.login('minh', 'first-pass-2');
    expect((await c.call('POST', '/api/password', { current: 'first-pass-2', next: 'officer-pass-7' })).status).toBe(200);
    expect((await c.call('GET', '/api/wards/p07/live')).status).toBe(200);
    expect(await c.call('GET', '/api/wards/p08/live')).toMatchObject({ status: 403, json: { code: 'FORBIDDEN' } });
    expect((await c.call('GET', '/api/incidents')).status).toBe(403);
  });

  it('answers 401 once the session has been idle for 30 minutes, and after logout', async () => {
    const c = new Client();
    await c.login('lan', 'second-pass-1');
    expect((await c.call('GET', '/api/incidents')).status).toBe(200);
    clock.now += 31 * 60_000;
    expect(await c.call('GET', '/api/incidents')).toMatchObject({ status: 401, json: { code: 'LOGIN' } });
    expect((await c.call('POST', '/api/incidents/x/share', {})).status).toBe(401);

    await c.login('lan', 'second-pass-1');
    expect((await c.call('POST', '/api/logout', undefined, { csrf: false })).status).toBe(403);
    const before = c.cookie;
    expect((await c.call('POST', '/api/logout')).status).toBe(204);
    expect(c.cookie).toBe('');
    c.cookie = before; // a replayed cookie is dead too
    expect((await c.call('GET', '/api/session')).status).toBe(401);
  });

  it('audits logins, failures, password changes and logouts with the address', async () => {
    const rows = await audit.list({ limit: 1000 });
    const actions = rows.map((r) => `${r.action} ${r.actor}`);
    expect(actions).toEqual(expect.arrayContaining(['login lan', 'login.failed lan', 'password.change lan', 'logout lan', 'password.change minh']));
    expect(rows.find((r) => r.action === 'logout')!.ip).toBe('127.0.0.1');
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('marks the cookie Secure when told to (TLS)', async () => {
    const tls = Fastify();
    await tls.register(sessionPlugin, { accounts, secureCookie: true, clock: () => clock.now });
    const res = await tls.inject({ method: 'POST', url: '/api/login', payload: { name: 'lan', password: 'second-pass-1' } });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    await tls.close();
  });
});
