// bench:search — the district's analysis at district scale: a generated district (15 wards, 400 cameras with
// positions, ~5 million sightings a day spread over the day and over busy and quiet cameras, 10 % with a
// thumbnail's bytes) is written through the hub's own ingest (contract decoding, IndexWriter batches, WAL, fsync);
// then the real `wardwatch hub` opens it: sightings published over MQTT by 15 wards (PUBACK after commit) give the
// ingest rate on the full index, and searches and dashboards over HTTP (login, audit and JSON included) give the
// latencies. A ward's cameras also get 29 days of per-minute counts (the dashboard's "usual" looks 4 weeks back).
//
//   npm run bench:search -- [--days 1] [--per-day 5000000] [--queries 60] [--root DIR] [--keep]
//     --root DIR: fill (or, with a db already there, reuse) DIR; --keep: leave it for another run
//
// Last line one JSON object: {sightings, ingest_per_s, search_1h_p95_ms, search_24h_p95_ms, dashboard_7d_ms, hub_rss_mb, db_gb, …}
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { createAccounts } from '../shared/accounts/index.js';
import { createAudit } from '../shared/audit/index.js';
import { decodeMessage, topics, type CountsMessage, type Sighting, type SightingsMessage } from '../shared/contract/index.js';
import { silentLogger } from '../shared/log.js';
import { hashSecret } from '../shared/scrypt.js';
import { Client } from '../testing/hub/api/test-client.js';
import { IndexWriter, type BatchItem } from '../hub/ingest/index-writer.js';
import { RetrievalStore } from '../hub/retrieval/store.js';
import { openHubStore } from '../hub/store/store.js';
import { storePaths } from '../hub/store/paths.js';
import { rssMb } from './proc.js';
import { randomSource } from '../test-fixtures/camera/street-scene.js';
import { seededUlid } from './seeded-ulid.js';

