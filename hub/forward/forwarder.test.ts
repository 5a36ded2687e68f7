import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { startCityReceiver, type CityReceiver } from '../../test-fixtures/city/index.js';
import { hubConfigSchema } from '../../shared/config/hub.js';
import { silentLogger } from '../../shared/log.js';
import { packageRoot } from '../../shared/package.js';
import { topics } from '../../shared/contract/index.js';
import { startHub } from '../main.js';
import { RetrievalStore } from '../retrieval/store.js';
import { resolveSharedClip } from '../share/shared-clip.js';
import { loadLinkKey } from '../share/link-key.js';
import { verifyClipLink } from '../share/link.js';
import { captureLogger, connectWard, eventMessage, FIXED_START, nextUlid, tempDir, testWard } from '../../testing/hub/test-support.js';
import type { Alert } from './alert.js';
import { createForwarder, ForwardError, type AuditFn, type Forwarder, type ForwardConfig } from './forwarder.js';
import { noiseJpeg, variance } from '../../testing/hub/forward/test-images.js';
import { forwardConfig, rule, SECRET, sendIncident, storeWithIngest, waitFor, webhook, type StoreWithIngest } from '../../testing/hub/forward/test-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function city(options: { secret?: string; slowMs?: number } = {}): Promise<CityReceiver> {
  const c = await startCityReceiver({ secret: options.secret ?? SECRET, slowMs: options.slowMs ?? 3000 });
  cleanups.push(() => c.stop());
  return c;
}

interface Rig extends StoreWithIngest {
  forwarder: Forwarder;
  lines: () => Record<string, unknown>[];
}

function rig(config: ForwardConfig, extra: { audit?: AuditFn; initialMs?: number; root?: string } = {}): Rig {
  const { logger, lines } = captureLogger();
  const s = storeWithIngest(logger, (ids) => forwarder.incidentsChanged(ids), extra.root);
  const forwarder = createForwarder({
    store: s.store,
    recordings: s.retrievals,
    config,
    linkKey: loadLinkKey(s.root),
    audit: extra.audit ?? (async () => undefined),
    logger,
    retry: { initialMs: extra.initialMs ?? 20, jitter: 0 },
  });
  const r = { ...s, forwarder, lines };
  cleanups.push(async () => {
    await r.forwarder.close();
    await s.close();
  });
  return r;
}

const alerts = (c: CityReceiver) => c.alerts().map((a) => ({ key: a.idempotencyKey, alert: a.alert as unknown as Alert }));

