import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import type { IPublishPacket } from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../shared/db.js';
import { silentLogger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import { parseTopic, topics } from '../../shared/contract/index.js';
import { describeClip, newMsgId, Outbox } from './outbox.js';
import { uplinkTables } from './schema.js';
import { Uplink, type UplinkOptions } from './uplink.js';

interface TestBroker {
  port: number;
  received: IPublishPacket[];
  /** publishes as the hub would (a command to the ward) */
  publish(topic: string, payload: object, retain?: boolean): Promise<void>;
  close(): Promise<void>;
}

/**
 * A plain aedes broker on 127.0.0.1 that records what it acknowledges (the hub's ingest is tested in hub/).
 * aedes sends a QoS 1 PUBACK *before* its `published` hook runs, but only after `authorizePublish`
 * answers: so that is where a message must be recorded for "acknowledged" to mean "recorded".
 */
async function startBroker(port = 0, delayAckMs = 0): Promise<TestBroker> {
  const received: IPublishPacket[] = [];
  const broker = await Aedes.createBroker({
    authorizePublish: (client, packet, done) => {
      if (!client) return done(null);
      setTimeout(() => {
        received.push(packet);
        done(null);
      }, delayAckMs);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    publish: (topic, payload, retain = false) =>
      new Promise<void>((resolve, reject) => broker.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain, dup: false }, (err) => (err ? reject(err) : resolve()))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of Object.values((broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients)) c.conn.destroy();
        server.close(() => broker.close(() => resolve()));
      }),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function setup(port: number, options: Partial<UplinkOptions> = {}) {
  const db = openDb(path.join(mkdtempSync(path.join(tmpdir(), 'ww-uplink-')), 'edge.db'), uplinkTables, { durable: false });
  const outbox = new Outbox(db, 'p07');
  const uplink = new Uplink({
    outbox,
    ward: 'p07',
    url: `mqtt://127.0.0.1:${port}`,
    username: 'ward-p07',
    password: 'x',
    logger: silentLogger(),
    backoff: new Backoff({ initialMs: 100, maxMs: 300 }),
    status: () => ({ state: 'online', ward: 'p07' }),
    ...options,
  });
  cleanups.push(() => uplink.stop(), () => {
    db.close();
  });
  return { db, outbox, uplink };
}

function enqueueEvents(outbox: Outbox, n: number, from = 0): void {
  outbox.db.transaction(() => {
    for (let i = from; i < from + n; i++) outbox.enqueue(topics.events('p07'), { msgId: newMsgId(), n: i });
  })();
}

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const numbers = (b: TestBroker) =>
  b.received.filter((p) => parseTopic(p.topic)?.kind === 'events').map((p) => (JSON.parse(p.payload.toString()) as { n: number }).n);

describe('Uplink', () => {
  it('delivers the backlog in order and empties the outbox only as acks come', async () => {
    const broker = await startBroker(0, 2);
    cleanups.push(() => broker.close());
    const { outbox, uplink } = setup(broker.port);
    enqueueEvents(outbox, 1000);
    uplink.start();
    await until(() => outbox.depth() === 0);
    expect(numbers(broker)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(uplink.stats().inFlight).toBe(0);
    // the retained status went out too
    expect(broker.received.some((p) => p.topic === 'wardwatch/v1/p07/status' && p.retain)).toBe(true);
  });

  it('keeps messages while the hub is away and delivers them all when it comes back', async () => {
    const probe = await startBroker();
    const port = probe.port;
    await probe.close();
    const { outbox, uplink } = setup(port);
    uplink.start();
    enqueueEvents(outbox, 300);
    await new Promise((r) => setTimeout(r, 500));
    expect(outbox.depth()).toBe(300);
    const broker = await startBroker(port);
    cleanups.push(() => broker.close());
    await until(() => outbox.depth() === 0);
    expect(new Set(numbers(broker)).size).toBe(300);
  });

  it('sends the rows again that were in flight when the connection broke, and none is lost', async () => {
    const first = await startBroker(0, 20);
    const port = first.port;
    const { outbox, uplink } = setup(port);
    enqueueEvents(outbox, 2000);
    uplink.start();
    await until(() => first.received.length > 200);
    await first.close();
    const acked = 2000 - outbox.depth();
    const second = await startBroker(port);
    cleanups.push(() => second.close());
    await until(() => outbox.depth() === 0);
    const all = new Set([...numbers(first), ...numbers(second)]);
    expect(all.size).toBe(2000);
    expect(acked).toBeLessThan(2000);
  });

  it('sends a clip as a manifest then its chunks, which add up to the file', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const { outbox, uplink, db } = setup(broker.port);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-clip-')), 'clip.mp4');
    const bytes = randomBytes(1_000_000);
    writeFileSync(file, bytes);
    const eventId = newMsgId();
    const described = await describeClip(file);
    const manifest = db.transaction(() => outbox.enqueueClip({ ...described, eventId, camera: 'cam-01', start: 1, end: 2 }))();
    expect(manifest.chunks).toBe(4);
    uplink.start();
    await until(() => db.prepare('SELECT count(*) AS n FROM clip_uploads').pluck().get() === 0);
    const kinds = broker.received.filter((p) => p.topic.includes('/clips/')).map((p) => parseTopic(p.topic));
    expect(kinds[0]?.kind).toBe('clipManifest');
    const chunks = broker.received.filter((p) => parseTopic(p.topic)?.kind === 'clipChunk');
    const joined = Buffer.concat(chunks.sort((a, b) => (parseTopic(a.topic) as { index: number }).index - (parseTopic(b.topic) as { index: number }).index).map((p) => p.payload as Buffer));
    expect(createHash('sha256').update(joined).digest('hex')).toBe(manifest.sha256);
  });

  it('keeps at most chunkWindow clip chunks (256 KiB each) in flight, however wide the window', async () => {
    const broker = await startBroker(0, 30);
    cleanups.push(() => broker.close());
    const { outbox, uplink, db } = setup(broker.port, { window: 128, chunkWindow: 4 });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-clip-')), 'clip.mp4');
    writeFileSync(file, randomBytes(20 * 256 * 1024));
    db.transaction(() => outbox.enqueueClip({ ...describeSync(file), eventId: newMsgId(), camera: 'cam-01', start: 1, end: 2 }))();
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, uplink.stats().inFlight)), 1);
    cleanups.push(() => clearInterval(sampler));
    uplink.start();
    await until(() => db.prepare('SELECT count(*) AS n FROM clip_uploads').pluck().get() === 0);
    expect(broker.received.filter((p) => parseTopic(p.topic)?.kind === 'clipChunk')).toHaveLength(20);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('resumes a clip at the first chunk not acknowledged', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const { outbox, uplink, db } = setup(broker.port);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-clip-')), 'clip.mp4');
    writeFileSync(file, randomBytes(2_600_000));
    const eventId = newMsgId();
    db.transaction(() => outbox.enqueueClip({ ...describeSync(file), eventId, camera: 'cam-01', start: 1, end: 2 }))();
    // as if an earlier run had the manifest and chunks 0–5 acknowledged
    db.prepare('DELETE FROM outbox').run();
    db.prepare('UPDATE clip_uploads SET manifest_acked = 1, next_chunk = 6').run();
    uplink.start();
    await until(() => db.prepare('SELECT count(*) AS n FROM clip_uploads').pluck().get() === 0);
    const sent = broker.received.filter((p) => parseTopic(p.topic)?.kind === 'clipChunk').map((p) => (parseTopic(p.topic) as { index: number }).index);
    expect(sent.sort((a, b) => a - b)).toEqual([6, 7, 8, 9]);
  });
});

