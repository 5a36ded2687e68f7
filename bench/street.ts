// The box on a busy street: counting-line accuracy, identity switches, incidents with and without rules, the
// uplink a busy camera costs, CPU and memory. A real box in this process (recording, detection, sightings, counts,
// alerts, outbox in SQLite) watching fake cameras in a child process.
//
//   npm run bench:street [-- --seconds 300 --warmup 20]             the dense `street` scene (exact ground truth)
//   npm run bench:street -- --clips DIR [--seconds 300]              every MP4 in DIR as a busy camera, looped
//
// Dense scene: two cameras show it; `cam-plain` has the counting lines and zones but no alert rule (so every
// incident it raises is a false one), `cam-rules` adds a dwell rule on the bus-stop bay (the scene's stoppers must
// raise exactly one alert each). With --clips, each clip with a counts file in bench/street-counts/<name>.json
// (counts made by eye, per loop) is checked against it; the others give count figures of null.
// The last line is one JSON object.
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ResolvedCamera } from '../shared/config/load.js';
import { countsMessageSchema, sightingsMessageSchema, type CountsMessage, type Sighting } from '../shared/contract/index.js';
import { openDb } from '../shared/db.js';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { createLogger } from '../shared/log.js';
import { edgeMigrations } from '../edge/db.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { RecordStore } from '../edge/record/store.js';
import { Outbox } from '../edge/uplink/outbox.js';
import { startCameraFarm } from '../test-fixtures/camera/index.js';
import { expectedStoppers, type CountingLine } from '../test-fixtures/camera/path-truth.js';
import type { GroundTruth } from '../test-fixtures/camera/scenes.js';
import { STREET_LINES, STREET_ZONES } from '../test-fixtures/camera/street-scene.js';
import { boxCamera, boxParts } from '../test/box.js';
import { bestPassage, group, passagesIn, quantile, truthCounts, type Passage } from './passages.js';
import { childrenOf, cpuSeconds, round } from './proc.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '20' },
    clips: { type: 'string' },
    model: { type: 'string', default: packagedModel().path },
    threads: { type: 'string', default: '2' },
    'dwell-seconds': { type: 'string', default: '12' },
    farm: { type: 'boolean', default: false },
    files: { type: 'string' },
  },
});

/** The rule cam-rules carries: a vehicle standing in the bus-stop bay. */
const DWELL_SECONDS = Number(values['dwell-seconds']);
const LOOP_SECONDS = 60;
const COUNTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'street-counts');

interface FarmCamera {
  id: string;
  main: string;
  sub: string;
  loopStartedAtMs: number | undefined;
  groundTruth: GroundTruth | undefined;
  file: string | undefined;
}

// ---------------------------------------------------------------------------------------------

