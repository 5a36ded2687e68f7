// External broker mode against Debian's Mosquitto 2: the ACL and password files `provision` writes keep each ward to
// its own topics (the embedded broker's table), and two hub ingest processes in one shared group split the wards'
// messages, each acking what it committed, so the box's outbox empties with every message stored once.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/wardwatch.js';
import { openEdgeDb } from '../../edge/db.js';
import { newMsgId, Outbox } from '../../edge/uplink/outbox.js';
import { Uplink } from '../../edge/uplink/uplink.js';
import { connectExternalBroker } from '../../hub/broker/external.js';
import { createIngest } from '../../hub/ingest/ingest.js';
import { openHubStore } from '../../hub/store/store.js';
import { retrievalStore } from '../../testing/hub/test-support.js';
import { Backoff } from '../../shared/backoff.js';
import { topics, type EventMessage } from '../../shared/contract/index.js';
import { silentLogger } from '../../shared/log.js';
import { startExternalHub } from './external-hub.js';
import { findMosquitto, freePort, mosquitto, type Mosquitto } from './mosquitto.js';

const found = findMosquitto();
if ('missing' in found) console.log(`skipped: external broker tests: ${found.missing}`);

const HUB_PASSWORD = 'hub-password-0123456789';
const RETRIEVE = { msgId: '01JDQ7A00000000000000000EF', requestId: '01JDQ7A0000000000000000RQ1', camera: 'cam-01', from: 1000, to: 61_000, requestedBy: 'lan' };

