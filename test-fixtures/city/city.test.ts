// The city receiver holds the webhook contract: signatures, replay window, idempotency, and injected faults.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_HEADER, signAlert, signature, startCityReceiver, type CityReceiver } from './index.js';

const SECRET = 'city-secret-1';
const ALERT = { id: '01HZX', ward: 'ward-3', camera: 'gate-north', label: 'person', score: 0.91 };

let dir: string;
let city: CityReceiver;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'city-'));
  city = await startCityReceiver({ secret: SECRET, file: path.join(dir, 'alerts.jsonl'), slowMs: 400 });
});
afterEach(async () => {
  await city.stop();
  await rm(dir, { recursive: true, force: true });
});

interface Delivery {
  body?: string;
  key?: string | null;
  secret?: string;
  timestamp?: number;
  signal?: AbortSignal;
}

/** Posts one alert the way the hub's forwarder does; each field can be spoiled by a test. */
async function deliver(d: Delivery = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const body = d.body ?? JSON.stringify(ALERT);
  const headers = signAlert(d.secret ?? SECRET, body, d.timestamp);
  if (d.key !== null) headers[IDEMPOTENCY_HEADER] = d.key ?? 'forward-01HZX';
  const res = await fetch(city.url, { method: 'POST', headers, body, signal: d.signal });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('city receiver', () => {
  it('signs timestamp + "." + raw body with HMAC-SHA256 (known answer, from openssl)', () => {
    const body = '{"id":"01HZX","label":"person"}';
    const expected = 'sha256=5b386542e35025db95f79603d576d9d565d1660a7ff5c27c2416877f4c8030c0';
    expect(signature(SECRET, '1700000000', body)).toBe(expected);
    expect(signAlert(SECRET, body, 1700000000)).toMatchObject({
      'x-wardwatch-timestamp': '1700000000',
      'x-wardwatch-signature': expected,
    });
  });

  it('rejects a bad or missing signature with 401', async () => {
    expect(await deliver({ secret: 'not-the-secret' })).toEqual({ status: 401, json: { error: 'bad-signature' } });

    const body = JSON.stringify(ALERT);
    const tampered = await fetch(city.url, {
      method: 'POST',
      headers: { ...signAlert(SECRET, body), [IDEMPOTENCY_HEADER]: 'k' },
      body: body.replace('person', 'car'),
    });
    expect(tampered.status).toBe(401);

    const unsigned = await fetch(city.url, { method: 'POST', headers: { [IDEMPOTENCY_HEADER]: 'k' }, body });
    expect(unsigned.status).toBe(401);
    expect(city.alerts()).toEqual([]);
    expect(city.stats()).toMatchObject({ seen: 3, rejected: 3, accepted: 0 });
  });

  it('rejects a timestamp more than 300 s from now as a replay', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect(await deliver({ timestamp: now - 301 })).toEqual({ status: 401, json: { error: 'stale-timestamp' } });
    expect((await deliver({ timestamp: now + 301 })).status).toBe(401);
    expect((await deliver({ timestamp: now - 290 })).status).toBe(200);
  });

  it('records a good alert once even when it is delivered twice', async () => {
    expect(await deliver()).toEqual({ status: 200, json: { accepted: true } });
    expect(await deliver()).toEqual({ status: 200, json: { accepted: true, duplicate: true } });

    expect(city.alerts()).toHaveLength(1);
    expect(city.alerts()[0]).toMatchObject({ idempotencyKey: 'forward-01HZX', alert: ALERT });
    const lines = (await readFile(path.join(dir, 'alerts.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ idempotencyKey: 'forward-01HZX', alert: ALERT });
    expect(Date.parse(line.receivedAt as string)).toBeGreaterThan(Date.now() - 10_000);
    expect(city.stats()).toMatchObject({ seen: 2, accepted: 1, duplicates: 1 });
  });

  it('records two concurrent deliveries of one key once', async () => {
    const results = await Promise.all([deliver(), deliver(), deliver()]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(city.alerts()).toHaveLength(1);
  });

  it('answers 500 to the next five deliveries, then records the sixth once', async () => {
    city.failNext(5, '500');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await deliver()).status);
    expect(statuses).toEqual([500, 500, 500, 500, 500, 200]);
    expect(city.alerts()).toHaveLength(1);
    expect(city.stats()).toMatchObject({ seen: 6, failed: 5, accepted: 1 });
  });

  it('never answers in timeout mode, so a client with a 1 s timeout gives up', async () => {
    city.failNext(1, 'timeout');
    const started = Date.now();
    await expect(deliver({ signal: AbortSignal.timeout(1000) })).rejects.toThrow(/timeout|aborted/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(city.alerts()).toEqual([]);

    expect((await deliver()).status).toBe(200); // the fault is spent
    expect(city.alerts()).toHaveLength(1);
  });

  it('records a slow delivery even when the client gives up, so its retry is a duplicate', async () => {
    city.failNext(1, 'slow');
    await expect(deliver({ signal: AbortSignal.timeout(100) })).rejects.toThrow(/timeout|aborted/i);
    expect(await deliver()).toEqual({ status: 200, json: { accepted: true, duplicate: true } });
    expect(city.alerts()).toHaveLength(1);

    city.failNext(1, 'slow');
    const started = Date.now();
    expect((await deliver({ key: 'another' })).json).toEqual({ accepted: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });

  it('rejects bad JSON and a missing idempotency key with 400', async () => {
    expect(await deliver({ body: '{"id": "01HZX",' })).toEqual({ status: 400, json: { error: 'bad-json' } });
    expect(await deliver({ body: '[1,2]' })).toEqual({ status: 400, json: { error: 'bad-json' } });
    expect(await deliver({ key: null })).toEqual({ status: 400, json: { error: 'missing-idempotency-key' } });
    expect(city.alerts()).toEqual([]);
  });

  it('answers only POST /alerts', async () => {
    expect((await fetch(city.url)).status).toBe(405);
    expect((await fetch(city.url.replace('/alerts', '/other'), { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
