// Detector capacity bench: a whole box — 32 fake cameras decoded, detected, tracked, counted and recorded — with 4, 8,
// 16 and 32 of them showing the dense street scene (20–40 objects at once, always in motion) and the rest quiet. Per
// row: each busy camera's effective detect rate, frames lost (the detector could not take them in time) and frames
// skipped by the overload plan (counted apart), the edge's CPU and memory, entry → first sighting, and the count error
// on the scene's lines.
//
//   npm run bench:detect [-- --cameras 32 --busy 4,8,16,32 --fps 5 --seconds 150 --warmup 20 --shape frame|square --model FILE]
//
// --shape frame (the default) runs the model with its input shaped like the frame, as `wardwatch provision model`
// installs it; --shape square runs it as given (the packaged 416×416 model, frames letterboxed: a box nobody provisioned).
//
// The fake cameras run in a child process of their own, so their RTSP serving is not counted as the box's CPU.
// The last line is one JSON object:
//   {rows: [{busy, fps_per_busy, lost_pct, planned_skip_pct, edge_cpu_pct, edge_rss_mb, latency_p95_ms, count_error_pct}, …]}
// latency_p95_ms, entry → first sighting: per ground-truth passage on the busy cameras (bench/passages.ts, as
// bench/street.ts matches them), the wall clock when the box first held a confirmed track of it (the detection service's
// onTracks: the tracker's answer for a frame) minus the wall clock when the object became wholly in the picture (the
// farm's loop start is wall clock on this machine). Every confirmed track's box in every detected frame goes to the
// passage it fits best at that frame's time (IoU ≥ 0.3, ±300 ms), so a passage is held from the first frame any
// confirmed track is on it — also when the track that first followed it later took over a neighbour (a far walker's
// track going on with the next walker: judged by its best box, the first walker looked never seen). Passages never held
// are counted as missed and left out of the percentile; p50, p95 and the numbers of passages are printed per row, by
// kind of object, and from the later of entry and the holding track's first detection (the tracker's hits and the
// pipeline's delay alone). Also printed: the intervals between a busy camera's detected frames, what the tracker
// predicts over (gaps over its 1.5 s coast end every moving track: on a starved box that, more than the mean rate, is
// what the count error follows), and a frame's delay from capture to the tracker's answer.
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { countsMessageSchema, type CountsMessage } from '../shared/contract/index.js';
import { detectDefaults } from '../shared/config/edge.js';
import { openDb } from '../shared/db.js';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { createLogger } from '../shared/log.js';
import { startCameraFarm, STREET_LINES, type GroundTruth } from '../test-fixtures/camera/index.js';
import { edgeMigrations } from '../edge/db.js';
import { packagedModel } from '../edge/detect/model-file.js';
import type { TrackerUpdate } from '../edge/detect/track.js';
import { normaliseBox } from '../edge/geometry.js';
import { boxCamera, boxParts } from '../test/box.js';
import { RecordStore } from '../edge/record/store.js';
import { Outbox } from '../edge/uplink/outbox.js';
import { benchModel } from './model-input.js';
import { fullyInAt, heldPassages, group, passagesIn, quantile, truthCounts, type Seen } from './passages.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: packagedModel().path },
    shape: { type: 'string', default: 'frame' },
    cameras: { type: 'string', default: '32' },
    busy: { type: 'string', default: '4,8,16,32' },
    fps: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '150' },
    warmup: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
    farm: { type: 'boolean', default: false },
  },
});

const CLK_TCK = 100; // Linux USER_HZ
const LOOP_SECONDS = 60;

interface FarmCamera {
  id: string;
  scene: string;
  main: string;
  sub: string;
  loopStartedAtMs: number | undefined;
  groundTruth: GroundTruth;
}

// ---------------------------------------------------------------------------------------------
// The camera farm, in its own process

// ---------------------------------------------------------------------------------------------
// The box

interface Row {
  busy: number;
  fps_per_busy: number;
  lost_pct: number;
  planned_skip_pct: number;
  edge_cpu_pct: number;
  edge_rss_mb: number;
  latency_p95_ms: number | null;
  count_error_pct: number | null;
}