async function cli(...args: string[]) {
  const out: string[] = [];
  const code = await main(['provision', ...args], { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join('\n') };
}

async function client(port: number, username: string, password: string, clientId: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username, password, clientId, protocolVersion, reconnectPeriod: 0, connectTimeout: 5000 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf('missing' in found)('external broker mode on Mosquitto 2', () => {
  let dir: string;
  let broker: Mosquitto;
  let port: number;
  let hubYaml: string;
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ww-mosquitto-'));
    port = await freePort();
    writeFileSync(path.join(dir, 'secrets.yaml'), `broker-password: ${HUB_PASSWORD}\n`, { mode: 0o600 });
    hubYaml = path.join(dir, 'hub.yaml');
    writeFileSync(
      hubYaml,
      `district: { name: Mosquitto test }
storage: { root: ${path.join(dir, 'hub-data')} }
broker:
  mode: external
  external: { url: 'mqtt://127.0.0.1:${port}', username: wardwatch-hub, passwordSecret: broker-password }
wards:
  - { id: p07, name: Phường 7 }
  - { id: p08, name: Phường 8 }
`,
    );
    const passwd = path.join(dir, 'wardwatch.passwd');
    // as an installer does it: a token per ward (its line into Mosquitto's password file), then the ACL and the hub's login
    for (const ward of ['p07', 'p08']) {
      const secrets = path.join(dir, `${ward}-secrets.yaml`);
      const issued = await cli('credentials', 'issue', '--ward', ward, '--hub-config', hubYaml, '--edge-secrets', secrets, '--mosquitto-passwd', passwd);
      expect(issued.code, issued.out).toBe(0);
      tokens.set(ward, /^hub-token: (\S+)$/m.exec(readFileSync(secrets, 'utf8'))![1]!);
    }
    const written = await cli('mosquitto', '--hub-config', hubYaml, '--dir', dir);
    expect(written.code, written.out).toBe(0);
    expect(written.out).not.toContain('without a broker login');
    broker = mosquitto({ binary: (found as { path: string }).path, dir, port, passwordFile: passwd, aclFile: path.join(dir, 'wardwatch.acl'), autosaveSeconds: 60 });
    await broker.start();
  });

  afterAll(async () => {
    await broker?.kill();
  });

  it('refuses a wrong token, keeps each ward to its own topics and commands, and lets the hub read and command them all', async () => {
    await expect(client(port, 'ward-p07', 'wrong-token', 'ward-p07')).rejects.toThrow(/Not authorized|Bad username or password/i);

    const hub = await client(port, 'wardwatch-hub', HUB_PASSWORD, 'hub-acl-check', 5);
    const p07 = await client(port, 'ward-p07', tokens.get('p07')!, 'ward-p07');
    const p08 = await client(port, 'ward-p08', tokens.get('p08')!, 'ward-p08');
    try {
      const atHub: string[] = [];
      hub.on('message', (t) => atHub.push(t));
      await hub.subscribeAsync('wardwatch/v1/#', { qos: 1 });
      const atP08: string[] = [];
      p08.on('message', (t) => atP08.push(t));
      await p08.subscribeAsync([topics.commandFilter('p08'), topics.commandFilter('p07'), 'wardwatch/v1/#'], { qos: 1 });

      await p07.publishAsync(topics.events('p07'), '{"own":1}', { qos: 1 });
      // refused publishes are dropped by Mosquitto (QoS 0 here: 2.0.11 sends no PUBACK for a QoS 1 publish to a topic
      // the client may only read)
      await p07.publishAsync(topics.events('p08'), '{"other":1}', { qos: 0 }); // another ward's topic
      await p07.publishAsync(topics.command('p07', 'retrieve'), '{"self":1}', { qos: 0 }); // commands come from the hub
      await hub.publishAsync(topics.command('p08', 'retrieve'), JSON.stringify(RETRIEVE), { qos: 1 });
      await hub.publishAsync(topics.command('p07', 'retrieve'), JSON.stringify(RETRIEVE), { qos: 1 });
      await sleep(500);

      expect(atHub.filter((t) => !t.includes('/cmd/'))).toEqual([topics.events('p07')]);
      // p08 hears its own command and nothing of p07's, whatever it subscribed to
      expect(atP08).toEqual([topics.command('p08', 'retrieve')]);
    } finally {
      await Promise.all([hub, p07, p08].map((c) => c.endAsync()));
    }
  });

  it('runs `wardwatch hub` against it: each ward hears, retained, that its messages are confirmed by cmd/ack; SIGTERM stops it cleanly', async () => {
    const hub = await startExternalHub(hubYaml);
    try {
      const ward = await client(port, 'ward-p08', tokens.get('p08')!, 'ward-p08');
      const heard = new Promise<{ topic: string; retain: boolean; body: unknown }>((resolve) =>
        ward.on('message', (topic, payload, packet) => resolve({ topic, retain: packet.retain, body: JSON.parse(payload.toString()) })),
      );
      await ward.subscribeAsync(topics.commandFilter('p08'), { qos: 1 });
      expect(await heard).toMatchObject({ topic: topics.command('p08', 'delivery'), retain: true, body: { confirm: 'ack' } });
      await ward.endAsync();
    } finally {
      hub.child.kill('SIGTERM');
    }
    expect(await hub.exit).toBe(0);
  });

  it('refuses to start ingest on a wrong hub password, naming the keys to fix', async () => {
    const store = openHubStore(path.join(dir, 'hub-wrong'));
    const ingest = createIngest({ store, retrievals: retrievalStore(store), wardOf: (box) => box, logger: silentLogger() });
    await expect(
      connectExternalBroker({ url: `mqtt://127.0.0.1:${port}`, username: 'wardwatch-hub', password: 'wrong', clientId: 'hub-wrong', group: 'hub', sessionExpirySeconds: 60, wards: [], sink: ingest, logger: silentLogger() }),
    ).rejects.toThrow(/refused the hub's login .*broker\.external\.username.*broker\.external\.passwordSecret/);
    await ingest.close();
    await store.close();
  });

  it('splits one ward\'s messages between two hub processes of one group; each acks what it stored, the outbox empties, each message is stored once', async () => {
    const EVENTS = 400;
    const hubs = await Promise.all(
      ['hub-1', 'hub-2'].map(async (clientId) => {
        const store = openHubStore(path.join(dir, clientId));
        await store.syncWards([{ id: 'p07', name: 'p07' }]);
        const ingest = createIngest({ store, retrievals: retrievalStore(store), wardOf: (box) => box, logger: silentLogger() });
        const link = await connectExternalBroker({ url: `mqtt://127.0.0.1:${port}`, username: 'wardwatch-hub', password: HUB_PASSWORD, clientId, group: 'split', sessionExpirySeconds: 600, wards: [{ id: 'p07' }], sink: ingest, logger: silentLogger() });
        return { store, ingest, link };
      }),
    );
    const db = openEdgeDb(path.join(dir, 'p07-edge.db'));
    const outbox = new Outbox(db, 'p07');
    const uplink = new Uplink({ outbox, ward: 'p07', url: `mqtt://127.0.0.1:${port}`, username: 'ward-p07', password: tokens.get('p07')!, logger: silentLogger(), backoff: new Backoff({ initialMs: 50, maxMs: 300 }) });
    try {
      const base = Date.now() - 3_600_000;
      db.transaction(() => {
        for (let i = 0; i < EVENTS; i++) {
          const message: EventMessage = { msgId: newMsgId(), type: 'start', event: { id: newMsgId(base + i), ward: 'p07', camera: 'cam-01', label: 'car', score: 0.8, topScore: 0.8, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, zones: [], start: base + i, end: null } };
          outbox.enqueue(topics.events('p07'), message);
        }
      })();
      uplink.start();
      const deadline = Date.now() + 60_000;
      while (outbox.depth() > 0 && Date.now() < deadline) await sleep(50);
      expect(outbox.depth()).toBe(0);
      // the outbox emptied on the hubs' acks, not on Mosquitto's PUBACKs
      expect(uplink.stats().confirm).toBe('ack');
      const stored = hubs.map((h) => h.store.db.prepare('SELECT id FROM incidents').pluck().all() as string[]);
      expect(stored[0]!.length).toBeGreaterThan(0);
      expect(stored[1]!.length).toBeGreaterThan(0);
      expect(new Set(stored.flat()).size).toBe(EVENTS);
      expect(stored[0]!.length + stored[1]!.length).toBe(EVENTS);
    } finally {
      await uplink.stop();
      db.close();
      for (const h of hubs) {
        await h.link.close();
        await h.ingest.close();
        await h.store.close();
      }
    }
  });
});