interface ByEyeCounts {
  /** what was counted, and how */
  note: string;
  lines: CountingLine[];
  /** per loop of the clip: line → direction → group → n */
  perLoop: Record<string, Record<'forward' | 'backward', Record<string, number>>>;
}

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`street bench: load average at start ${load()} (2-core box)`);

  let files: string[] = [];
  if (values.clips !== undefined) {
    if (!existsSync(values.clips)) {
      console.error(`--clips ${values.clips}: no such folder (the real street clips live outside the project, e.g. ../shared/media/streets/)`);
      process.exit(64);
    }
    files = readdirSync(values.clips).filter((f) => f.endsWith('.mp4')).sort().map((f) => path.resolve(values.clips!, f));
    if (files.length === 0) {
      console.error(`--clips ${values.clips}: no .mp4 files there`);
      process.exit(64);
    }
  }

  const farmProcess = fork(fileURLToPath(import.meta.url), ['--farm', ...(files.length ? ['--files', files.join('\n')] : [])], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const cameras = await new Promise<FarmCamera[]>((resolve, reject) => {
    farmProcess.once('message', (m: { type: string; cameras: FarmCamera[] }) => resolve(m.cameras));
    farmProcess.once('exit', (code) => reject(new Error(`camera farm exited (${code})`)));
  });
  const describeFarm = () =>
    new Promise<FarmCamera[]>((resolve) => {
      farmProcess.once('message', (m: { cameras: FarmCamera[] }) => resolve(m.cameras));
      farmProcess.send({ type: 'describe' });
    });

  // the cameras' layout: the dense scene's lines and zones, or a clip's by-eye lines
  const byEye = new Map<string, ByEyeCounts>();
  for (const f of files) {
    const file = path.join(COUNTS_DIR, `${path.basename(f, '.mp4')}.json`);
    if (existsSync(file)) byEye.set(f, JSON.parse(readFileSync(file, 'utf8')) as ByEyeCounts);
  }
  const resolved = cameras.map((c, i): ResolvedCamera => {
    const dense = files.length === 0;
    const id = dense ? (i === 0 ? 'cam-plain' : 'cam-rules') : `clip-${i + 1}`;
    const lines = dense ? STREET_LINES : (byEye.get(c.file!)?.lines ?? []);
    return boxCamera(id, c.main, c.sub, {
      name: dense ? id : path.basename(c.file!),
      zones: dense ? STREET_ZONES.map((z) => ({ id: z.id, polygon: z.polygon.map(([x, y]): [number, number] => [x, y]) })) : [],
      lines: lines.map((l) => ({ id: l.id, name: l.id, points: [[...l.points[0]], [...l.points[1]]], directions: { forward: 'forward', backward: 'backward' } })),
      alerts: dense && i === 1 ? [{ id: 'stopped-in-bay', kind: 'dwell', zone: 'stop-area', labels: ['car', 'truck', 'bus', 'motorcycle', 'bicycle'], seconds: DWELL_SECONDS }] : [],
    });
  });

  const root = mkdtempSync(path.join(tmpdir(), 'ww-bench-street-'));
  const tools = await locateFfmpeg();
  const db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  const store = new RecordStore(db);
  const outbox = new Outbox(db, 'bench');
  const logger = createLogger({ name: 'bench', level: 'warn', destination: process.stderr });
  const box = boxParts({ cameras: resolved, db, store, outbox, tools, logger, root, modelPath: values.model, threads: Number(values.threads) });
  await box.start();
  console.log(`${resolved.length} busy camera${resolved.length > 1 ? 's' : ''} (${files.length ? 'clips' : 'the dense street scene'}): ${warmup} s warm-up, then ${seconds} s measured`);
  await sleep(warmup * 1000);

  const t0 = Date.now();
  const firstSeq = (db.prepare('SELECT max(seq) FROM outbox').pluck().get() as number | null) ?? 0;
  const pids = async () => [process.pid, ...(await childrenOf(process.pid))];
  const before = new Map<number, number>();
  for (const pid of await pids()) before.set(pid, await cpuSeconds(pid));
  let rssMax = 0;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 1000);
  const progress = setInterval(() => console.log(`  ${Math.round((Date.now() - t0) / 1000)} s / ${seconds} s, load ${load()}`), 60_000);
  await sleep(seconds * 1000);
  clearInterval(progress);
  const t1 = Date.now();
  let used = 0;
  for (const pid of await pids()) used += (await cpuSeconds(pid)) - (before.get(pid) ?? 0);
  const edgeCpuPct = (used / ((t1 - t0) / 1000)) * 100;
  clearInterval(rssTimer);
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  const farmNow = await describeFarm();

  // let the last sightings of the window reach the outbox (batches every 5 s, tracks end ~1.5 s after leaving), and
  // the last whole minute's counts (sent once the minute is over and its grace has passed: later on a loaded box)
  await sleep(8000);
  const lastWhole = Math.floor(t1 / 60_000) * 60_000 - 60_000;
  const countsOf = db.prepare("SELECT count(*) FROM outbox WHERE seq > ? AND topic LIKE '%/counts' AND json_extract(CAST(payload AS TEXT), '$.minute') = ?").pluck();
  for (const waitUntil = Date.now() + 30_000; Date.now() < waitUntil && (countsOf.get(firstSeq, lastWhole) as number) < resolved.length; ) await sleep(1000);
  const rows = db.prepare('SELECT seq, topic, payload, created_at AS at FROM outbox WHERE seq > ? ORDER BY seq').all(firstSeq) as { seq: number; topic: string; payload: Buffer; at: number }[];
  await box.stop();
  farmProcess.kill();

  // ---- what the box sent
  const inWindow = (at: number) => at >= t0 && at < t1;
  const sightings: Sighting[] = [];
  const counts: CountsMessage[] = [];
  let uplinkBytes = 0;
  for (const r of rows) {
    if (r.topic.endsWith('/sightings')) {
      const m = sightingsMessageSchema.parse(JSON.parse(r.payload.toString()));
      sightings.push(...m.sightings);
      if (inWindow(r.at)) uplinkBytes += r.payload.length + r.topic.length;
    } else if (r.topic.endsWith('/counts')) {
      const m = countsMessageSchema.parse(JSON.parse(r.payload.toString()));
      counts.push(m);
      if (inWindow(r.at)) uplinkBytes += r.payload.length + r.topic.length;
    }
  }
  const started = db.prepare('SELECT camera, count(*) AS n FROM events WHERE start_ms >= ? AND start_ms < ? GROUP BY camera').all(t0, t1) as { camera: string; n: number }[];
  const incidents = new Map(started.map((r) => [r.camera, r.n]));
  const finals = sightings.filter((s) => s.final && s.first >= t0 && s.first < t1);
  const minutes = (t1 - t0) / 60_000;

  // ---- counts: whole minutes inside the window, against the truth (or the by-eye counts) over the same time
  const firstMinute = Math.ceil(t0 / 60_000) * 60_000;
  const lastMinute = Math.floor(t1 / 60_000) * 60_000; // exclusive
  const countError = { abs: 0, truth: 0 };
  const cells: string[] = [];
  let countsKnown = false;
  resolved.forEach((cam, i) => {
    const farmCam = farmNow[i]!;
    const measured = new Map<string, number>();
    for (const m of counts.filter((m) => m.camera === cam.id && m.minute >= firstMinute && m.minute < lastMinute)) {
      for (const c of m.counts) measured.set(`${c.line} ${c.direction} ${group(c.label)}`, (measured.get(`${c.line} ${c.direction} ${group(c.label)}`) ?? 0) + c.n);
    }
    let truth = new Map<string, number>();
    if (farmCam.groundTruth && farmCam.loopStartedAtMs !== undefined) {
      countsKnown = true;
      truth = truthCounts(farmCam.groundTruth, farmCam.loopStartedAtMs, STREET_LINES, firstMinute, lastMinute);
    } else if (farmCam.file && byEye.has(farmCam.file)) {
      countsKnown = true;
      const eye = byEye.get(farmCam.file)!;
      const loops = (lastMinute - firstMinute) / 1000 / clipSeconds(farmCam.file);
      for (const [line, dirs] of Object.entries(eye.perLoop)) {
        for (const [direction, groups] of Object.entries(dirs)) for (const [g, n] of Object.entries(groups)) truth.set(`${line} ${direction} ${g}`, n * loops);
      }
    } else return;
    for (const key of new Set([...measured.keys(), ...truth.keys()])) {
      const m = measured.get(key) ?? 0;
      const t = truth.get(key) ?? 0;
      countError.abs += Math.abs(m - t);
      countError.truth += t;
      cells.push(`${cam.id} ${key}: counted ${m}, truth ${round(t)}${t > 0 ? ` (${round(((m - t) / t) * 100)} %)` : ''}`);
    }
  });
  const reported = (cam: string) => [...new Set(counts.filter((m) => m.camera === cam && m.minute >= firstMinute && m.minute < lastMinute).map((m) => m.minute))].length;
  console.log(`minutes with a counts message: ${resolved.map((c) => `${c.id} ${reported(c.id)}`).join(', ')}`);
  console.log(`counts over ${(lastMinute - firstMinute) / 60_000} whole minutes:\n  ${cells.join('\n  ') || '(no counting lines)'}`);

  // ---- identity: each ground-truth passage should be one sighting. Each sighting goes to the one passage its best
  // box fits best (one to one: in a dense lane, a loose test would let one sighting fit its neighbours too)
  let objects = 0;
  let switches = 0;
  let missed = 0;
  const lags: number[] = [];
  const byKind = new Map<string, { passages: number; missed: number; extra: number }>();
  resolved.forEach((cam, i) => {
    const farmCam = farmNow[i]!;
    if (!farmCam.groundTruth || farmCam.loopStartedAtMs === undefined) return;
    const truth = farmCam.groundTruth;
    const passages: (Passage & { sightings: number })[] = passagesIn(truth, farmCam.loopStartedAtMs, t0, t1).map((p) => ({ ...p, sightings: 0 }));
    for (const s of finals.filter((f) => f.camera === cam.id)) {
      const best = bestPassage(s, passages, truth);
      if (best) {
        best.passage.sightings++;
        lags.push(best.lagMs);
      }
    }
    objects += passages.length;
    for (const p of passages) {
      if (p.sightings === 0) missed++;
      else switches += p.sightings - 1;
      const kind = `${p.o.label}${p.o.riders ? '+rider' : ''}`;
      const k = byKind.get(kind) ?? { passages: 0, missed: 0, extra: 0 };
      k.passages++;
      if (p.sightings === 0) k.missed++;
      else k.extra += p.sightings - 1;
      byKind.set(kind, k);
    }
  });

  // ---- alerts: the dwell rule against the scene's stoppers
  let alertsExpected: number | null = null;
  let alertsRaised: number | null = null;
  const rulesCam = resolved.findIndex((c) => c.alerts.length > 0);
  if (rulesCam >= 0) {
    const farmCam = farmNow[rulesCam]!;
    const truth = farmCam.groundTruth!;
    const zone = STREET_ZONES.find((z) => z.id === 'stop-area')!;
    const stays = expectedStoppers(truth, zone, DWELL_SECONDS + 2); // a margin: a stay just at the threshold may go either way
    const loopMs = truth.loopSeconds * 1000;
    alertsExpected = 0;
    for (let k = Math.floor((t0 - farmCam.loopStartedAtMs!) / loopMs) - 1; farmCam.loopStartedAtMs! + k * loopMs < t1; k++) {
      for (const s of stays) {
        const reached = farmCam.loopStartedAtMs! + k * loopMs + (s.from + DWELL_SECONDS) * 1000;
        if (reached >= t0 + 10_000 && reached < t1 - 10_000) alertsExpected++;
      }
    }
    // alerts that started in the same part of the window
    alertsRaised = db.prepare('SELECT count(*) FROM events WHERE camera = ? AND start_ms + ? >= ? AND start_ms + ? < ?').pluck().get(resolved[rulesCam]!.id, DWELL_SECONDS * 1000, t0 + 10_000, DWELL_SECONDS * 1000, t1 - 10_000) as number;
  }
  const plain = resolved.filter((c) => c.alerts.length === 0);
  const incidentsWithoutRules = plain.reduce((n, c) => n + (incidents.get(c.id) ?? 0), 0);

  const figures = {
    count_error_pct: countsKnown && countError.truth > 0 ? round((countError.abs / countError.truth) * 100) : null,
    id_switch_pct: objects > 0 ? round((switches / objects) * 100) : null,
    incidents_without_rules: incidentsWithoutRules,
    alerts_expected: alertsExpected,
    alerts_raised: alertsRaised,
    sightings_per_min_per_camera: round(finals.length / minutes / resolved.length),
    uplink_kbit_s_per_busy_camera: round((uplinkBytes * 8) / 1000 / ((t1 - t0) / 1000) / resolved.length, 2),
    edge_cpu_pct: round(edgeCpuPct),
    edge_rss_mb: Math.round(rssMax / 1024 / 1024),
  };
  console.log(`ground-truth passages ${objects}: ${missed} without a sighting, ${switches} extra sightings (identity switches)`);
  const q = (p: number) => quantile(lags, p) ?? 0;
  console.log(`  sighting time − truth time at the best fit: p10 ${q(0.1)} ms, median ${q(0.5)} ms, p90 ${q(0.9)} ms`);
  for (const [kind, k] of byKind) console.log(`  ${kind}: ${k.passages} passages, ${k.missed} without a sighting, ${k.extra} extra`);
  console.log(`load average at end ${load()}`);
  rmSync(root, { recursive: true, force: true });
  console.log(JSON.stringify(figures));
  process.exit(0);
}

