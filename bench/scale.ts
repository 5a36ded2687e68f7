// Bench: the hub beyond one process (issue #20). In one run, with real processes, boxes publishing event messages:
//   - embedded: the default, one hub process with its own broker (aedes) and its SQLite index;
//   - external_1: Debian's Mosquitto 2 and PostgreSQL 15, one hub process;
//   - external_2: the same with two hub processes in one shared-subscription group, on one PostgreSQL index;
//   - backlog: messages queued while both hub processes are down (the boxes' outboxes and Mosquitto's session),
//     drained by the two processes, timed from their start.
// Each figure is messages stored in the index (a hub commits, then acks; the box drains when every ack is in) per
// second of wall time. Mosquitto, PostgreSQL, the hubs and the boxes all share this machine's cores.
//
//   npm run bench:scale [-- --steady 30000 --backlog 100000 --boxes 2]
//
// The last line is one JSON object: {"embedded_events_per_s":…,"external_1_events_per_s":…,"external_2_events_per_s":…,"backlog_drain_s":…}
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { testWard, type TestWard } from '../testing/hub/test-support.js';
import { findPostgres, startPostgres, type TestPostgres } from '../testing/postgres.js';
import { startExternalHub, writeBrokerFiles, writeExternalHubConfig } from '../test/external/external-hub.js';
import { findMosquitto, freePort, mosquitto, type Mosquitto } from '../test/external/mosquitto.js';
import { hubCount, startHubProcess, startProducer, writeHubConfig, type Child } from '../test/uplink/processes.js';

const { values } = parseArgs({ options: { steady: { type: 'string', default: '30000' }, backlog: { type: 'string', default: '100000' }, boxes: { type: 'string', default: '2' } } });
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const boxes = Number(values.boxes);
if (!Number.isInteger(boxes) || boxes < 1 || boxes > 8) fail('--boxes: 1 to 8 boxes publishing at once');
const wards: TestWard[] = Array.from({ length: boxes }, (_, i) => testWard(`p0${i + 1}`));
/** messages per box, a multiple of 3 (an event is 3 messages) */
const perBox = (messages: number) => Math.max(1, Math.round(messages / boxes / 3)) * 3;

const mosquittoBinary = findMosquitto();
if ('missing' in mosquittoBinary) fail(`bench:scale needs Mosquitto: ${mosquittoBinary.missing}`);
const postgresBinaries = findPostgres();
if (!postgresBinaries.found) fail(`bench:scale needs PostgreSQL: ${postgresBinaries.reason}`);

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

const dirs: string[] = [];
const brokers: Mosquitto[] = [];
const children: Child[] = [];
let database: TestPostgres | undefined;

function tempDir(name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `ww-bench-scale-${name}-`));
  dirs.push(dir);
  return dir;
}

/**
 * Starts the boxes' producers, each with its share of `messages`. `ready`: once all have started (`started`) or have
 * written every message into their outbox (`produced`); `drained`: once every message has been acknowledged.
 */
function produce(dir: string, port: number, messages: number, batch: number, readyAt: 'started' | 'produced'): { ready: Promise<unknown>; drained: Promise<void> } {
  const producers = wards.map((ward) => startProducer({ db: path.join(dir, `${ward.id}.db`), port, ward, events: perBox(messages) / 3, batch }));
  children.push(...producers);
  return {
    ready: Promise.all(producers.map((p) => p.line((e) => readyAt in e))),
    drained: Promise.all(
      producers.map(async (p) => {
        await p.line((e) => e.drained === true);
        if ((await p.exit) !== 0) throw new Error('a producer failed');
      }),
    ).then(() => undefined),
  };
}

async function embedded(messages: number): Promise<number> {
  const dir = tempDir('embedded');
  const hub = startHubProcess(writeHubConfig(dir, wards, 0));
  children.push(hub);
  const run = produce(dir, await hub.port, messages, 30, 'started');
  await run.ready;
  const t0 = performance.now();
  await run.drained;
  const s = (performance.now() - t0) / 1000;
  await hub.kill();
  const stored = hubCount(dir, 'SELECT count(*) FROM seen_msgs');
  if (stored !== perBox(messages) * boxes) throw new Error(`embedded: the hub holds ${stored} messages, expected ${perBox(messages) * boxes}`);
  const rate = stored / s;
  console.log(`embedded (aedes + SQLite, 1 hub process, ${boxes} boxes): ${stored} messages in ${s.toFixed(2)} s → ${Math.round(rate)} events/s; load ${load()}`);
  return rate;
}

