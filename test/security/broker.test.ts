// The hub's broker against a hostile network: raw MQTT bytes over real sockets on 127.0.0.1, the real broker (and,
// for memory, the real `wardwatch hub` process), legitimate wards through mqtt.js as the boxes use it.
import { once } from 'node:events';
import net from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker, type IncomingMessage } from '../../hub/broker/broker.js';
import { captureLogger, connectWard, tempDir, testWard } from '../../testing/hub/test-support.js';
import { topics } from '../../shared/contract/index.js';
import { randomToken } from '../../shared/scrypt.js';
import { rssMb, sleep, startHubProcess, writeHubConfig, type HubChild } from '../uplink/processes.js';
import { fixedHeader, MAX_VARINT, stream } from './raw-mqtt.js';

const p07 = testWard('p07');
const p09 = testWard('p09');
const MiB = 1024 * 1024;
const EVENT_ID = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';

// --- a raw MQTT 3.1.1 packet builder: fixed header + varint, and just enough of CONNECT and PUBLISH ---


function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function connectPacket(o: { clientId: string; username?: string; password?: string }): Buffer {
  const flags = (o.username !== undefined ? 0x80 : 0) | (o.password !== undefined ? 0x40 : 0) | 0x02; // clean session
  const body = Buffer.concat([utf8('MQTT'), Buffer.from([4, flags, 0, 60]), utf8(o.clientId), ...(o.username !== undefined ? [utf8(o.username)] : []), ...(o.password !== undefined ? [utf8(o.password)] : [])]);
  return Buffer.concat([fixedHeader(1, 0, body.length), body]);
}

/** A QoS 1 PUBLISH's header, topic and packet id: `payloadBytes` more are declared to follow. */
const publishHead = (topic: string, payloadBytes: number, messageId = 1) =>
  Buffer.concat([fixedHeader(3, 0x02, 2 + Buffer.byteLength(topic) + 2 + payloadBytes), utf8(topic), Buffer.from([messageId >> 8, messageId & 0xff])]);

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

interface Raw {
  socket: net.Socket;
  /** everything the broker sent */
  received: () => Buffer;
  closed: Promise<void>;
  isClosed: () => boolean;
  /** when the TCP connection was up, and when it closed (performance.now()) */
  openedAt: number;
  closedAt: () => number | undefined;
}

async function openRaw(port: number): Promise<Raw> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let closedAt: number | undefined;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => {}); // EPIPE / ECONNRESET when the broker closes on us: expected
  const closed = new Promise<void>((resolve) => socket.once('close', () => ((closedAt = performance.now()), resolve())));
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks), closed, isClosed: () => closedAt !== undefined, openedAt: performance.now(), closedAt: () => closedAt };
}

/** A raw connection logged in as `ward` (CONNACK 0 received). */
async function loginRaw(port: number, ward = p07): Promise<Raw> {
  const raw = await openRaw(port);
  raw.socket.write(connectPacket({ clientId: `ward-${ward.id}`, username: `ward-${ward.id}`, password: ward.token }));
  await until(() => raw.received().subarray(0, 4).equals(CONNACK_OK), 'CONNACK', 10_000);
  return raw;
}

async function until(fn: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves with how long the socket took to close, or rejects after `timeoutMs`. */
async function closesWithin(raw: Raw, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([raw.closed, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs)))]).finally(() => clearTimeout(timer));
  return performance.now() - started;
}

interface TestBroker {
  broker: Broker;
  port: number;
  lines: () => Record<string, unknown>[];
  received: IncomingMessage[];
  close(): Promise<void>;
}

async function startTestBroker(o: { maxPayloadBytes?: number; connectTimeoutSeconds?: number; maxUnauthenticatedPerAddress?: number } = {}): Promise<TestBroker> {
  const { logger, lines } = captureLogger();
  const received: IncomingMessage[] = [];
  const broker = await startBroker({
    listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
    maxPayloadBytes: o.maxPayloadBytes ?? MiB,
    connectTimeoutSeconds: o.connectTimeoutSeconds ?? 60,
    maxUnauthenticatedPerAddress: o.maxUnauthenticatedPerAddress ?? 32,
    wards: [p07, p09],
    sink: { handle: (m) => (received.push(m), Promise.resolve()) },
    logger,
  });
  return { broker, port: broker.listeners[0]!.port, lines, received, close: () => broker.close() };
}

const refusals = (t: TestBroker, kind: string) => t.lines().filter((l) => l.refusal === kind);