function clipSeconds(file: string): number {
  const eye = JSON.parse(readFileSync(path.join(COUNTS_DIR, `${path.basename(file, '.mp4')}.json`), 'utf8')) as { clipSeconds?: number };
  if (!eye.clipSeconds) throw new Error(`${file}: its counts file must say clipSeconds (the loop length)`);
  return eye.clipSeconds;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// Run: the fake cameras in their own process (their feeders must not share the box's event loop), or the box

if (values.farm) {
  const files = values.files ? values.files.split('\n') : [];
  const farm = files.length > 0 ? await startCameraFarm({ files }) : await startCameraFarm({ count: 2, scenes: ['street'], loopSeconds: LOOP_SECONDS });
  const describe = (): FarmCamera[] =>
    farm.cameras.map((c, i) => ({
      id: c.id,
      main: c.urlWithCredentials('main'),
      sub: c.urlWithCredentials('sub'),
      loopStartedAtMs: c.groundTruth ? c.loopStartedAtMs(Date.now(), 'sub') : undefined,
      groundTruth: c.groundTruth ?? undefined,
      file: files[i],
    }));
  process.send!({ type: 'up', cameras: describe() });
  process.on('disconnect', () => void farm.stop().then(() => process.exit(0)));
  process.on('message', (m: { type: string }) => {
    if (m.type === 'describe') process.send!({ type: 'cameras', cameras: describe() });
  });
} else {
  await main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