interface ExternalSite {
  dir: string;
  port: number;
  configs: string[];
  index: pg.Pool;
}

/** Mosquitto on its own port and a new database on the bench's PostgreSQL; hub.yaml for `processes` hub processes. */
async function externalSite(name: string, processes: number): Promise<ExternalSite> {
  const dir = tempDir(name);
  const port = await freePort();
  database ??= await startPostgres();
  const conn = await database.createDatabase();
  const url = `postgres://${conn.user}@${conn.host}:${conn.port}/${conn.database}`;
  const configs = Array.from({ length: processes }, (_, i) => writeExternalHubConfig(dir, port, wards, { clientId: `hub-${i + 1}`, file: `hub-${i + 1}.yaml`, postgresUrl: url }));
  const files = await writeBrokerFiles(dir, configs[0]!, wards);
  const broker = mosquitto({ binary: (mosquittoBinary as { path: string }).path, dir, port, ...files, autosaveSeconds: 60 });
  brokers.push(broker);
  await broker.start();
  return { dir, port, configs, index: new pg.Pool({ ...conn, max: 1 }) };
}

/** The hub processes of a site, started one after the other (the first migrates the index). */
async function startHubs(site: ExternalSite): Promise<Child[]> {
  const hubs: Child[] = [];
  for (const config of site.configs) hubs.push(await startExternalHub(config));
  children.push(...hubs);
  return hubs;
}

async function storedIn(site: ExternalSite): Promise<number> {
  return Number((await site.index.query<{ n: string }>('SELECT count(*) AS n FROM seen_msgs')).rows[0]!.n);
}

async function external(processes: number, messages: number): Promise<number> {
  const site = await externalSite(`external-${processes}`, processes);
  try {
    const hubs = await startHubs(site);
    const run = produce(site.dir, site.port, messages, 30, 'started');
    await run.ready;
    const t0 = performance.now();
    await run.drained;
    const s = (performance.now() - t0) / 1000;
    for (const h of hubs) await h.kill();
    const stored = await storedIn(site);
    if (stored !== perBox(messages) * boxes) throw new Error(`external, ${processes} hub processes: the index holds ${stored} messages, expected ${perBox(messages) * boxes}`);
    const rate = stored / s;
    console.log(`external (Mosquitto + PostgreSQL, ${processes} hub process${processes > 1 ? 'es' : ''}, ${boxes} boxes): ${stored} messages in ${s.toFixed(2)} s → ${Math.round(rate)} events/s; load ${load()}`);
    return rate;
  } finally {
    await site.index.end();
  }
}

async function backlog(processes: number, messages: number): Promise<number> {
  const site = await externalSite('backlog', processes);
  try {
    // the index migrated, then every hub process down while the boxes write their backlog
    for (const h of await startHubs(site)) await h.kill();
    const run = produce(site.dir, site.port, messages, 300, 'produced');
    await run.ready;
    const t0 = performance.now();
    const hubs = await startHubs(site);
    await run.drained;
    const s = (performance.now() - t0) / 1000;
    for (const h of hubs) await h.kill();
    const stored = await storedIn(site);
    if (stored !== perBox(messages) * boxes) throw new Error(`backlog: the index holds ${stored} messages, expected ${perBox(messages) * boxes}`);
    console.log(`backlog: ${stored} messages queued with the hubs down, drained by ${processes} hub processes in ${s.toFixed(2)} s from their start (${Math.round(stored / s)} events/s); load ${load()}`);
    return s;
  } finally {
    await site.index.end();
  }
}

console.log(`scale bench: ${boxes} boxes; Mosquitto at ${(mosquittoBinary as { path: string }).path}, PostgreSQL in ${postgresBinaries.bin}; load ${load()} (1/5/15 min)`);
try {
  const steady = Number(values.steady);
  const result = {
    embedded_events_per_s: Math.round(await embedded(steady)),
    external_1_events_per_s: Math.round(await external(1, steady)),
    external_2_events_per_s: Math.round(await external(2, steady)),
    backlog_drain_s: Number((await backlog(2, Number(values.backlog))).toFixed(2)),
  };
  console.log(JSON.stringify(result));
} finally {
  for (const c of children) await c.kill();
  for (const b of brokers) await b.kill();
  await database?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
