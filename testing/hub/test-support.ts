// Test helpers for the hub: a real broker + ingest + store on 127.0.0.1:0, ward clients, contract messages.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { monotonicFactory } from 'ulid';
import { topics, type EventMessage } from '../../shared/contract/index.js';
import { createAudit } from '../../shared/audit/index.js';
import { createLogger, type Logger } from '../../shared/log.js';
import { hashSecret } from '../../shared/scrypt.js';
import { startBroker, type Broker } from '../../hub/broker/broker.js';
import { createIngest, type Ingest } from '../../hub/ingest/ingest.js';
import { RetrievalStore } from '../../hub/retrieval/store.js';
import { openHubStore, type HubStore } from '../../hub/store/store.js';

export const nextUlid = monotonicFactory();

/** The retrievals table over a test store, audited in its audit log: what hub/main.ts hands ingest and the forwarder. */
export function retrievalStore(store: HubStore, clock?: () => number): RetrievalStore {
  return new RetrievalStore(store.sql, createAudit(store.sql, clock && { clock }));
}

export function tempDir(prefix = 'ww-hub-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A logger whose JSON lines the test can read. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ name: 'test', level: 'debug', destination }), lines: () => lines };
}

export interface TestWard {
  id: string;
  token: string;
  tokenHash: string;
}

const hashes = new Map<string, string>();
/** Tokens are fixed per ward id and hashed once per test file (scrypt costs ~50 ms). */
export function testWard(id: string): TestWard {
  const token = `token-of-${id}-0123456789`;
  let tokenHash = hashes.get(token);
  if (!tokenHash) hashes.set(token, (tokenHash = hashSecret(token)));
  return { id, token, tokenHash };
}

export interface TestHub {
  root: string;
  port: number;
  broker: Broker;
  ingest: Ingest;
  store: HubStore;
  lines: () => Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startTestHub(options: { wards: TestWard[]; maxPayloadBytes?: number; maxWaitMs?: number }): Promise<TestHub> {
  const root = tempDir();
  const { logger, lines } = captureLogger();
  const store = openHubStore(root);
  await store.syncWards(options.wards.map((w) => ({ id: w.id, name: w.id })));
  const ingest = createIngest({ store, retrievals: retrievalStore(store), wardOf: (box) => box, logger, ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}) });
  const broker = await startBroker({
    listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }],
    maxPayloadBytes: options.maxPayloadBytes ?? 1024 * 1024,
    wards: options.wards,
    sink: ingest,
    logger,
  });
  return {
    root,
    port: broker.listeners[0]!.port,
    broker,
    ingest,
    store,
    lines,
    async close() {
      await broker.close();
      await ingest.close();
      await store.close();
    },
  };
}

/** Connects as a ward (MQTT 3.1.1, no automatic reconnect); rejects when the broker refuses. */
export function connectWard(port: number, options: Partial<IClientOptions> & { ward?: TestWard } = {}): Promise<MqttClient> {
  const { ward, ...rest } = options;
  return mqtt.connectAsync({
    host: '127.0.0.1',
    port,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(ward ? { username: `ward-${ward.id}`, password: ward.token, clientId: `ward-${ward.id}` } : {}),
    ...rest,
  });
}

/** Resolves when the client's connection closes (the broker dropped it). */
export function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

/** One start time for the whole test run, a minute before it began. */
export const FIXED_START = Math.floor(Date.now() / 1000) * 1000 - 60_000;

export function eventMessage(ward: string, over: { type?: EventMessage['type']; id?: string; msgId?: string; topScore?: number; end?: number | null; snapshot?: string } = {}): EventMessage {
  const type = over.type ?? 'start';
  const topScore = over.topScore ?? 0.8;
  return {
    msgId: over.msgId ?? nextUlid(),
    type,
    event: {
      id: over.id ?? nextUlid(),
      ward,
      camera: 'cam-01',
      label: 'car',
      score: topScore,
      topScore,
      box: { x: 0.1, y: 0.2, w: 0.3, h: 0.2 },
      zones: ['crossing'],
      // recent, so that retention (365 days by default) never takes the test's incidents: a fixed date would age out
      start: FIXED_START,
      end: over.end !== undefined ? over.end : type === 'end' ? FIXED_START + 14_000 : null,
      ...(over.snapshot !== undefined ? { snapshot: over.snapshot } : {}),
    },
  };
}

export async function publishEvent(client: MqttClient, msg: EventMessage): Promise<void> {
  await client.publishAsync(topics.events(msg.event.ward), JSON.stringify(msg), { qos: 1 });
}