const ACK_ID = '01JDQ7A00000000000000000EF';
const msgIdsOf = (b: TestBroker, kind = 'events') =>
  b.received.filter((p) => parseTopic(p.topic)?.kind === kind).map((p) => (JSON.parse(p.payload.toString()) as { msgId: string }).msgId);

describe('Uplink with end-to-end acknowledgement (cmd/delivery says "ack")', () => {
  async function ackingHub(delay = 0): Promise<TestBroker> {
    const broker = await startBroker(0, delay);
    cleanups.push(() => broker.close());
    await broker.publish(topics.command('p07', 'delivery'), { msgId: ACK_ID, confirm: 'ack' }, true);
    return broker;
  }

  it('keeps each row after the broker\'s PUBACK until the hub\'s cmd/ack names it, and remembers the hub\'s word', async () => {
    const broker = await ackingHub();
    const { outbox, uplink } = setup(broker.port);
    enqueueEvents(outbox, 50);
    uplink.start();
    await until(() => msgIdsOf(broker).length === 50 && uplink.stats().awaitingHub === 50);
    expect(outbox.depth()).toBe(50);
    expect(uplink.stats().confirm).toBe('ack');
    expect(outbox.state('hubConfirm')).toBe('ack');
    const ids = msgIdsOf(broker);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: ids.slice(0, 30) });
    await until(() => outbox.depth() === 20);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: ids.slice(25) }); // 25–29 again: harmless
    await until(() => outbox.depth() === 0);
    expect(uplink.stats().awaitingHub).toBe(0);
  });

  it('sends again what the hub has not acked once the resend delay is over, then stops when the ack comes', async () => {
    const broker = await ackingHub();
    const { outbox, uplink } = setup(broker.port, { resend: { firstMs: 300, maxMs: 600 } });
    enqueueEvents(outbox, 10);
    uplink.start();
    await until(() => msgIdsOf(broker).length >= 20);
    expect(new Set(msgIdsOf(broker)).size).toBe(10);
    expect(uplink.stats().resends).toBeGreaterThanOrEqual(1);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: [...new Set(msgIdsOf(broker))] });
    await until(() => outbox.depth() === 0);
    const sent = msgIdsOf(broker).length;
    await new Promise((r) => setTimeout(r, 800));
    expect(msgIdsOf(broker).length).toBe(sent);
  });

  it('takes an ack that comes before the broker\'s PUBACK: nothing is left waiting, nothing is sent again', async () => {
    const broker = await ackingHub(400); // the broker holds each PUBACK back 400 ms
    const { outbox, uplink } = setup(broker.port, { resend: { firstMs: 300, maxMs: 300 } });
    enqueueEvents(outbox, 5);
    const ids = outbox.next(0, 10).map((r) => r.msg_id!);
    uplink.start();
    await until(() => uplink.stats().published === 5);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: ids });
    await until(() => outbox.depth() === 0);
    await until(() => uplink.stats().inFlight === 0);
    await new Promise((r) => setTimeout(r, 700));
    expect(uplink.stats()).toMatchObject({ awaitingHub: 0, resends: 0, published: 5 });
  });

  it('lets a clip\'s chunks go after the hub acks its manifest, and finishes the clip on the chunks\' acks', async () => {
    const broker = await ackingHub();
    const { outbox, uplink, db } = setup(broker.port);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-clip-')), 'clip.mp4');
    writeFileSync(file, randomBytes(3 * 256 * 1024 + 10));
    const eventId = newMsgId();
    const manifest = db.transaction(() => outbox.enqueueClip({ ...describeSync(file), eventId, camera: 'cam-01', start: 1, end: 2 }))();
    uplink.start();
    await until(() => msgIdsOf(broker, 'clipManifest').length === 1);
    await new Promise((r) => setTimeout(r, 300));
    // PUBACKed, not acked: no chunk may go yet
    expect(broker.received.filter((p) => parseTopic(p.topic)?.kind === 'clipChunk')).toHaveLength(0);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: [manifest.msgId] });
    await until(() => broker.received.filter((p) => parseTopic(p.topic)?.kind === 'clipChunk').length === 4);
    await new Promise((r) => setTimeout(r, 200));
    expect(db.prepare('SELECT count(*) FROM clip_uploads').pluck().get()).toBe(1);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: [], chunks: [{ eventId, n: [0, 1, 2, 3] }] });
    await until(() => db.prepare('SELECT count(*) FROM clip_uploads').pluck().get() === 0);
  });

  it('ignores a cmd/ack that fails its schema, naming the field', async () => {
    const broker = await ackingHub();
    const lines: string[] = [];
    const logger = silentLogger();
    const spy = Object.assign(Object.create(logger) as typeof logger, { warn: (_o: object, msg: string) => void lines.push(msg) });
    const { outbox, uplink } = setup(broker.port, { logger: spy });
    enqueueEvents(outbox, 3);
    uplink.start();
    await until(() => uplink.stats().awaitingHub === 3);
    await broker.publish(topics.command('p07', 'ack'), { msgId: ACK_ID, msgIds: ['not-a-ulid'] });
    await until(() => lines.some((l) => l.includes('msgIds.0')));
    expect(outbox.depth()).toBe(3);
  });

  it('goes back to leaving rows on PUBACK when the hub says "puback" (the embedded broker), sending what waited again', async () => {
    const broker = await ackingHub();
    const { outbox, uplink } = setup(broker.port);
    enqueueEvents(outbox, 5);
    uplink.start();
    await until(() => uplink.stats().awaitingHub === 5);
    await broker.publish(topics.command('p07', 'delivery'), { msgId: ACK_ID, confirm: 'puback' }, true);
    await until(() => outbox.depth() === 0);
    expect(new Set(msgIdsOf(broker)).size).toBe(5);
    expect(uplink.stats().confirm).toBe('puback');
  });
});

function describeSync(file: string) {
  const data = readFileSync(file);
  return { path: file, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
}