describe('declared packet sizes, judged before anything is buffered', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ maxPayloadBytes: 64 * 1024 });
  });
  afterAll(() => t?.close());

  it('closes a socket whose CONNECT declares 256 MiB after its first five bytes, without waiting for the login deadline', async () => {
    const raw = await openRaw(t.port);
    raw.socket.write(fixedHeader(1, 0, MAX_VARINT)); // 5 bytes, and nothing after them
    await closesWithin(raw, 10_000); // the login deadline of this broker is 60 s
    expect(raw.received().length).toBe(0); // no CONNACK: aedes never saw the packet
    expect(refusals(t, 'packetSize').at(-1)).toMatchObject({ address: '127.0.0.1', reason: `CONNECT declares ${MAX_VARINT} bytes: at most 65536 bytes may come before login` });
  });

  it('closes a socket whose first packet is not a CONNECT', async () => {
    const raw = await openRaw(t.port);
    raw.socket.write(publishHead(topics.events('p07'), 10));
    await closesWithin(raw, 10_000);
    expect(refusals(t, 'packetSize').at(-1)).toMatchObject({ reason: 'first packet is PUBLISH, not CONNECT' });
  });

  it('keeps reading each packet of a logged-in ward: back-to-back PUBLISHes pass, one declaring more than maxPayloadBytes is closed before it is read', async () => {
    const raw = await loginRaw(t.port);
    const before = t.received.length;
    // three PUBLISHes in one write, the last split across two writes
    const publish = (id: number, bytes: number) => Buffer.concat([publishHead(topics.events('p07'), bytes, id), Buffer.alloc(bytes, 0x20)]);
    const burst = Buffer.concat([publish(1, 100), publish(2, 60_000), publish(3, 3000)]);
    raw.socket.write(burst.subarray(0, burst.length - 1000));
    await sleep(50);
    raw.socket.write(burst.subarray(burst.length - 1000));
    await until(() => t.received.length === before + 3, 'three messages at the sink', 10_000);

    raw.socket.write(publishHead(topics.events('p07'), 100 * MiB, 4));
    const written = await stream(raw, 20 * MiB);
    expect(raw.isClosed()).toBe(true);
    expect(written).toBeLessThan(20 * MiB);
    expect(t.received.length).toBe(before + 3);
    expect(refusals(t, 'packetSize').at(-1)).toMatchObject({ ward: 'p07', reason: `PUBLISH declares ${2 + topics.events('p07').length + 2 + 100 * MiB} bytes: more than maxPayloadBytes 65536 + 1024 for its topic` });
  });

  it('refuses an oversized PUBLISH from mqtt.js the same way, and the ward can come back', async () => {
    const client = await connectWard(t.port, { ward: p07 });
    const gone = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topics.events('p07'), Buffer.alloc(2 * MiB), { qos: 1 });
    await gone;
    client.end(true);
    expect(t.broker.stats().refusals.packetSize).toBeGreaterThanOrEqual(3);
    const again = await connectWard(t.port, { ward: p07 });
    await again.publishAsync(topics.events('p07'), 'fine', { qos: 1 });
    await again.endAsync();
  });
});

describe('memory of the real hub process under oversized packets', () => {
  let hub: HubChild;
  beforeAll(async () => {
    const dir = tempDir('ww-security-');
    hub = startHubProcess(writeHubConfig(dir, [p07]));
    await hub.port;
  });
  afterAll(() => hub?.kill());

  it('grows by less than 50 MB while 20 sockets each stream 50 MiB behind a CONNECT declaring 256 MiB', async () => {
    const port = await hub.port;
    const pid = hub.child.pid!;
    // warm up what a connection costs the first time (code paths, buffers), then measure
    const warm = await connectWard(port, { ward: p07 });
    await warm.endAsync();
    const probe = await openRaw(port);
    probe.socket.write(fixedHeader(1, 0, MAX_VARINT));
    await closesWithin(probe, 10_000);
    await sleep(1000);
    const baseline = rssMb(pid)!;

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid) ?? 0)), 25);
    const started = performance.now();
    const attacks = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const raw = await openRaw(port);
        raw.socket.write(fixedHeader(1, 0, MAX_VARINT));
        const written = await stream(raw, 50 * MiB);
        await closesWithin(raw, 10_000);
        return written;
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    await sleep(500);
    clearInterval(sampler);
    peak = Math.max(peak, rssMb(pid)!);
    const growth = peak - baseline;
    console.log(`hub RSS: ${baseline.toFixed(1)} MB before, ${peak.toFixed(1)} MB at most during 20 sockets declaring 256 MiB (growth ${growth.toFixed(1)} MB); the attackers wrote ${(attacks.reduce((a, b) => a + b, 0) / MiB).toFixed(1)} MiB in all before the hub closed them, in ${seconds.toFixed(2)} s`);
    for (const written of attacks) expect(written).toBeLessThan(50 * MiB);
    expect(growth).toBeLessThan(50);
    // and the hub still serves wards
    const after = await connectWard(port, { ward: p07 });
    await after.publishAsync(topics.events('p07'), 'x', { qos: 1 });
    await after.endAsync();
  });
});

