import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../shared/contract/index.js';
import { silentLogger } from '../../shared/log.js';
import { closed, connectWard, eventMessage, publishEvent, startTestHub, tempDir, testWard, type TestHub } from '../../testing/hub/test-support.js';
import { startBroker } from './broker.js';

const p07 = testWard('p07');
const p08 = testWard('p08');
const p09 = testWard('p09');

describe('broker: login and ACL against real MQTT clients', () => {
  let hub: TestHub;
  let good: MqttClient;

  beforeAll(async () => {
    hub = await startTestHub({ wards: [p07, p08, p09], maxPayloadBytes: 4096 });
    good = await connectWard(hub.port, { ward: p08 });
    await good.subscribeAsync(topics.commandFilter('p08'), { qos: 1 });
  });
  afterAll(async () => {
    await good?.endAsync();
    await hub?.close();
  });

  const refusedLogs = (pattern: RegExp) => hub.lines().filter((l) => l.refusal && pattern.test(String(l.reason)));

  it.each([
    ['a wrong password', { ward: p07, password: 'not-the-token' }, /wrong token for ward p07/],
    ['no password', { username: 'ward-p07', clientId: 'ward-p07' }, /ward p07 sent no password/],
    ['an unknown ward', { username: 'ward-p99', password: 'x', clientId: 'ward-p99' }, /unknown ward p99/],
    ['a username that is not a ward', { username: 'admin', password: 'x' }, /is not ward-<id>/],
    ['the client id of another ward', { ward: p07, clientId: 'ward-p08' }, /client id "ward-p08"/],
  ])('refuses a login with %s, and logs why', async (_name, options, reason) => {
    await expect(connectWard(hub.port, options)).rejects.toThrow(/Connection refused/);
    expect(refusedLogs(reason).length).toBeGreaterThan(0);
  });

  it.each([
    ['into another ward', 'wardwatch/v1/p09/events', /another ward's topic/],
    ['to $SYS', '$SYS/x', /not a contract topic/],
    ['to its own command topic', 'wardwatch/v1/p07/cmd/retrieve', /commands come from the hub/],
    ['outside the contract', 'wardwatch/v1/p07/secrets', /not a contract topic/],
  ])('drops a ward publishing %s, without storing it', async (_name, topic, reason) => {
    const client = await connectWard(hub.port, { ward: p07 });
    const gone = closed(client);
    client.publish(topic, JSON.stringify(eventMessage('p09')), { qos: 1 });
    await gone;
    client.end(true);
    const log = refusedLogs(reason).at(-1);
    expect(log).toMatchObject({ ward: 'p07', topic, refusal: 'publish' });
    expect(hub.store.db.prepare('SELECT count(*) AS n FROM incidents WHERE ward = ?').get('p09')).toEqual({ n: 0 });
  });

  it('drops a ward publishing more than maxPayloadBytes', async () => {
    const client = await connectWard(hub.port, { ward: p07 });
    const gone = closed(client);
    client.publish(topics.events('p07'), Buffer.alloc(5000, 0x20), { qos: 1 });
    await gone;
    client.end(true);
    expect(refusedLogs(/5000 bytes exceeds maxPayloadBytes 4096/).at(-1)).toMatchObject({ ward: 'p07', refusal: 'payloadSize' });
  });

  it.each([
    ['another ward\'s commands', 'wardwatch/v1/p09/cmd/#'],
    ['everything', '#'],
    ['every ward\'s commands', 'wardwatch/v1/+/cmd/#'],
    ['$SYS', '$SYS/#'],
    ['its own events', 'wardwatch/v1/p07/events'],
  ])('refuses a subscription to %s with SUBACK 0x80, keeping the connection', async (_name, filter) => {
    const client = await connectWard(hub.port, { ward: p07 });
    // mqtt.js turns a SUBACK failure code (0x80) into this error
    await expect(client.subscribeAsync(filter, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect(client.connected).toBe(true);
    await client.endAsync();
    expect(refusedLogs(new RegExp(`subscribe to "${filter.replace(/[$+]/g, '\\$&')}"`)).at(-1)).toMatchObject({ ward: 'p07', refusal: 'subscribe' });
  });

  it('keeps serving the good ward through all of it: its events are indexed, its commands delivered', async () => {
    expect(good.connected).toBe(true);
    const msg = eventMessage('p08');
    await publishEvent(good, msg);
    expect(await hub.store.getIncident(msg.event.id)).toMatchObject({ ward: 'p08', state: 'open' });
    const received = new Promise<string>((resolve) => good.once('message', (topic) => resolve(topic)));
    await hub.broker.publishCommand('p08', 'retrieve', { from: 1, to: 2 });
    expect(await received).toBe('wardwatch/v1/p08/cmd/retrieve');
    const { refusals } = hub.broker.stats();
    expect(refusals.login).toBeGreaterThanOrEqual(4);
    expect(refusals.clientId).toBe(1);
    expect(refusals.publish).toBe(4);
    expect(refusals.payloadSize).toBe(1);
    expect(refusals.subscribe).toBe(5);
  });

  it('accepts a client id with a suffix after ":"', async () => {
    const client = await connectWard(hub.port, { ward: p07, clientId: 'ward-p07:live' });
    expect(client.connected).toBe(true);
    await client.endAsync();
  });
});

describe('broker: token revocation and Last Will', () => {
  it('disconnects a ward whose token is revoked, refuses it after, and lets a re-issued token in', async () => {
    const hub = await startTestHub({ wards: [p07, p08] });
    try {
      const client = await connectWard(hub.port, { ward: p07 });
      const other = await connectWard(hub.port, { ward: p08 });
      const gone = closed(client);
      hub.broker.setWards([{ id: 'p07' }, p08]);
      await gone;
      client.end(true);
      expect(hub.broker.stats().refusals.revoked).toBe(1);
      await expect(connectWard(hub.port, { ward: p07 })).rejects.toThrow(/Connection refused/);
      expect(other.connected).toBe(true);

      // a new token: the old one (cached as verified) must not work any more
      const reissued = testWard('p07-new');
      hub.broker.setWards([{ id: 'p07', tokenHash: reissued.tokenHash }, p08]);
      await expect(connectWard(hub.port, { ward: p07 })).rejects.toThrow(/Connection refused/);
      const back = await connectWard(hub.port, { username: 'ward-p07', password: reissued.token, clientId: 'ward-p07' });
      expect(back.connected).toBe(true);
      await back.endAsync();
      await other.endAsync();
    } finally {
      await hub.close();
    }
  });

  it('publishes and indexes a ward\'s retained offline will when it vanishes', async () => {
    const hub = await startTestHub({ wards: [p07] });
    try {
      const will = { topic: topics.wardStatus('p07'), payload: Buffer.from(JSON.stringify({ state: 'offline', ward: 'p07' })), qos: 1 as const, retain: true };
      const client = await connectWard(hub.port, { ward: p07, will });
      client.stream.destroy(); // vanish without DISCONNECT
      await expect.poll(() => hub.store.db.prepare('SELECT state FROM box_status WHERE box_id = ?').get('p07'), { timeout: 5000 }).toEqual({ state: 'offline' });
      // and it is retained for whoever looks later
      const watcher = await connectWard(hub.port, { ward: p07 });
      expect(watcher.connected).toBe(true);
      await watcher.endAsync();
    } finally {
      await hub.close();
    }
  });
});

describe('broker: TLS listener', () => {
  it('serves wards over TLS with the configured certificate, on the real bound port', async () => {
    const dir = tempDir();
    const [cert, key] = [path.join(dir, 'hub.crt'), path.join(dir, 'hub.key')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=hub', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const broker = await startBroker({
      listeners: [{ type: 'tls', host: '127.0.0.1', port: 0, certFile: cert, keyFile: key }],
      maxPayloadBytes: 1024,
      wards: [p07],
      sink: { handle: () => Promise.resolve() },
      logger: silentLogger(),
    });
    try {
      const { port, type } = broker.listeners[0]!;
      expect(type).toBe('tls');
      expect(port).toBeGreaterThan(0);
      const client = await connectWard(port, { ward: p07, protocol: 'mqtts', ca: readFileSync(cert) });
      await client.publishAsync(topics.events('p07'), 'x', { qos: 1 });
      await client.endAsync();
      await expect(connectWard(port, { ward: p07, protocol: 'mqtts' })).rejects.toThrow(/self[- ]signed/);
    } finally {
      await broker.close();
    }
  });
});