/** Entry → first sighting over one row's passages (printed beside the row; the last line keeps the fields). */
interface Latency {
  passages: number;
  confirmed: number;
  missed: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** A confirmed track in one detected frame: its box (normalised like a sighting's) at that frame's time. */
type Hold = Seen & { camera: string; track: number; nowMs: number; firstDetectedMs: number };

/**
 * What the bench reads from the detection service's onTracks: every confirmed track's box in every detected frame, with
 * the wall clock the box had it (so a passage is held from the first frame a confirmed track fits it, whether that
 * track was confirmed on it or took it over from a neighbour later); and per frame the interval since the camera's
 * previous detected frame (what the tracker predicts over) and the delay from capture to the tracker's answer.
 */
class TrackWatch {
  readonly holds: Hold[] = [];
  /** per camera: [frame time, ms since its previous detected frame] */
  readonly intervals = new Map<string, [number, number][]>();
  /** per camera: [frame time, ms from the frame's capture to the tracker's answer] (the pipeline's delay) */
  readonly delays = new Map<string, [number, number][]>();
  private readonly lastFrameMs = new Map<string, number>();

  constructor(private readonly frameSize: ReadonlyMap<string, { width: number; height: number }>) {}

  /** `frame`: whether the update is a detected frame's (not the stop's), and `frameMs` its time */
  observe(camera: string, update: TrackerUpdate, frame: boolean, frameMs: number): void {
    if (!frame) return;
    const now = Date.now();
    const last = this.lastFrameMs.get(camera);
    if (last !== undefined) push(this.intervals, camera, [frameMs, frameMs - last]);
    this.lastFrameMs.set(camera, frameMs);
    push(this.delays, camera, [frameMs, now - frameMs]);
    const { width, height } = this.frameSize.get(camera)!;
    for (const t of update.tracks) {
      if (!t.confirmed) continue;
      this.holds.push({ camera, track: t.id, label: t.label, box: normaliseBox(t.box, width, height), bestAt: frameMs, first: frameMs, last: frameMs, nowMs: now, firstDetectedMs: t.firstSeenMs });
    }
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
}

const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const busyList = values.busy.split(',').map(Number);
  if (busyList.some((b) => !Number.isInteger(b) || b < 0 || b > Number(values.cameras))) {
    throw new Error(`--busy must list whole numbers between 0 and --cameras (got ${values.busy})`);
  }
  const model = benchModel(values.model, values.shape);
  console.log(`detect capacity bench: load average at start ${load()} (2-core box; other engineers' runs share it); model ${model.what}`);
  const rows: { row: Row; latency: Latency }[] = [];
  try {
    for (const busy of busyList) {
      const one = await runOne(busy, model.path);
      rows.push(one);
      console.log(`row ${JSON.stringify(one.row)} | entry → first sighting ${JSON.stringify(one.latency)} | load ${load()}`);
    }
  } finally {
    model.remove();
  }
  console.log('busy | fps per busy camera | lost % | planned skips % | edge CPU % of one core | RSS MB | entry → first sighting p50 / p95 ms (passages, missed) | count error %');
  for (const { row: r, latency: l } of rows) {
    console.log(`${r.busy} | ${r.fps_per_busy} | ${r.lost_pct} | ${r.planned_skip_pct} | ${r.edge_cpu_pct} | ${r.edge_rss_mb} | ${l.p50Ms ?? '—'} / ${l.p95Ms ?? '—'} (${l.passages}, ${l.missed} missed) | ${r.count_error_pct ?? '—'}`);
  }
  console.log(`load average at end ${load()}`);
  console.log(JSON.stringify({ rows: rows.map((r) => r.row) }));
}

async function runOne(busy: number, modelPath: string): Promise<{ row: Row; latency: Latency }> {
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const count = Number(values.cameras);
  const fps = Number(values.fps);
  const farmProcess = fork(fileURLToPath(import.meta.url), ['--farm', '--cameras', String(count), '--busy', String(busy)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const cameras = await new Promise<FarmCamera[]>((resolve, reject) => {
    farmProcess.once('message', (m: { type: string; cameras: FarmCamera[] }) => resolve(m.cameras));
    farmProcess.once('exit', (code) => reject(new Error(`camera farm exited (${code})`)));
  });
  const root = mkdtempSync(path.join(tmpdir(), 'ww-bench-detect-'));
  const tools = await locateFfmpeg();
  const db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  const store = new RecordStore(db);
  const outbox = new Outbox(db, 'bench');
  const logger = createLogger({ name: 'bench', level: 'warn', destination: process.stderr });
  const line = (l: (typeof STREET_LINES)[number]) => ({ id: l.id, name: l.id, points: [[...l.points[0]], [...l.points[1]]] as [[number, number], [number, number]], directions: { forward: 'forward', backward: 'backward' } });
  const resolved = cameras.map((c) =>
    boxCamera(c.id, c.main, c.sub, { ...(c.scene === 'street' ? { lines: STREET_LINES.map(line) } : {}), detect: { ...detectDefaults, fps, labels: [...detectDefaults.labels] } }),
  );
  const watch = new TrackWatch(new Map(resolved.map((c) => [c.id, { width: c.detect.width, height: c.detect.height }])));
  const box = boxParts({
    cameras: resolved, db, store, outbox, tools, logger, root, modelPath, threads: Number(values.threads),
    onTracks: (camera, frame, update, nowMs) => watch.observe(camera, update, frame !== undefined, nowMs),
  });
  const { detection } = box;
  await box.start();
  const busyIds = new Set(cameras.filter((c) => c.scene === 'street').map((c) => c.id));
  console.log(`${count} cameras, ${busyIds.size} busy (dense street) at ${fps} fps, recording on: ${warmup} s warm-up, then ${seconds} s measured`);
  await sleep(warmup * 1000);

  const farmPid = farmProcess.pid!;
  const cpu0 = cpuTicks(farmPid);
  const before = detection.status().cameras;
  const t0 = Date.now();
  const wall0 = performance.now();
  let rssMax = 0;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 1000);
  await sleep(seconds * 1000);
  const wallMs = performance.now() - wall0;
  const cpu1 = cpuTicks(farmPid);
  const t1 = Date.now();
  const status = detection.status();
  clearInterval(rssTimer);
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  const farmNow = await new Promise<FarmCamera[]>((resolve) => {
    const on = (m: { type: string; cameras: FarmCamera[] }) => {
      if (m.type !== 'cameras') return;
      farmProcess.off('message', on);
      resolve(m.cameras);
    };
    farmProcess.on('message', on);
    farmProcess.send({ type: 'describe' });
  });
  // let the last minute's counts reach the outbox
  await sleep(Math.max(0, Math.ceil(t1 / 60_000) * 60_000 - Date.now()) + 3000);
  const counts: CountsMessage[] = (db.prepare('SELECT topic, payload FROM outbox ORDER BY seq').all() as { topic: string; payload: Buffer }[])
    .filter((r) => r.topic.endsWith('/counts'))
    .map((r) => countsMessageSchema.parse(JSON.parse(r.payload.toString())));
  await box.stop();
  farmProcess.send({ type: 'stop' });
  await new Promise((r) => farmProcess.once('exit', r));
  db.close();
  rmSync(root, { recursive: true, force: true });

  // per busy camera over the window: frames detected, wanted, skipped by plan, lost
  let detected = 0;
  let wanted = 0;
  let skipped = 0;
  let lost = 0;
  let analysed = 0;
  for (const c of status.cameras.filter((c) => busyIds.has(c.camera))) {
    const b = before.find((x) => x.camera === c.camera)!;
    analysed += c.frames - b.frames;
    detected += c.detected - b.detected;
    skipped += c.skipped - b.skipped;
    lost += c.dropped - b.dropped;
    wanted += c.submitted - b.submitted + (c.skipped - b.skipped);
  }
  const selfTicks = cpu1.self - cpu0.self;
  let childTicks = 0;
  for (const [pid, t] of cpu1.children) childTicks += t - (cpu0.children.get(pid) ?? 0);
  const pctOf = (ticks: number) => (ticks / CLK_TCK / (wallMs / 1000)) * 100;
  console.log(
    `  detector capacity estimate ${status.capacityPerS ?? '—'}/s; busy cameras: ${round((analysed * 1000) / wallMs / Math.max(1, busyIds.size), 2)} frames/s analysed each; ${detected} frames detected, ${wanted} wanted, ${skipped} skipped by plan, ${lost} lost;` +
      ` CPU node ${round(pctOf(selfTicks))} %, ffmpeg ${round(pctOf(childTicks))} %`,
  );

  // what the tracker was told: the intervals between each busy camera's detected frames in the window
  const gaps = [...busyIds].flatMap((id) => (watch.intervals.get(id) ?? []).filter(([at]) => at >= t0 && at < t1).map(([, dt]) => dt));
  console.log(
    `  intervals between a busy camera's detected frames (what the tracker predicts over): p50 ${quantile(gaps, 0.5) ?? '—'} ms, p90 ${quantile(gaps, 0.9) ?? '—'} ms, p99 ${quantile(gaps, 0.99) ?? '—'} ms, max ${gaps.length ? gaps.reduce((a, b) => Math.max(a, b)) : '—'} ms; ${round((100 * gaps.filter((g) => g > 1000).length) / Math.max(1, gaps.length))} % over 1 s`,
  );

  const delays = [...busyIds].flatMap((id) => (watch.delays.get(id) ?? []).filter(([at]) => at >= t0 && at < t1).map(([, d]) => d));
  console.log(`  a busy camera's frame from capture to the tracker's answer: p50 ${quantile(delays, 0.5) ?? '—'} ms, p95 ${quantile(delays, 0.95) ?? '—'} ms`);

  // count error: whole minutes inside the window, every busy camera, per line × direction × kind of object
  const firstMinute = Math.ceil(t0 / 60_000) * 60_000;
  const lastMinute = Math.floor(t1 / 60_000) * 60_000;
  let absError = 0;
  let truthTotal = 0;
  for (const cam of farmNow.filter((c) => busyIds.has(c.id) && c.loopStartedAtMs !== undefined)) {
    const measured = new Map<string, number>();
    for (const m of counts.filter((m) => m.camera === cam.id && m.minute >= firstMinute && m.minute < lastMinute)) {
      for (const c of m.counts) measured.set(`${c.line} ${c.direction} ${group(c.label)}`, (measured.get(`${c.line} ${c.direction} ${group(c.label)}`) ?? 0) + c.n);
    }
    const truth = truthCounts(cam.groundTruth, cam.loopStartedAtMs!, STREET_LINES, firstMinute, lastMinute);
    for (const key of new Set([...measured.keys(), ...truth.keys()])) {
      absError += Math.abs((measured.get(key) ?? 0) - (truth.get(key) ?? 0));
      truthTotal += truth.get(key) ?? 0;
    }
  }

  // entry → first sighting: each confirmed track's box in each frame to the passage it fits best; a passage's earliest
  const firstHeld: number[] = [];
  /** the part of it after the holding track's first detection: the tracker's hits and the pipeline's delay */
  const afterFirstDetection: number[] = [];
  const byKind = new Map<string, { passages: number; ms: number[] }>();
  let passageCount = 0;
  for (const cam of farmNow.filter((c) => busyIds.has(c.id) && c.loopStartedAtMs !== undefined)) {
    const passages = passagesIn(cam.groundTruth, cam.loopStartedAtMs!, t0, t1);
    const earliest = new Map<(typeof passages)[number], Hold>();
    for (const [h, passage] of heldPassages(watch.holds.filter((h) => h.camera === cam.id), passages, cam.groundTruth)) {
      if (h.nowMs < (earliest.get(passage)?.nowMs ?? Infinity)) earliest.set(passage, h);
    }
    passageCount += passages.length;
    for (const p of passages) {
      const kind = `${p.o.label}${p.o.riders ? '+rider' : ''}`;
      const k = byKind.get(kind) ?? { passages: 0, ms: [] };
      k.passages++;
      byKind.set(kind, k);
      const h = earliest.get(p);
      if (h === undefined) continue;
      firstHeld.push(Math.round(h.nowMs - fullyInAt(p)));
      k.ms.push(Math.round(h.nowMs - fullyInAt(p)));
      afterFirstDetection.push(Math.round(h.nowMs - Math.max(h.firstDetectedMs, fullyInAt(p))));
    }
  }
  const latency: Latency = {
    passages: passageCount,
    confirmed: firstHeld.length,
    missed: passageCount - firstHeld.length,
    p50Ms: quantile(firstHeld, 0.5),
    p95Ms: quantile(firstHeld, 0.95),
  };
  console.log(
    `  entry → first sighting over ${latency.passages} passages: p50 ${latency.p50Ms ?? '—'} ms, p95 ${latency.p95Ms ?? '—'} ms; ${latency.missed} never confirmed (left out);` +
      ` from the later of entry and the first detection of the track that confirmed it: p50 ${quantile(afterFirstDetection, 0.5) ?? '—'} ms, p95 ${quantile(afterFirstDetection, 0.95) ?? '—'} ms`,
  );
  for (const [kind, k] of byKind) console.log(`    ${kind}: ${k.passages} passages, ${k.passages - k.ms.length} never confirmed, p50 ${quantile(k.ms, 0.5) ?? '—'} ms, p95 ${quantile(k.ms, 0.95) ?? '—'} ms`);

  const row: Row = {
    busy: busyIds.size,
    fps_per_busy: round((detected * 1000) / wallMs / Math.max(1, busyIds.size), 2),
    lost_pct: round((100 * lost) / Math.max(1, wanted), 2),
    planned_skip_pct: round((100 * skipped) / Math.max(1, wanted), 1),
    edge_cpu_pct: round(pctOf(selfTicks + childTicks)),
    edge_rss_mb: round(rssMax / 1e6),
    latency_p95_ms: latency.p95Ms,
    count_error_pct: truthTotal > 0 ? round((100 * absError) / truthTotal) : null,
  };
  return { row, latency };
}

/** utime + stime of this process and of each child process (the farm's subtree excluded), in clock ticks. */
function cpuTicks(excludePid: number): { self: number; children: Map<number, number> } {
  const read = (pid: number | 'self') => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the name: state(0) ppid(1) … utime(11) stime(12)
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  };
  const children = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === excludePid) continue;
    try {
      const s = read(pid);
      if (s.ppid === process.pid) children.set(pid, s.ticks);
    } catch {
      // gone between the listing and the read
    }
  }
  return { self: read('self').ticks, children };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------
// The camera farm (in its own process), or the box

if (values.farm) {
  const count = Number(values.cameras);
  const busy = Number(values.busy);
  // busy cameras spread evenly: every (count / busy)-th camera
  const every = Math.max(1, Math.floor(count / Math.max(1, busy)));
  const scenes = Array.from({ length: every }, (_, i) => (i === 0 && busy > 0 ? 'street' : 'quiet') as 'street' | 'quiet');
  const farm = await startCameraFarm({ count, scenes, loopSeconds: LOOP_SECONDS });
  const describe = (): FarmCamera[] =>
    farm.cameras.map((c) => ({ id: c.id, scene: c.groundTruth.scene, main: c.urlWithCredentials('main'), sub: c.urlWithCredentials('sub'), loopStartedAtMs: c.loopStartedAtMs(Date.now(), 'sub'), groundTruth: c.groundTruth }));
  process.send!({ type: 'up', cameras: describe() });
  // the bench died: take the cameras (and their ffmpeg feeders) down with it
  process.on('disconnect', () => void farm.stop().then(() => process.exit(0)));
  process.on('message', (m: { type: string }) => {
    if (m.type === 'describe') process.send!({ type: 'cameras', cameras: describe() });
    if (m.type === 'stop') void farm.stop().then(() => process.exit(0));
  });
} else {
  await main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
