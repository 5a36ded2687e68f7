// Failed logins against a real hub (HTTP API and MQTT broker on 127.0.0.1): what a flood costs, who it locks out,
// and what it tells. Clients pick their source address (127.0.0.x) to play different machines; nothing here relies
// on X-Forwarded-For, which the hub does not trust.
import net from 'node:net';
import { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubConfig } from '../shared/config/load.js';
import { hashSecret, verifySecretAsync } from '../shared/scrypt.js';
import { ClientFrom, type Answer } from '../test/http-from.js';
import { CLI, startApiHub } from '../testing/hub/api/test-client.js';
import type { RunningHub } from './main.js';
import { testWard } from '../testing/hub/test-support.js';

let hub: RunningHub;
let base: string;
const clients: ClientFrom[] = [];
const from = (address: string) => {
  const c = new ClientFrom(base, address);
  clients.push(c);
  return c;
};

/** The value of one sample of /metrics. */
async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? NaN : Number(found.slice(line.length + 1));
}

beforeAll(async () => {
  ({ hub, base } = await startApiHub());
  await hub.accounts.addUser({ name: 'admin', role: 'admin', password: 'admin-pass-1' }, CLI);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await hub?.close();
});

describe('a flood of bad passwords from one address', () => {
  it('costs no scrypt after the first few (well under 0.3 core-seconds per 100), and the admin elsewhere logs in at once', async () => {
    const attacker = from('127.0.0.10');
    // mostly names that do not exist, and the admin's now and then: the spread of a real attack run
    const name = (i: number) => (i % 50 === 0 ? 'admin' : `user${i % 50}`);
    const FIRST = 20;
    const statuses: Record<number, number> = {};
    let cpu: NodeJS.CpuUsage | undefined;
    let checksAfterFirst = NaN;
    let last: Answer | undefined;
    for (let i = 0; i < 1000; i++) {
      if (i === FIRST) {
        checksAfterFirst = await metric('wardwatch_login_checks_total{realm="http"}');
        cpu = process.cpuUsage();
      }
      last = await attacker.login(name(i), `guess-${i}-pw`);
      statuses[last.status] = (statuses[last.status] ?? 0) + 1;
    }
    const used = process.cpuUsage(cpu);
    const perHundred = (used.user + used.system) / 1e6 / ((1000 - FIRST) / 100);
    expect(perHundred, `${perHundred.toFixed(3)} core-seconds per 100 attempts`).toBeLessThan(0.2);
    // 10 checks (the address's free 5 and 5 more after growing delays), then refusals without one
    expect(await metric('wardwatch_login_checks_total{realm="http"}')).toBe(10);
    expect(checksAfterFirst).toBe(10);
    expect(statuses).toEqual({ 401: 9, 429: 991 });
    expect(last!.json).toMatchObject({ code: 'THROTTLED', error: expect.stringMatching(/^too many failed logins from this address: try again after /) });
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(500); // the 10-minute block, less the time the flood took
    expect(await metric('wardwatch_login_addresses_blocked')).toBe(1);
    expect(await metric('wardwatch_login_refused_total{reason="address"}')).toBe(990);

    const admin = from('127.0.0.2');
    const login = await admin.login('admin', 'admin-pass-1');
    expect(login).toMatchObject({ status: 200, json: { status: 'must-change' } });
    expect(login.ms).toBeLessThan(1500); // one scrypt (~50 ms); generous for a loaded machine
  });

  it('lets the right password in from elsewhere while another address floods in parallel', async () => {
    const attacker = from('127.0.0.11');
    const flood = Promise.all(Array.from({ length: 300 }, (_, i) => attacker.login(`user${i}`, 'guess-pw-1')));
    const admin = from('127.0.0.3');
    const login = await admin.login('admin', 'admin-pass-1');
    const answers = await flood;
    expect(login.status).toBe(200);
    expect(login.ms).toBeLessThan(1500);
    // at most two checks of one address at once: the rest were refused as busy, without scrypt
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(10);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(290);
    expect(await metric('wardwatch_login_refused_total{reason="busy"}')).toBeGreaterThan(0);
  });
});

