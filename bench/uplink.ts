// Bench: the whole uplink path, edge outbox → MQTT → hub index, with real processes: `wardwatch hub` and the
// synthetic ward (test/uplink/producer.ts: real Outbox + Uplink) as children. Three figures:
//   1. steady: the producer writes event messages while the uplink sends them; event messages/s end to end
//      (an "event" here is one event message, one outbox row: each incident is start + update + end);
//   2. backlog: 100 000 event messages queued while the hub is down, then drained once it is back
//      (seconds, messages/s, and the edge process's peak RSS from /proc over both phases);
//   3. clip: one 100 MB clip, manifest + 256 KiB chunks, MB/s until the edge has every PUBACK.
//
//   npm run bench:uplink [-- --steady 30000 --backlog 100000 --clip-mb 100 --window 256]
//
// The last line is one JSON object: {"events_per_s":…,"backlog_events":…,"drain_s":…,"edge_rss_max_mb":…,"clip_mb_per_s":…}
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { packageRoot } from '../shared/package.js';
import { testWard } from '../testing/hub/test-support.js';
import { cpuSeconds, edgeState, hubCount, hubRoot, rssMb, startHubProcess, startProducer, writeHubConfig, type Child } from '../test/uplink/processes.js';

const { values } = parseArgs({
  options: {
    steady: { type: 'string', default: '30000' },
    backlog: { type: 'string', default: '100000' },
    'clip-mb': { type: 'string', default: '100' },
    window: { type: 'string', default: '256' },
  },
});
const steadyMessages = Number(values.steady);
const backlogMessages = Number(values.backlog);
const clipMb = Number(values['clip-mb']);
const windowSize = Number(values.window);
const ward = testWard('p01');
const incidentsFor = (messages: number) => Math.ceil(messages / 3);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Samples a child's RSS every 100 ms until stopped; returns the peak in MB. */
function sampleRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) ?? 0);
  }, 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid) ?? 0);
  };
}

async function finish(p: Child): Promise<void> {
  await p.line((e) => e.drained === true);
  const code = await p.exit;
  if (code !== 0) throw new Error(`producer exited ${code}`);
}

const dirs: string[] = [];
function workDir(name: string): { dir: string; edgeDb: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `ww-bench-uplink-${name}-`));
  dirs.push(dir);
  return { dir, edgeDb: path.join(dir, 'edge.db') };
}