const { values } = parseArgs({
  options: {
    days: { type: 'string', default: '1' },
    'per-day': { type: 'string', default: '5000000' },
    queries: { type: 'string', default: '60' },
    'ingest-seconds': { type: 'string', default: '15' },
    'thumbnail-share': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '7' },
    root: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const DAYS = Number(values.days);
const PER_DAY = Number(values['per-day']);
const QUERIES = Number(values.queries);
const THUMB_SHARE = Number(values['thumbnail-share']);
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const BATCH_S = 5; // edge.yaml sightings.batchSeconds
const repoRoot = path.resolve(import.meta.dirname, '..');
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

// seeded pseudo-random numbers (mulberry32): the same district on every run
const rnd = randomSource(Number(values.seed));
const weighted = <T>(xs: readonly (readonly [T, number])[]): T => {
  let r = rnd() * xs.reduce((a, [, w]) => a + w, 0);
  for (const [x, w] of xs) if ((r -= w) < 0) return x;
  return xs[xs.length - 1]![0];
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const ulidAt = seededUlid(rnd);
/** Poisson(λ) for small λ (Knuth). */
function poisson(lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > l);
  return k - 1;
}

// ---- the district: 15 wards, 400 cameras (150 busy crossings, 250 quieter streets) over ~2.2 × 2.2 km ----
const WARDS = Array.from({ length: 15 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
interface BenchCamera {
  ward: string;
  camera: string;
  lat: number;
  lon: number;
  weight: number;
  lines: string[];
}
const cameras: BenchCamera[] = [];
for (let i = 0; i < 400; i++) {
  const w = Math.floor(i / 27) % 15;
  const busy = i % 8 < 3;
  // wards are strips of the district; cameras inside their strip
  cameras.push({ ward: WARDS[w]!, camera: `cam-${String((i % 27) + 1).padStart(2, '0')}`, lat: 10.79 + (w + rnd()) * (0.02 / 15), lon: 106.67 + rnd() * 0.02, weight: busy ? 2.5 : 0.5, lines: busy ? ['north', 'south'] : rnd() < 0.5 ? ['main'] : [] });
}
// 400 distinct (ward, camera): 27 per ward, the last ward 22 (15 × 27 = 405)
const seen = new Set<string>();
for (const c of cameras) {
  const key = `${c.ward}/${c.camera}`;
  if (seen.has(key)) throw new Error(`duplicate camera ${key}`);
  seen.add(key);
}
const totalWeight = cameras.reduce((a, c) => a + c.weight, 0);
/** Traffic through the day (local hour, UTC+7): quiet at night, peaks at 7–8 and 17–18. */
const DIURNAL = [0.15, 0.1, 0.08, 0.08, 0.15, 0.4, 0.9, 1.6, 1.7, 1.3, 1.1, 1.1, 1.2, 1.1, 1.1, 1.2, 1.4, 1.8, 1.8, 1.4, 1.1, 0.9, 0.6, 0.3];
const diurnalMean = DIURNAL.reduce((a, b) => a + b, 0) / 24;
const LABEL_MIX = [['motorcycle', 68], ['car', 14], ['person', 9], ['bicycle', 3], ['truck', 4], ['bus', 2]] as const;
const COLOUR_MIX = [['white', 22], ['black', 20], ['grey', 12], ['silver', 12], ['red', 10], ['blue', 9], ['yellow', 4], ['green', 3], ['brown', 4], ['orange', 4]] as const;
// a thumbnail-sized JPEG stand-in (FF D8 FF …): the hub stores the bytes, it does not decode them
const THUMB = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2400, 0x55), Buffer.from([0xff, 0xd9])]).toString('base64');

function sighting(c: BenchCamera, first: number): Sighting {
  const label = weighted(LABEL_MIX);
  const vehicle = label !== 'person';
  const stay = label === 'person' ? 8000 + rnd() * 20_000 : 2000 + rnd() * 10_000;
  const lines = c.lines.length && rnd() < 0.7 ? [{ line: pick(c.lines), direction: rnd() < 0.5 ? ('forward' as const) : ('backward' as const), at: Math.round(first + stay / 2) }] : [];
  return {
    id: ulidAt(first),
    camera: c.camera,
    label,
    first,
    last: Math.round(first + stay),
    score: Math.round((0.5 + rnd() * 0.45) * 100) / 100,
    box: { x: 0.3, y: 0.4, w: 0.1, h: 0.12 },
    bestAt: Math.round(first + stay / 3),
    heading: rnd() < 0.1 ? null : Math.floor(rnd() * 360),
    lines,
    zones: rnd() < 0.3 ? [{ zone: 'crossing', seconds: Math.round(rnd() * 40) }] : [],
    ...(vehicle ? { colour: weighted(COLOUR_MIX) } : {}),
    ...(vehicle && rnd() < THUMB_SHARE ? { thumbnail: THUMB } : {}),
    final: true,
  };
}

function item(ward: string, topic: string, payload: unknown): BatchItem {
  const decoded = decodeMessage(topic, Buffer.from(JSON.stringify(payload)));
  if (!decoded.ok) throw new Error(`bench message refused: ${decoded.reason}`);
  return { box: ward, topic, decoded: { ok: true, message: decoded.message } };
}

const dir = values.root ?? mkdtempSync(path.join(tmpdir(), 'ww-bench-search-'));
const root = path.join(dir, 'data');
const END = Math.floor(Date.now() / MIN) * MIN;
const START = END - DAYS * DAY;
const dbFile = path.join(root, storePaths.db);
const reuse = existsSync(dbFile);

console.log(`bench:search — ${DAYS} day(s) × ${PER_DAY.toLocaleString('en')} sightings, 400 cameras; data in ${dir}${reuse ? ' (reused)' : ''}; load ${load()}`);
let fillPerS = 0;
let filled = 0;
{
  const store = openHubStore(root);
  await store.syncWards(WARDS.map((id) => ({ id, name: id })));
  const clock = () => Date.now();
  const audit = createAudit(store.sql, { clock });
  const accounts = createAccounts(store.sql, { audit, clock, wards: WARDS });
  if (!(await accounts.get('bench'))) {
    await accounts.addUser({ name: 'bench', role: 'operator', password: 'bench-pass-1' }, { actor: 'cli:bench', ip: null });
  }
  const writer = new IndexWriter({ store, retrievals: new RetrievalStore(store.sql, audit), wardOf: (box) => box, logger: silentLogger(), clock });
  const apply = async (items: BatchItem[]) => {
    const { outcomes } = await writer.applyBatch(items);
    const bad = outcomes.find((o) => !o.ok);
    if (bad && !bad.ok) throw bad.error as Error;
  };
  // positions, as the boxes' camera status carries them
  await apply(cameras.map((c) => item(c.ward, topics.cameraStatus(c.ward, c.camera), { ward: c.ward, camera: c.camera, state: 'recording', at: END, lastSegmentAt: END, gapsToday: 0, bytesPerSecond: 500_000, detectFps: 5, location: { lat: c.lat, lon: c.lon } })));

  if (!reuse || (store.db.prepare('SELECT count(*) FROM sightings').pluck().get() as number) === 0) {
    // sightings, in time order: every camera's batch of each 5 s that saw something is one message
    const perSlotMean = PER_DAY / (DAY / (BATCH_S * 1000)) / totalWeight;
    const started = performance.now();
    let batch: BatchItem[] = [];
    let lastReport = performance.now();
    for (let slot = START; slot < END; slot += BATCH_S * 1000) {
      const hour = new Date(slot + 7 * HOUR).getUTCHours();
      const rate = (perSlotMean * DIURNAL[hour]!) / diurnalMean;
      for (const c of cameras) {
        const n = poisson(rate * c.weight);
        if (n === 0) continue;
        const sightings: Sighting[] = [];
        for (let k = 0; k < n; k++) sightings.push(sighting(c, slot - 15_000 + Math.floor(rnd() * 5000)));
        const msg: SightingsMessage = { msgId: ulidAt(slot), ward: c.ward, camera: c.camera, sightings: sightings.slice(0, 500) };
        batch.push(item(c.ward, topics.sightings(c.ward), msg));
        filled += msg.sightings.length;
        if (batch.length >= 1000) {
          await apply(batch);
          batch = [];
        }
      }
      if (performance.now() - lastReport > 30_000) {
        lastReport = performance.now();
        console.log(`  filled ${filled.toLocaleString('en')} sightings up to ${new Date(slot).toISOString()} — ${Math.round(filled / ((performance.now() - started) / 1000))}/s, load ${load()}`);
      }
    }
    if (batch.length) await apply(batch);
    fillPerS = Math.round(filled / ((performance.now() - started) / 1000));
    console.log(`filled ${filled.toLocaleString('en')} sightings in ${((performance.now() - started) / 1000).toFixed(0)} s: ${fillPerS}/s through the ingest writer (no broker), load ${load()}`);

    // per-minute counts for ward p01's counting cameras, 8 days back (the dashboard reads 7 days), and for the
    // dashboard's camera 29 days back (the usual: the same hour 1–4 weeks back)
    const countStart = performance.now();
    const wardCams = cameras.filter((c) => c.ward === 'p01' && c.lines.length);
    batch = [];
    let minutes = 0;
    for (let m = END - 29 * DAY; m < END; m += MIN) {
      const hour = new Date(m + 7 * HOUR).getUTCHours();
      for (const c of m < END - 8 * DAY ? wardCams.slice(0, 1) : wardCams) {
        const counts: CountsMessage['counts'] = [];
        for (const line of c.lines) {
          for (const direction of ['forward', 'backward'] as const) {
            for (const [label, share] of [['motorcycle', 0.7], ['car', 0.15], ['truck', 0.05], ['bus', 0.02]] as const) {
              const n = poisson(((6 * c.weight * DIURNAL[hour]!) / diurnalMean) * share);
              if (n > 0) counts.push({ line, direction, label, n });
            }
          }
        }
        batch.push(item(c.ward, topics.counts(c.ward), { msgId: ulidAt(m), ward: c.ward, camera: c.camera, minute: m, counts }));
        minutes++;
        if (batch.length >= 1000) {
          await apply(batch);
          batch = [];
        }
      }
    }
    if (batch.length) await apply(batch);
    console.log(`counts: ${minutes.toLocaleString('en')} camera-minutes of ${wardCams.length} cameras in ${((performance.now() - countStart) / 1000).toFixed(0)} s`);
  } else {
    filled = store.db.prepare('SELECT count(*) FROM sightings').pluck().get() as number;
    console.log(`reusing ${filled.toLocaleString('en')} sightings`);
  }
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
}

// ---- the real hub on that data ----
const token = 'bench-token-0123456789';
const tokenHash = hashSecret(token);
const config = path.join(dir, 'hub.yaml');
writeFileSync(
  config,
  `district: { name: Bench }\nstorage: { root: ${root} }\nbroker:\n  listeners: [{ type: tcp, host: 127.0.0.1, port: 0 }]\nhttp: { host: 127.0.0.1, port: 0 }\nretention: { sightingDays: ${Math.max(30, Math.ceil(DAYS) + 1)} }\nwards:\n${WARDS.map((id) => `  - { id: ${id}, name: ${id}, tokenHash: '${tokenHash}' }`).join('\n')}\n`,
);
const hub = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'cli/run.ts'), 'hub', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' } });
const ports = await new Promise<{ mqtt: number; http: number }>((resolve, reject) => {
  hub.once('exit', (code) => reject(new Error(`hub exited ${code}`)));
  let mqttPort = 0;
  createInterface({ input: hub.stdout! }).on('line', (line) => {
    let rec: { port?: number; httpPort?: number; listener?: string };
    try {
      rec = JSON.parse(line) as typeof rec;
    } catch {
      return;
    }
    if (rec.listener === 'tcp' && typeof rec.port === 'number') mqttPort = rec.port;
    if (typeof rec.httpPort === 'number' && mqttPort) resolve({ mqtt: mqttPort, http: rec.httpPort });
  });
});
const stop = async () => {
  hub.kill('SIGTERM');
  await new Promise((resolve) => hub.once('exit', resolve));
};