describe('login deadline and logins per address', () => {
  it('closes a connection that has not logged in within connectTimeoutSeconds, and leaves a logged-in ward alone', async () => {
    const t = await startTestBroker({ connectTimeoutSeconds: 1 });
    try {
      const ward = await connectWard(t.port, { ward: p07 });
      const silent = await openRaw(t.port);
      const partial = await openRaw(t.port);
      partial.socket.write(connectPacket({ clientId: 'ward-p09', username: 'ward-p09', password: p09.token }).subarray(0, 20));
      await Promise.all([closesWithin(silent, 15_000), closesWithin(partial, 15_000)]);
      // the deadline starts when the hub accepts, which is no earlier than the client sees the connection
      expect(silent.closedAt()! - silent.openedAt).toBeGreaterThan(900);
      expect(partial.closedAt()! - partial.openedAt).toBeGreaterThan(900);
      expect(refusals(t, 'loginTimeout')).toHaveLength(2);
      expect(refusals(t, 'loginTimeout')[0]).toMatchObject({ address: '127.0.0.1', reason: 'no login within 1 s (broker.connectTimeoutSeconds)' });
      await sleep(500);
      expect(ward.connected).toBe(true);
      await ward.publishAsync(topics.events('p07'), 'still here', { qos: 1 });
      await ward.endAsync();
    } finally {
      await t.close();
    }
  });

  it('refuses the 4th connection from an address while 3 are logging in, and takes one again when a slot frees', async () => {
    const t = await startTestBroker({ maxUnauthenticatedPerAddress: 3 });
    try {
      const loggedIn = await connectWard(t.port, { ward: p09 }); // logged in: not counted
      const pending = [await openRaw(t.port), await openRaw(t.port), await openRaw(t.port)];
      const fourth = await openRaw(t.port);
      await closesWithin(fourth, 10_000);
      const fifth = await openRaw(t.port); // would be a ward's login: refused too while the 3 hold their slots
      fifth.socket.write(connectPacket({ clientId: 'ward-p07', username: 'ward-p07', password: p07.token }));
      await closesWithin(fifth, 10_000);
      expect(fifth.received().length).toBe(0);
      await sleep(300);
      expect(pending.map((r) => r.isClosed())).toEqual([false, false, false]);
      expect(refusals(t, 'loginsPerAddress')).toHaveLength(1); // a flood is one line while it lasts

      pending[0]!.socket.destroy();
      await pending[0]!.closed;
      let ward: MqttClient | undefined;
      await until(() => t.broker.stats().refusals.loginsPerAddress >= 2 && refusals(t, 'loginsPerAddress').length === 2, 'the flood summary', 10_000);
      for (let i = 0; i < 50 && !ward; i++) ward = await connectWard(t.port, { ward: p07 }).catch(() => sleep(100).then(() => undefined));
      expect(ward?.connected).toBe(true);
      expect(refusals(t, 'loginsPerAddress')[1]).toMatchObject({ reason: '1 more connections from 127.0.0.1 were refused while 3 were logging in' });
      expect(t.broker.stats().refusals.loginsPerAddress).toBe(2);
      expect(loggedIn.connected).toBe(true);
      await ward?.endAsync();
      await loggedIn.endAsync();
      for (const r of pending) r.socket.destroy();
    } finally {
      await t.close();
    }
  });
});