describe('the city forwarder', () => {
  it('sends one signed alert for an ended incident that matches a rule, through the running hub', async () => {
    const c = await city();
    const dir = tempDir();
    const p07 = testWard('p07');
    const config = {
      ...hubConfigSchema.parse({
        district: { name: 'Phú Nhuận' },
        storage: { root: path.join(dir, 'data') },
        broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
        wards: [{ id: 'p07', name: 'Phường 7', tokenHash: p07.tokenHash }],
        http: { host: '127.0.0.1', port: 0, publicUrl: 'https://hub.example.vn' },
        forward: { targets: [webhook(c.url)], rules: [rule({ id: 'cars', labels: ['car'], minScore: 0.7, zones: ['crossing'] })] },
      }),
      file: path.join(dir, 'hub.yaml'),
      secrets: new Map([['city-webhook', SECRET]]),
    };
    const audits: string[] = [];
    const hub = await startHub(config, { logger: silentLogger(), audit: async (_t, action) => void audits.push(action) });
    cleanups.push(() => hub.close());
    const ward = await connectWard(hub.listeners[0]!.port, { ward: p07 });
    cleanups.push(() => ward.endAsync());

    const publish = (m: ReturnType<typeof eventMessage>) => ward.publishAsync(topics.events('p07'), JSON.stringify(m), { qos: 1 });
    const car = eventMessage('p07', { type: 'start', topScore: 0.9 });
    const weak = eventMessage('p07', { type: 'start', topScore: 0.5 });
    await publish(car);
    await publish(weak);
    await publish(eventMessage('p07', { type: 'end', id: weak.event.id, topScore: 0.5 }));
    await hub.ingest.flush();
    await new Promise((r) => setTimeout(r, 200));
    expect(c.stats().seen).toBe(0); // the car has not ended; the weak one ended but matches no rule

    await publish(eventMessage('p07', { type: 'end', id: car.event.id, topScore: 0.9 }));
    await waitFor('the alert', () => c.stats().accepted === 1);
    await waitFor('the outbox to empty', async () => (await hub.forwarder.stats()).pending === 0);
    expect(c.stats()).toMatchObject({ seen: 1, accepted: 1, rejected: 0, duplicates: 0 }); // the receiver checked the signature
    const [got] = alerts(c);
    expect(got!.key).toBe(`${car.event.id}:city`);
    expect(got!.alert).toMatchObject({
      key: got!.key,
      district: 'Phú Nhuận',
      cause: { kind: 'rule', rules: ['cars'] },
      incident: { id: car.event.id, ward: 'p07', camera: 'cam-01', label: 'car', topScore: 0.9, zones: ['crossing'], box: car.event.box, end: FIXED_START + 14_000 },
      snapshot: null,
      clip: { state: 'none' },
    });
    const url = new URL(got!.alert.clip.url);
    expect(url.origin).toBe('https://hub.example.vn');
    expect(verifyClipLink(url.pathname, Date.now(), hub.linkKey)).toMatchObject({ ok: true, subject: { kind: 'incident', id: car.event.id } });
    expect(got!.alert.clip.expiresAt - Date.now()).toBeGreaterThan(71 * 3_600_000);
    expect((await hub.store.getIncident(car.event.id))!.forwarded).toBe(1);
    expect((await hub.store.getIncident(weak.event.id))!.forwarded).toBe(0);
    expect(audits).toEqual(['share']); // the rule's share, by the system
  });

  it('retries with growing delays, and the city records the alert once under one idempotency key', async () => {
    const c = await city({ slowMs: 1500 });
    const r = rig(forwardConfig([webhook(c.url, { timeoutSeconds: 1 })], [rule()]));
    // five failures, then an answer that comes too late: the city has it, the hub does not know yet
    c.failNext(5, '500');
    c.failNext(1, 'slow');
    const started = Date.now();
    const id = await sendIncident(r.ingest);
    await waitFor('delivery', async () => (await r.forwarder.stats()).delivered === 1);
    expect(c.stats()).toMatchObject({ seen: 7, failed: 5, accepted: 1, duplicates: 1, rejected: 0 });
    expect(alerts(c).map((a) => a.key)).toEqual([`${id}:city`]);
    const delays = r.lines().filter((l) => l.delayMs !== undefined).map((l) => l.delayMs);
    expect(delays).toEqual([20, 40, 80, 160, 320, 640]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 + 40 + 80 + 160 + 320 + 640 + 1000);
    expect(await r.forwarder.stats()).toMatchObject({ pending: 0, delivered: 1, dead: 0 });
  });

  it('keeps an alert the target refuses for good as a dead letter, with the status and the reason', async () => {
    const refusing = createServer((req, res) => {
      req.resume();
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"unknown-camera"}');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => refusing.close(() => resolve())));
    const c = await city({ secret: 'not-the-hubs-secret' });
    const r = rig(
      forwardConfig(
        [webhook(`http://127.0.0.1:${(refusing.address() as AddressInfo).port}/alerts`, { id: 'strict' }), webhook(c.url, { id: 'city' })],
        [rule({ target: 'strict' }), rule({ target: 'city' })],
      ),
    );
    const id = await sendIncident(r.ingest);
    await waitFor('two dead letters', async () => (await r.forwarder.stats()).dead === 2);
    const dead = (await r.forwarder.deadLetters()).sort((a, b) => a.target.localeCompare(b.target));
    expect(dead).toMatchObject([
      { key: `${id}:city`, incidentId: id, target: 'city', status: 401, reason: 'HTTP 401: bad-signature', attempts: 1, cause: 'rule', rules: ['all'] },
      { key: `${id}:strict`, incidentId: id, target: 'strict', status: 400, reason: 'HTTP 400: unknown-camera', attempts: 1 },
    ]);
    expect(await r.forwarder.stats()).toMatchObject({ pending: 0, delivered: 0 });
    expect(c.stats()).toMatchObject({ seen: 1, accepted: 0, rejected: 1 });
    // an operator can give one another go (here it fails the same way again)
    expect(await r.forwarder.retryDeadLetter(`${id}:city`)).toBe(true);
    await waitFor('the second refusal', async () => c.stats().seen === 2 && (await r.forwarder.stats()).dead === 2);
  });

  it('delivers a row that was pending when the process was SIGKILLed, after the restart', async () => {
    const c = await city();
    const root = tempDir('ww-fwd-kill-');
    // the incident ends while no forwarder runs; the first start queues it
    const s = storeWithIngest(silentLogger(), () => undefined, root);
    const id = await sendIncident(s.ingest);
    await s.close();

    c.failNext(1, 'timeout'); // the child's attempt hangs: it is killed with the row in flight
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot(), 'testing/hub/forward/kill-child.ts'), JSON.stringify({ root, url: c.url, timeoutSeconds: 60 })], {
      cwd: packageRoot(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    cleanups.push(() => void child.kill('SIGKILL'));
    await new Promise<void>((resolve) => createInterface({ input: child.stdout }).once('line', () => resolve()));
    await waitFor('the child to try', () => c.stats().seen === 1);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(c.stats().accepted).toBe(0);

    const r = rig(forwardConfig([webhook(c.url)], [rule()]), { root });
    await waitFor('delivery after the restart', async () => (await r.forwarder.stats()).delivered === 1);
    expect(alerts(c).map((a) => a.key)).toEqual([`${id}:city`]);
    expect(c.stats()).toMatchObject({ seen: 2, accepted: 1, duplicates: 0 });
  });

  it('blurs the person in a forwarded snapshot, and audits an operator\'s unblurred share', async () => {
    const c = await city();
    const audits: [string, Record<string, unknown>][] = [];
    let auditWorks = true;
    const audit: AuditFn = async (_t, action, detail) => {
      if (!auditWorks) throw new Error('audit log is down');
      audits.push([action, detail]);
    };
    const r = rig(forwardConfig([webhook(c.url)], [rule({ labels: ['person'] })]), { audit });
    const jpeg = await noiseJpeg(320, 180);
    const box = { x: 0.4, y: 0.3, w: 0.1, h: 0.4 };
    const inBox = { left: 128, top: 54, width: 32, height: 72 };
    const id = await sendIncident(r.ingest, { label: 'person', box, snapshot: { jpeg, with: 'end' } });
    // a snapshot taken earlier than the box we know of: the person may be anywhere in it
    const early = await sendIncident(r.ingest, { label: 'person', box, snapshot: { jpeg, with: 'start' } });
    await waitFor('two alerts', () => c.stats().accepted === 2);

    const byKey = new Map(alerts(c).map((a) => [a.key, a.alert]));
    const blurred = byKey.get(`${id}:city`)!.snapshot!;
    expect(blurred.blur).toBe('persons');
    const before = await variance(jpeg, inBox);
    expect(await variance(Buffer.from(blurred.jpeg, 'base64'), inBox)).toBeLessThan(before / 20);
    expect(byKey.get(`${early}:city`)!.snapshot!.blur).toBe('whole');

    auditWorks = false;
    await expect(r.forwarder.forwardIncident(id, { by: 'op-lan', unblurred: true })).rejects.toMatchObject({ code: 'AUDIT_FAILED' });
    expect((await r.forwarder.stats()).pending).toBe(0);
    auditWorks = true;

    const shared = await r.forwarder.forwardIncident(id, { by: 'op-lan', unblurred: true, note: 'case 2025-114' });
    expect(shared).toEqual([{ target: 'city', key: `${id}:city:unblurred`, state: 'queued' }]);
    expect(audits.at(-1)).toEqual(['share', expect.objectContaining({ actor: 'op-lan', incidentId: id, unblurred: true, note: 'case 2025-114', keys: [`${id}:city:unblurred`] })]);
    expect(audits.filter(([, d]) => d.actor === 'system')).toHaveLength(2); // the two rule shares
    await waitFor('the unblurred alert', () => c.stats().accepted === 3);
    const clear = alerts(c).find((a) => a.key === `${id}:city:unblurred`)!.alert;
    expect(clear.cause).toEqual({ kind: 'share', by: 'op-lan', note: 'case 2025-114' });
    expect(clear.snapshot!.blur).toBe('none');
    expect(await variance(Buffer.from(clear.snapshot!.jpeg, 'base64'), inBox)).toBeGreaterThan(before * 0.8);

    // sharing what the city already has queues nothing new; an unknown incident or target is a clear error
    expect(await r.forwarder.forwardIncident(id, { by: 'op-lan' })).toEqual([{ target: 'city', key: `${id}:city`, state: 'delivered' }]);
    await expect(r.forwarder.forwardIncident('01KAXG4Z7M5P2V8N3Q6R9T0W1Y', { by: 'op-lan' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(r.forwarder.forwardIncident(id, { by: 'op-lan', targets: ['police'] })).rejects.toThrow(ForwardError);
  });

  it('shares a recording retrieved from a ward by a signed link, once it is at the hub, audited; never by a rule', async () => {
    const c = await city();
    const audits: [string, Record<string, unknown>][] = [];
    const r = rig(forwardConfig([webhook(c.url)], [rule()]), { audit: async (_t, action, detail) => void audits.push([action, detail]) });
    const recordings = new RetrievalStore(r.store.sql);
    const ready = nextUlid();
    const onItsWay = nextUlid();
    for (const id of [ready, onItsWay]) await recordings.create(r.store.sql, { id, ward: 'p07', camera: 'cam-02', from: FIXED_START, to: FIXED_START + 60_000, requestedBy: 'op-lan' }, Date.now());
    await recordings.clipPresent(r.store.sql, ready, 'p07', 'clips/p07/r.mp4', 'cd'.repeat(32), Date.now());

    await expect(r.forwarder.forwardRecording(onItsWay, { by: 'op-lan' })).rejects.toMatchObject({ code: 'NOT_READY', message: expect.stringContaining('not at the hub (state: requested)') });
    await expect(r.forwarder.forwardRecording(nextUlid(), { by: 'op-lan' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(r.forwarder.forwardRecording(ready, { by: ' ' })).rejects.toMatchObject({ code: 'BAD_SHARE' });
    expect(audits).toEqual([]); // refusals queue and audit nothing

    const shared = await r.forwarder.forwardRecording(ready, { by: 'op-lan', note: 'theft at the market, 08:10' });
    expect(shared).toEqual([{ target: 'city', key: `recording:${ready}:city`, state: 'queued' }]);
    expect(audits).toEqual([['share', expect.objectContaining({ actor: 'op-lan', subject: 'recording', retrievalId: ready, ward: 'p07', camera: 'cam-02', keys: [`recording:${ready}:city`] })]]);
    await waitFor('the recording alert', () => c.stats().accepted === 1);
    const got = alerts(c)[0]!;
    expect(got.key).toBe(`recording:${ready}:city`);
    expect(got.alert).toMatchObject({
      version: 1,
      subject: 'recording',
      cause: { kind: 'share', by: 'op-lan', note: 'theft at the market, 08:10' },
      recording: { id: ready, ward: 'p07', camera: 'cam-02', from: FIXED_START, to: FIXED_START + 60_000, requestedBy: 'op-lan', sha256: 'cd'.repeat(32) },
      snapshot: null,
      clip: { state: 'present' },
    });
    expect(got.alert).not.toHaveProperty('incident');
    // the link opens this recording and nothing else
    const link = new URL(got.alert.clip.url).pathname;
    expect(verifyClipLink(link, Date.now(), loadLinkKey(r.root))).toMatchObject({ ok: true, subject: { kind: 'recording', id: ready } });
    expect(await resolveSharedClip(r.store, recordings, link, Date.now(), loadLinkKey(r.root))).toMatchObject({ ok: true, file: r.store.resolve('clips/p07/r.mp4') });
    // the rules never looked at it, and sharing again sends nothing new
    expect(await r.forwarder.stats()).toMatchObject({ pending: 0, delivered: 1 });
    expect(await r.forwarder.forwardRecording(ready, { by: 'op-lan' })).toEqual([{ target: 'city', key: `recording:${ready}:city`, state: 'delivered' }]);
  });

  it('keeps a recording share as a dead letter when retention removed the recording before it could leave', async () => {
    const c = await city();
    c.failNext(1, '500');
    const r = rig(forwardConfig([webhook(c.url)], []), { initialMs: 300 });
    const recordings = new RetrievalStore(r.store.sql);
    const id = nextUlid();
    await recordings.create(r.store.sql, { id, ward: 'p07', camera: 'cam-02', from: FIXED_START, to: FIXED_START + 60_000, requestedBy: 'op-lan' }, Date.now());
    await recordings.clipPresent(r.store.sql, id, 'p07', 'clips/p07/r.mp4', 'cd'.repeat(32), Date.now());
    await r.forwarder.forwardRecording(id, { by: 'op-lan' });
    await waitFor('the first refusal', () => c.stats().failed === 1);
    await recordings.expire(r.store.sql, id, Date.now());
    await waitFor('a dead letter', async () => (await r.forwarder.stats()).dead === 1);
    expect(await r.forwarder.deadLetters()).toEqual([expect.objectContaining({ key: `recording:${id}:city`, subject: { kind: 'recording', id }, incidentId: null, reason: 'the retrieved recording is removed by retention' })]);
    expect(c.stats().accepted).toBe(0);
  });
});