try {
  // ---- ingest over MQTT into the full index: 15 wards, each publishing its busy cameras' 5-second batches ----
  const ingestSeconds = Number(values['ingest-seconds']);
  // one at a time: 15 logins at once from one address are more than the login throttle lets through together
  const clients: mqtt.MqttClient[] = [];
  for (const id of WARDS) clients.push(await mqtt.connectAsync({ host: '127.0.0.1', port: ports.mqtt, protocolVersion: 4, username: `ward-${id}`, password: token, clientId: `ward-${id}`, reconnectPeriod: 0 }));
  let acked = 0;
  let t = END;
  const ingestStart = performance.now();
  const deadline = ingestStart + ingestSeconds * 1000;
  await Promise.all(
    clients.map(
      (client, w) =>
        new Promise<void>((resolve, reject) => {
          const mine = cameras.filter((c) => c.ward === WARDS[w]);
          let inFlight = 0;
          const next = () => {
            if (performance.now() > deadline) {
              if (inFlight === 0) resolve();
              return;
            }
            const c = pick(mine);
            t += 10;
            // a busy crossing's 5 s at the evening peak: ~5 objects
            const sightings = Array.from({ length: 5 }, () => sighting(c, t));
            inFlight++;
            client.publish(topics.sightings(c.ward), JSON.stringify({ msgId: ulidAt(t), ward: c.ward, camera: c.camera, sightings }), { qos: 1 }, (err) => {
              inFlight--;
              if (err) return reject(err);
              acked += sightings.length;
              next();
            });
          };
          for (let i = 0; i < 50; i++) next();
        }),
    ),
  );
  const ingestPerS = Math.round(acked / ((performance.now() - ingestStart) / 1000));
  await Promise.all(clients.map((c) => c.endAsync()));
  console.log(`ingest over MQTT into the full index: ${acked.toLocaleString('en')} sightings in ${ingestSeconds} s: ${ingestPerS}/s (PUBACK after commit), load ${load()}`);

  // ---- searches over HTTP ----
  const api = new Client(`http://127.0.0.1:${ports.http}`);
  // the first run changes the initial password; a run on its data (--root) logs in with the new one
  let login = await api.login('bench', 'bench-pass-1', 'bench-pass-2');
  if (login.status !== 200) login = await api.login('bench', 'bench-pass-2');
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.json)}`);
  const VEHICLES = [['motorcycle', 5], ['car', 3], ['truck', 1], ['bus', 1]] as const;
  const place = (): string => {
    const c = pick(cameras);
    return pick([`&wards=${c.ward}`, `&near=${c.ward}/${c.camera}&radius=500`, '']);
  };
  const timed = async (url: string) => {
    const t0 = performance.now();
    const r = await api.get(url);
    const elapsed = performance.now() - t0;
    if (r.status !== 200) throw new Error(`${url}: ${r.status} ${JSON.stringify(r.json)}`);
    return { ms: elapsed, json: r.json };
  };
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
  const round = (x: number) => Math.round(x * 10) / 10;
  const runSearches = async (windowMs: number, name: string) => {
    const times: number[] = [];
    const totals: number[] = [];
    for (let q = 0; q < QUERIES; q++) {
      const to = Math.max(START + windowMs, END - Math.floor(rnd() * Math.max(0, END - START - windowMs) / MIN) * MIN);
      const url = `/api/sightings?from=${to - windowMs}&to=${to}&labels=${weighted(VEHICLES)}&colours=${weighted(COLOUR_MIX)}${place()}&limit=50`;
      const r = await timed(url);
      times.push(r.ms);
      totals.push((r.json.total as { n: number }).n);
    }
    console.log(`search ${name} (label + colour, a ward / 500 m around a camera / the district, first page of 50 with its total): p50 ${round(pct(times, 50))} ms, p95 ${round(pct(times, 95))} ms, max ${round(Math.max(...times))} ms; totals p50 ${pct(totals, 50)}, max ${Math.max(...totals)}; load ${load()}`);
    return round(pct(times, 95));
  };
  const search1h = await runSearches(HOUR, '1 h');
  const search24h = await runSearches(DAY, '24 h');

  // ---- the dashboard of one camera (7 days by hour and day, peak, now against 4 weeks back) ----
  const dashCam = cameras.find((c) => c.ward === 'p01' && c.lines.length)!;
  const dash: number[] = [];
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 20; i++) {
    const r = await timed(`/api/indicators/dashboard?ward=${dashCam.ward}&camera=${dashCam.camera}`);
    dash.push(r.ms);
    last = r.json;
  }
  const wardDash = await timed(`/api/indicators/dashboard?ward=${dashCam.ward}`);
  const dashboard7d = round(pct(dash, 95));
  const week = (last.last7d as { n: number }[]).reduce((a, d) => a + d.n, 0);
  console.log(`dashboard of ${dashCam.ward}/${dashCam.camera} over 7 days (${week.toLocaleString('en')} crossings; usual ${JSON.stringify(last.usual)}): p50 ${round(pct(dash, 50))} ms, p95 ${dashboard7d} ms; of its ward (${cameras.filter((c) => c.ward === 'p01' && c.lines.length).length} counting cameras): ${round(wardDash.ms)} ms; load ${load()}`);

  const hubRss = Math.round(await rssMb(hub.pid!));
  await stop();
  let bytes = 0;
  for (const f of [dbFile, `${dbFile}-wal`]) if (existsSync(f)) bytes += statSync(f).size;
  const result = {
    sightings: filled + acked,
    ingest_per_s: ingestPerS,
    search_1h_p95_ms: search1h,
    search_24h_p95_ms: search24h,
    dashboard_7d_ms: dashboard7d,
    hub_rss_mb: hubRss,
    db_gb: Math.round((bytes / 1e9) * 100) / 100,
    days: DAYS,
    fill_per_s: fillPerS || null,
    queries: QUERIES,
    load: load(),
  };
  console.log(JSON.stringify(result));
} catch (err) {
  await stop();
  throw err;
} finally {
  if (!values.keep && !values.root) rmSync(dir, { recursive: true, force: true });
}
