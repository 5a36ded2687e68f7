// Bench: the uplink path through Debian's Mosquitto 2 (hub.yaml `broker.mode: external`: shared subscription, and each
// message confirmed to the box by the hub's `cmd/ack`) beside the embedded broker, in one run, with real processes:
//   1. steady: the producer writes event messages while the uplink sends them; event messages/s end to end;
//   2. backlog: messages queued while the hub is down, drained once it is back, timed from the hub's start (the box
//      keeps them in its outbox; behind Mosquitto, up to the uplink's awaitWindow of them wait in the hub's session).
//
//   npm run bench:external-broker [-- --steady 30000 --backlog 30000]
//
// The last line is one JSON object: {"embedded_events_per_s":…,"external_events_per_s":…,"embedded_drain_s":…,"external_drain_s":…}
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { testWard } from '../testing/hub/test-support.js';
import { startExternalHub, writeBrokerFiles, writeExternalHubConfig } from '../test/external/external-hub.js';
import { findMosquitto, freePort, mosquitto, type Mosquitto } from '../test/external/mosquitto.js';
import { hubCount, startHubProcess, startProducer, writeHubConfig, type Child } from '../test/uplink/processes.js';

const { values } = parseArgs({ options: { steady: { type: 'string', default: '30000' }, backlog: { type: 'string', default: '30000' } } });
const ward = testWard('p01');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const found = findMosquitto();
if ('missing' in found) {
  console.error(`bench:external-broker needs Mosquitto: ${found.missing}`);
  process.exit(1);
}

const dirs: string[] = [];
const brokers: Mosquitto[] = [];

interface Mode {
  name: 'embedded' | 'external';
  /** starts the hub (and the broker the first time); the port the box connects to */
  start(dir: string, port?: number): Promise<{ hub: Child; port: number }>;
}

const embedded: Mode = {
  name: 'embedded',
  async start(dir, port) {
    const hub = startHubProcess(writeHubConfig(dir, [ward], port ?? 0));
    return { hub, port: await hub.port };
  },
};

const external: Mode = {
  name: 'external',
  async start(dir, port) {
    if (port === undefined) {
      port = await freePort();
      const config = writeExternalHubConfig(dir, port, [ward]);
      const files = await writeBrokerFiles(dir, config, [ward]);
      const broker = mosquitto({ binary: (found as { path: string }).path, dir, port, ...files, autosaveSeconds: 60 });
      brokers.push(broker);
      await broker.start();
    }
    return { hub: await startExternalHub(path.join(dir, 'hub.yaml')), port };
  },
};

async function drained(p: Child): Promise<void> {
  await p.line((e) => e.drained === true);
  if ((await p.exit) !== 0) throw new Error('producer failed');
}

function expectStored(dir: string, messages: number, what: string): void {
  const stored = hubCount(dir, 'SELECT count(*) FROM seen_msgs');
  if (stored !== messages) throw new Error(`${what}: the hub holds ${stored} messages, expected ${messages}`);
}

async function steady(mode: Mode, messages: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), `ww-bench-ext-${mode.name}-`));
  dirs.push(dir);
  const { hub, port } = await mode.start(dir);
  const producer = startProducer({ db: path.join(dir, 'edge.db'), port, ward, events: messages / 3, batch: 30 });
  await producer.line((e) => 'started' in e);
  const t0 = performance.now();
  await drained(producer);
  const s = (performance.now() - t0) / 1000;
  await hub.kill();
  expectStored(dir, messages, `${mode.name} steady`);
  const rate = messages / s;
  console.log(`${mode.name} steady: ${messages} event messages in ${s.toFixed(2)} s → ${Math.round(rate)} events/s end to end; load ${load()}`);
  return rate;
}

async function backlog(mode: Mode, messages: number): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), `ww-bench-ext-${mode.name}-`));
  dirs.push(dir);
  const first = await mode.start(dir);
  await first.hub.kill();
  const producer = startProducer({ db: path.join(dir, 'edge.db'), port: first.port, ward, events: messages / 3, batch: 300 });
  await producer.line((e) => 'produced' in e);
  // timed from the hub's start: behind Mosquitto the session hands the hub its queue before it logs that it is ready
  const t0 = performance.now();
  const { hub } = await mode.start(dir, first.port);
  await drained(producer);
  const s = (performance.now() - t0) / 1000;
  await hub.kill();
  expectStored(dir, messages, `${mode.name} backlog`);
  console.log(`${mode.name} backlog: ${messages} event messages queued with the hub down, drained in ${s.toFixed(2)} s from the hub's start (its start-up included) (${Math.round(messages / s)} events/s); load ${load()}`);
  return s;
}

console.log(`external broker bench: Mosquitto at ${(found as { path: string }).path}; load ${load()} (1/5/15 min)`);
try {
  const result = {
    embedded_events_per_s: Math.round(await steady(embedded, Number(values.steady))),
    external_events_per_s: Math.round(await steady(external, Number(values.steady))),
    embedded_drain_s: Number((await backlog(embedded, Number(values.backlog))).toFixed(2)),
    external_drain_s: Number((await backlog(external, Number(values.backlog))).toFixed(2)),
  };
  console.log(JSON.stringify(result));
} finally {
  for (const b of brokers) await b.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
