// Bench: how many event messages per second the hub takes in, PUBACK after commit, over loopback.
// Runs the real `wardwatch hub` as a child process; N wards publish QoS 1 event messages from this process,
// each with a window of messages in flight. Counts only acknowledged messages, then checks them in the db.
//
//   npm run bench:hub-ingest -- [--wards 15] [--events 30000] [--window 100] [--snapshots 0.3]
//
// The last line is one JSON object: {"events_per_s":…,"wards":…,"events":…,"batches":…,…}
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { monotonicFactory } from 'ulid';
import { topics, type EventMessage } from '../shared/contract/index.js';
import { hashSecret } from '../shared/scrypt.js';
import { openHubStore } from '../hub/store/store.js';

const { values } = parseArgs({
  options: {
    wards: { type: 'string', default: '15' },
    events: { type: 'string', default: '30000' },
    window: { type: 'string', default: '100' },
    snapshots: { type: 'string', default: '0' },
  },
});
const wards = Number(values.wards);
const total = Number(values.events);
const windowSize = Number(values.window);
const snapshotShare = Number(values.snapshots);
const repoRoot = path.resolve(import.meta.dirname, '..');
const ulid = monotonicFactory();
// a 20 KB stand-in for a JPEG snapshot
const SNAPSHOT = Buffer.alloc(20_000, 7).toString('base64');

const dir = mkdtempSync(path.join(tmpdir(), 'ww-bench-hub-'));
const ids = Array.from({ length: wards }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
const token = 'bench-token-0123456789';
const tokenHash = hashSecret(token);
const config = path.join(dir, 'hub.yaml');
writeFileSync(
  config,
  `district: { name: Bench }\nstorage: { root: ${path.join(dir, 'data')} }\nbroker:\n  listeners: [{ type: tcp, host: 127.0.0.1, port: 0 }]\nwards:\n${ids
    .map((id) => `  - { id: ${id}, name: ${id}, tokenHash: '${tokenHash}' }`)
    .join('\n')}\n`,
);

const hub = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli/run.ts'), 'hub', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' } });
const port = await new Promise<number>((resolve, reject) => {
  hub.once('exit', (code) => reject(new Error(`hub exited ${code}`)));
  createInterface({ input: hub.stdout! }).on('line', (line) => {
    const p = (JSON.parse(line) as { port?: number }).port; // the hub's "mqtt tcp listening" line
    if (typeof p === 'number') resolve(p);
  });
});

function event(ward: string, i: number): EventMessage {
  const withSnapshot = snapshotShare > 0 && i % Math.round(1 / snapshotShare) === 0;
  return {
    msgId: ulid(),
    type: 'start',
    event: {
      id: ulid(), ward, camera: 'cam-01', label: 'car', score: 0.8, topScore: 0.8, box: { x: 0.1, y: 0.1, w: 0.2, h: 0.2 }, zones: ['crossing'],
      start: Date.now(), end: null, ...(withSnapshot ? { snapshot: SNAPSHOT } : {}),
    },
  };
}

const perWard = Math.ceil(total / wards);
const acked: string[] = [];
// one after the other: the hub's login throttle allows one address only so many scrypt checks at once (a burst of
// 15 logins from one address is what a guesser does), and the boxes of a real district come from their own addresses
const clients: mqtt.MqttClient[] = [];
for (const id of ids) clients.push(await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, username: `ward-${id}`, password: token, clientId: `ward-${id}`, reconnectPeriod: 0 }));
const started = performance.now();
await Promise.all(
  clients.map(
    (client, w) =>
      new Promise<void>((resolve) => {
        let sent = 0;
        let done = 0;
        const next = () => {
          if (sent >= perWard) return;
          const msg = event(ids[w]!, sent++);
          client.publish(topics.events(ids[w]!), JSON.stringify(msg), { qos: 1 }, (err) => {
            if (err) throw err;
            acked.push(msg.event.id);
            if (++done === perWard) resolve();
            else next();
          });
        };
        for (let i = 0; i < windowSize; i++) next();
      }),
  ),
);
const seconds = (performance.now() - started) / 1000;
await Promise.all(clients.map((c) => c.endAsync()));
hub.kill('SIGTERM');
await new Promise((resolve) => hub.once('exit', resolve));

const store = openHubStore(path.join(dir, 'data'));
const stored = store.db.prepare('SELECT count(*) FROM incidents').pluck().get() as number;
await store.close();
const result = { events_per_s: Math.round(acked.length / seconds), wards, events: acked.length, stored, window: windowSize, snapshots: snapshotShare, seconds: Number(seconds.toFixed(2)) };
console.log(`${result.events_per_s} events/s acknowledged (${acked.length} events from ${wards} wards in ${result.seconds} s, ${stored} in the db)`);
console.log(JSON.stringify(result));