describe('lockout an outsider cannot use', () => {
  it('locks the admin\'s name for the outsider\'s address only: the admin stays logged in, and logs in from elsewhere', async () => {
    const admin = from('127.0.0.4');
    expect((await admin.login('admin', 'admin-pass-1')).status).toBe(200);
    const outsider = from('127.0.0.5');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await outsider.login('admin', `guess-${i}-pw`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 403]);
    const right = await outsider.login('admin', 'admin-pass-1');
    expect(right).toMatchObject({ status: 403, json: { code: 'LOCKED' } });
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(250);
    // the admin's session lives on, and a new login from another address works at once
    expect(await admin.call('GET', '/api/session')).toMatchObject({ status: 200, json: { user: { name: 'admin' } } });
    const elsewhere = await from('127.0.0.6').login('admin', 'admin-pass-1');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.ms).toBeLessThan(1500);
    expect((await hub.accounts.get('admin'))!.locked).toBe(false);
  });

  it('answers a name that does not exist exactly as one that does, in status, body and timing class', async () => {
    const scryptMs = await (async () => {
      const hash = hashSecret('a-password-1');
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await verifySecretAsync('another-1', hash);
        best = Math.min(best, performance.now() - t);
      }
      return best;
    })();
    const checks = () => metric('wardwatch_login_checks_total{realm="http"}');
    const attempts = async (client: ClientFrom, name: string) => {
      const before = await checks();
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push(await client.login(name, `guess-${i}-pw`));
      return { answers, checks: (await checks()) - before };
    };
    const known = await attempts(from('127.0.0.7'), 'admin');
    const unknown = await attempts(from('127.0.0.8'), 'no-such-user');
    // times differ by when they ran: compare the answers with them taken out
    const shape = (a: { status: number; json: Record<string, unknown>; headers: Record<string, unknown> }) => ({
      status: a.status,
      retryAfter: a.headers['retry-after'] !== undefined,
      json: JSON.parse(JSON.stringify(a.json).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'TIME').replace(/"lockedUntil":\d+/g, '"lockedUntil":0')) as unknown,
    });
    expect(unknown.answers.map(shape)).toEqual(known.answers.map(shape));
    expect(known.answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 403, 403, 403]);
    expect(known.answers[0]!.json).toEqual({ error: 'wrong name or password', code: 'BAD_LOGIN' });
    expect(known.answers[4]!.json).toMatchObject({ code: 'LOCKED', error: expect.stringMatching(/^too many failed logins for this name from this address: try again after /) });
    // the same work: one scrypt for each of the 5 wrong answers, none for the refusals
    expect([known.checks, unknown.checks]).toEqual([5, 5]);
    const fastest = (answers: { ms: number }[]) => Math.min(...answers.map((a) => a.ms));
    for (const side of [known, unknown]) expect(fastest(side.answers.slice(0, 5))).toBeGreaterThan(scryptMs * 0.5);
  });

  it('keeps no audit row per failed login of a name that does not exist', async () => {
    const rows = await hub.audit.list({ limit: 1000 });
    expect(rows.filter((r) => r.action === 'login.failed' && r.actor !== 'admin')).toEqual([]);
    // the admin's wrong passwords are audited one by one: bounded by the throttle, a few per address
    expect(rows.filter((r) => r.action === 'login.failed').length).toBeLessThanOrEqual(15);
    expect(rows.filter((r) => r.action === 'user.lock')).toHaveLength(2);
  });
});

describe('MQTT logins go through the same throttle', () => {
  /** One CONNECT from `address`; resolves with the CONNACK's verdict. */
  function connectFrom(address: string, port: number, password: string): Promise<'ok' | string> {
    return new Promise((resolve) => {
      const client = new MqttClient(() => net.createConnection({ host: '127.0.0.1', port, localAddress: address }), {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
        username: 'ward-p07',
        password,
        clientId: 'ward-p07',
      });
      client.once('connect', () => client.end(true, () => resolve('ok')));
      client.once('error', (err) => client.end(true, () => resolve(err.message)));
    });
  }

  it('locks a ward\'s name for a guessing address after 5 wrong tokens, without scrypt, while the ward itself connects at once', async () => {
    const ward = testWard('p07');
    hub.reloadWards([{ id: 'p07', name: 'Phường 07', tokenHash: ward.tokenHash }] as HubConfig['wards']);
    const port = hub.listeners[0]!.port;
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await connectFrom('127.0.0.20', port, `not-the-token-${i}`));
    expect(answers.slice(0, 5).every((a) => /Bad username or password/i.test(a))).toBe(true);
    expect(answers.slice(5).every((a) => /Not authorized/i.test(a))).toBe(true);
    expect(await metric('wardwatch_login_checks_total{realm="mqtt"}')).toBe(5);
    expect(await metric('wardwatch_login_failures_total{realm="mqtt"}')).toBe(5);
    const started = performance.now();
    expect(await connectFrom('127.0.0.21', port, ward.token)).toBe('ok');
    expect(performance.now() - started).toBeLessThan(1500);
  });
});