// The edge runs as plain node from a bundle of the producer, as a built ward box would (tsx's loader alone adds
// ~60 MB of RSS). esbuild comes with tsx; the bundle sits under node_modules so its imports resolve from there.
const bundle = path.join(packageRoot(), 'node_modules/.cache/wardwatch-bench/uplink-producer.mjs');
await build({
  entryPoints: [path.join(packageRoot(), 'test/uplink/producer.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: bundle,
  logLevel: 'warning',
});

console.log(`uplink bench: window ${windowSize}; load ${load()} (1/5/15 min)`);

// 1. steady: producer and uplink at once; the producer commits 30 steps per transaction so that the outbox fills
// faster than it drains and the figure is the uplink's, not the edge disk's fsync rate
async function steady(): Promise<number> {
  const { dir, edgeDb } = workDir('steady');
  const hub = startHubProcess(writeHubConfig(dir, [ward]));
  const port = await hub.port;
  const incidents = incidentsFor(steadyMessages);
  const producer = startProducer({ db: edgeDb, port, ward, events: incidents, window: windowSize, batch: 30, bundle });
  await producer.line((e) => 'started' in e);
  const t0 = performance.now();
  await producer.line((e) => 'produced' in e);
  const produceS = (performance.now() - t0) / 1000;
  await finish(producer);
  const s = (performance.now() - t0) / 1000;
  const stored = hubCount(dir, 'SELECT count(*) FROM seen_msgs');
  await hub.kill();
  if (stored !== incidents * 3) throw new Error(`steady: the hub has ${stored} messages, expected ${incidents * 3}`);
  const rate = (incidents * 3) / s;
  console.log(`steady: ${incidents * 3} event messages (${incidents} incidents) in ${s.toFixed(2)} s → ${Math.round(rate)} events/s end to end (producing alone took ${produceS.toFixed(2)} s); load ${load()}`);
  return rate;
}

// 2. backlog: the hub is down while the edge queues, then comes back on the same port
async function backlog(): Promise<{ drainS: number; rssMaxMb: number; events: number }> {
  const { dir, edgeDb } = workDir('backlog');
  const first = startHubProcess(writeHubConfig(dir, [ward]));
  const port = await first.port;
  await first.kill();
  const incidents = incidentsFor(backlogMessages);
  const producer = startProducer({ db: edgeDb, port, ward, events: incidents, window: windowSize, batch: 300, bundle });
  const peak = sampleRss(producer.child.pid!);
  const t0 = performance.now();
  await producer.line((e) => 'produced' in e);
  const queued = edgeState(edgeDb).outbox;
  console.log(`backlog: ${queued} event messages queued with the hub down in ${((performance.now() - t0) / 1000).toFixed(1)} s; edge RSS so far ${round(peak())} MB`);
  const restartPeak = sampleRss(producer.child.pid!);
  const hub = startHubProcess(writeHubConfig(dir, [ward], port));
  await hub.port;
  const t1 = performance.now();
  const cpu0 = { edge: cpuSeconds(producer.child.pid!) ?? 0, hub: cpuSeconds(hub.child.pid!) ?? 0 };
  await producer.line((e) => e.drained === true);
  const drainS = (performance.now() - t1) / 1000;
  const cpu = { edge: (cpuSeconds(producer.child.pid!) ?? 0) - cpu0.edge, hub: (cpuSeconds(hub.child.pid!) ?? 0) - cpu0.hub };
  await finish(producer);
  const rssMaxMb = Math.max(peak(), restartPeak());
  const stored = hubCount(dir, 'SELECT count(*) FROM seen_msgs');
  await hub.kill();
  if (stored !== incidents * 3) throw new Error(`backlog: the hub has ${stored} messages, expected ${incidents * 3}`);
  console.log(
    `backlog: drained ${queued} in ${drainS.toFixed(2)} s → ${Math.round(queued / drainS)} events/s; CPU during the drain: edge ${cpu.edge.toFixed(1)} s, hub ${cpu.hub.toFixed(1)} s; edge RSS max ${round(rssMaxMb)} MB; load ${load()}`,
  );
  return { drainS, rssMaxMb, events: queued };
}

// 3. clip: one big clip on loopback
async function clip(): Promise<{ mbPerS: number; rssMaxMb: number }> {
  const { dir, edgeDb } = workDir('clip');
  const file = path.join(dir, 'clip.mp4');
  writeFileSync(file, randomBytes(clipMb * 1024 * 1024));
  const hub = startHubProcess(writeHubConfig(dir, [ward]));
  const port = await hub.port;
  const producer = startProducer({ db: edgeDb, port, ward, events: 1, clip: file, window: windowSize, bundle });
  const peak = sampleRss(producer.child.pid!);
  await producer.line((e) => 'produced' in e); // printed once the clip (hashed first) is queued
  const t0 = performance.now();
  await finish(producer);
  const s = (performance.now() - t0) / 1000;
  const rssMaxMb = peak();
  const present = () => hubCount(dir, "SELECT count(*) FROM incidents WHERE clip_state = 'present'");
  while (present() === 0) await new Promise((r) => setTimeout(r, 50));
  const verifiedS = (performance.now() - t0) / 1000;
  await hub.kill();
  rmSync(path.join(hubRoot(dir), 'clips'), { recursive: true, force: true });
  const mbPerS = clipMb / s;
  console.log(`clip: ${clipMb} MB in ${s.toFixed(2)} s → ${mbPerS.toFixed(1)} MB/s to the last PUBACK (${verifiedS.toFixed(2)} s until verified at the hub); edge RSS max ${round(rssMaxMb)} MB; load ${load()}`);
  return { mbPerS, rssMaxMb };
}

try {
  const eventsPerS = await steady();
  const b = await backlog();
  const c = await clip();
  console.log(
    JSON.stringify({
      events_per_s: Math.round(eventsPerS),
      backlog_events: b.events,
      drain_s: round(b.drainS, 2),
      edge_rss_max_mb: round(Math.max(b.rssMaxMb, c.rssMaxMb)),
      clip_mb_per_s: round(c.mbPerS),
    }),
  );
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