describe('retained messages', () => {
  it('keeps status retained; other retained publishes reach ingest with the flag cleared, and are logged once', async () => {
    const t = await startTestBroker({ maxPayloadBytes: 2 * MiB });
    try {
      const ward = await connectWard(t.port, { ward: p07 });
      const status = JSON.stringify({ state: 'online', ward: 'p07' });
      await ward.publishAsync(topics.wardStatus('p07'), status, { qos: 1, retain: true });
      await ward.publishAsync(topics.cameraStatus('p07', 'cam-01'), '{"camera":"cam-01"}', { qos: 1, retain: true });
      // what the attack run did: many retained megabytes on the ward's other topics
      const before = t.received.length;
      for (let i = 0; i < 30; i++) await ward.publishAsync(topics.clipChunk('p07', EVENT_ID, i), Buffer.alloc(MiB, i), { qos: 1, retain: true });
      await ward.publishAsync(topics.events('p07'), '{"x":1}', { qos: 1, retain: true });
      // and a status too large to be one
      await ward.publishAsync(topics.cameraStatus('p07', 'cam-02'), Buffer.alloc(20 * 1024, 0x20), { qos: 1, retain: true });
      expect(t.received.length).toBe(before + 32);

      await sleep(200);
      const held = await t.broker.retained();
      expect(held.sort((a, b) => a.topic.localeCompare(b.topic))).toEqual([
        { topic: topics.cameraStatus('p07', 'cam-01'), bytes: 19 },
        { topic: topics.wardStatus('p07'), bytes: status.length },
      ]);
      expect(t.broker.stats().refusals.retain).toBe(32);
      expect(refusals(t, 'retain')).toHaveLength(1);
      expect(refusals(t, 'retain')[0]).toMatchObject({ ward: 'p07', reason: expect.stringMatching(/only status topics are retained; delivered without retain/) });
      expect(ward.connected).toBe(true);
      await ward.endAsync();
    } finally {
      await t.close();
    }
  });
});

describe('what the broker logs', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker();
  });
  afterAll(() => t?.close());

  it('never logs a token typed into the username', async () => {
    await expect(connectWard(t.port, { username: p07.token, password: p07.token, clientId: 'ward-p07' })).rejects.toThrow(/Connection refused/);
    const realToken = randomToken(); // what `provision credentials issue` makes: 43 characters of base64url
    await expect(connectWard(t.port, { username: realToken, password: realToken, clientId: 'ward-p07' })).rejects.toThrow(/Connection refused/);
    await expect(connectWard(t.port, { username: `ward-${realToken}`, password: realToken, clientId: 'ward-p07' })).rejects.toThrow(/Connection refused/);
    const raw = await openRaw(t.port);
    raw.socket.write(connectPacket({ clientId: 'x', username: p07.token }));
    await closesWithin(raw, 10_000);
    const logged = JSON.stringify(t.lines());
    expect(refusals(t, 'login').length).toBeGreaterThanOrEqual(4);
    expect(refusals(t, 'login')[0]).toMatchObject({ username: '***', reason: `username (${p07.token.length} characters, not logged) is not ward-<id>` });
    for (const token of [p07.token, realToken]) {
      expect(logged).not.toContain(token);
      expect(logged).not.toContain(token.slice(0, 12));
    }
  });

  it('logs a SUBSCRIBE of 200 refused filters as one line with the count and the first few', async () => {
    const ward = await connectWard(t.port, { ward: p07 });
    const filters = Array.from({ length: 200 }, (_, i) => `f/${i}`);
    const linesBefore = refusals(t, 'subscribe').length;
    const countBefore = t.broker.stats().refusals.subscribe;
    await expect(ward.subscribeAsync(filters, { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await sleep(100);
    const lines = refusals(t, 'subscribe').slice(linesBefore);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ ward: 'p07', filterCount: 200, filters: ['f/0', 'f/1', 'f/2'] });
    expect(String(lines[0]!.reason)).toMatch(/^subscribe to "f\/0": outside wardwatch\/v1\/p07\/cmd\/#; .*\(and 197 more filters\)$/);
    expect(t.broker.stats().refusals.subscribe - countBefore).toBe(200);
    expect(ward.connected).toBe(true);
    await ward.endAsync();
  });

  it('closes a SUBSCRIBE of 20 000 filters at its header: one line, not 20 000', async () => {
    const ward = await connectWard(t.port, { ward: p07 });
    const linesBefore = t.lines().length;
    const gone = new Promise<void>((resolve) => ward.once('close', () => resolve()));
    ward.subscribe(Array.from({ length: 20_000 }, (_, i) => `f/${i}`), { qos: 1 }, () => {});
    await gone;
    ward.end(true);
    await sleep(100);
    const lines = t.lines().slice(linesBefore).filter((l) => l.refusal);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ refusal: 'packetSize', ward: 'p07', reason: expect.stringMatching(/^SUBSCRIBE declares \d+ bytes: more than 4096$/) });
  });
});
