// Detection bench: detector throughput through the worker at 1 and 2 threads, then a whole box — N fake cameras
// (some traffic, the rest quiet) decoded, detected and recorded — with its CPU, drops, latency and memory.
//
//   npm run bench:detect [-- --cameras 32 --traffic 4 --fps 5 --seconds 120 --warmup 15 --throughput-seconds 8]
//
// The fake cameras run in a child process of their own, so their RTSP serving is not counted as the box's CPU.
// The last line is one JSON object:
//   {infer_per_s_1t, infer_per_s_2t, cameras, total_cpu_pct, pipeline_infer_per_s, drop_pct, latency_p50_ms, latency_p95_ms, edge_rss_mb}
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { detectDefaults } from '../shared/config/edge.js';
import { openDb } from '../shared/db.js';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { createLogger, silentLogger } from '../shared/log.js';
import { startCameraFarm } from '../test-fixtures/camera/index.js';
import type { GroundTruth } from '../test-fixtures/camera/index.js';
import { edgeMigrations } from '../edge/db.js';
import type { RgbFrame } from '../edge/detect/detector.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { DOG_JPG } from '../test-fixtures/media/index.js';
import { createWorkerDetector } from '../edge/detect/worker-detector.js';
import { ANY_OBJECT, boxCamera, boxParts } from '../test/box.js';
import { RecordStore } from '../edge/record/store.js';
import { Outbox } from '../edge/uplink/outbox.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: packagedModel().path },
    cameras: { type: 'string', default: '32' },
    traffic: { type: 'string', default: '4' },
    fps: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '120' },
    warmup: { type: 'string', default: '15' },
    'throughput-seconds': { type: 'string', default: '8' },
    threads: { type: 'string', default: '2' },
    farm: { type: 'boolean', default: false },
  },
});

const CLK_TCK = 100; // Linux USER_HZ

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

if (values.farm) {
  const count = Number(values.cameras);
  const trafficCount = Number(values.traffic);
  // traffic cameras spread evenly: every (count / traffic)-th camera
  const every = Math.max(1, Math.floor(count / Math.max(1, trafficCount)));
  const scenes = Array.from({ length: every }, (_, i) => (i === 0 && trafficCount > 0 ? 'traffic' : 'quiet') as 'traffic' | 'quiet');
  const farm = await startCameraFarm({ count, scenes, loopSeconds: 60 });
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
    // the farm process follows on the IPC disconnect; the ffmpeg children exit when their cameras go
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// The box

async function main(): Promise<void> {
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const count = Number(values.cameras);
  const fps = Number(values.fps);
  const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`detect bench: load average at start ${load()} (2-core box; other engineers' runs share it)`);

  // 1. saturated detector throughput through the worker (what the pipeline gets), two frames in flight
  const frame = await sampleFrame();
  const throughput: number[] = [];
  for (const threads of [1, 2]) {
    const detector = await createWorkerDetector({ modelPath: values.model, threads, logger: silentLogger() });
    const frames = [frame, copy(frame)];
    const runFor = async (ms: number) => {
      const end = performance.now() + ms;
      let n = 0;
      await Promise.all(frames.map(async (f) => {
        while (performance.now() < end) {
          await detector.detect(f);
          n++;
        }
      }));
      return n;
    };
    await runFor(1500);
    const ms = Number(values['throughput-seconds']) * 1000;
    const n = await runFor(ms);
    await detector.close();
    throughput.push((n * 1000) / ms);
    console.log(`detector, ${threads} thread${threads > 1 ? 's' : ''}: ${((n * 1000) / ms).toFixed(1)} inferences/s (letterbox 640×360 + run + decode, worker thread, 2 in flight)`);
  }

  // 2. the whole box
  const farmProcess = fork(fileURLToPath(import.meta.url), ['--farm', '--cameras', String(count), '--traffic', values.traffic], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
  // every object anywhere raises an alert: the bench measures how soon one starts after the object enters
  const resolved = cameras.map((c) => boxCamera(c.id, c.main, c.sub, { ...ANY_OBJECT, detect: { ...detectDefaults, fps, labels: [...detectDefaults.labels] } }));
  const box = boxParts({ cameras: resolved, db, store, outbox, tools, logger, root, modelPath: values.model, threads: Number(values.threads) });
  const { detection } = box;
  await box.start();
  console.log(`${count} cameras (${cameras.filter((c) => c.scene === 'traffic').length} traffic) at ${fps} fps, recording on: ${warmup} s warm-up, then ${seconds} s measured`);
  await sleep(warmup * 1000);

  const farmPid = farmProcess.pid!;
  const cpu0 = cpuTicks(farmPid);
  const sched0 = detection.status().scheduler!;
  const t0 = Date.now();
  const wall0 = performance.now();
  let rssMax = 0;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 1000);
  await sleep(seconds * 1000);
  const wallMs = performance.now() - wall0;
  const cpu1 = cpuTicks(farmPid);
  const t1 = Date.now();
  const sched1 = detection.status().scheduler!;
  clearInterval(rssTimer);
  rssMax = Math.max(rssMax, process.memoryUsage().rss);
  const status = detection.status();

  // CPU: this process (main thread, detector worker) + its ffmpeg children (frame readers, recorders)
  const selfTicks = cpu1.self - cpu0.self;
  let childTicks = 0;
  for (const [pid, t] of cpu1.children) childTicks += t - (cpu0.children.get(pid) ?? 0);
  const pctOf = (ticks: number) => (ticks / CLK_TCK / (wallMs / 1000)) * 100;
  const totalCpuPct = pctOf(selfTicks + childTicks);
  const inferred = sched1.inferred - sched0.inferred;
  const submitted = sched1.submitted - sched0.submitted;
  const dropped = sched1.dropped - sched0.dropped;

  // latency: ground-truth entry → the start message being queued, for crossings that entered in the window
  const now = await describeFarm(farmProcess);
  const starts = outbox
    .next(0, 100_000)
    .filter((r) => r.topic.endsWith('/events'))
    .map((r) => ({ ...(JSON.parse(r.payload.toString()) as { type: string; event: { camera: string; label: string; start: number } }), queuedAt: (db.prepare('SELECT created_at FROM outbox WHERE seq = ?').pluck().get(r.seq) as number) }))
    .filter((m) => m.type === 'start');
  const fromEntry: number[] = [];
  const fromFullyIn: number[] = [];
  let missed = 0;
  for (const cam of now.filter((c) => c.scene === 'traffic' && c.loopStartedAtMs !== undefined)) {
    const loopMs = cam.groundTruth.loopSeconds * 1000;
    for (let k = -10; k <= 1; k++) {
      for (const o of cam.groundTruth.objects) {
        const enter = cam.loopStartedAtMs! + k * loopMs + o.enterSeconds * 1000;
        const leave = cam.loopStartedAtMs! + k * loopMs + o.leaveSeconds * 1000;
        if (enter < t0 || leave > t1 - 2000) continue;
        const m = starts.find((s) => s.event.camera === cam.id && s.queuedAt >= enter - 1000 && s.queuedAt <= leave);
        if (m === undefined) {
          missed++;
          continue;
        }
        fromEntry.push(m.queuedAt - enter);
        fromFullyIn.push(m.queuedAt - (cam.loopStartedAtMs! + k * loopMs + o.fullyInFrom * 1000));
      }
    }
  }
  const pct = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]! : NaN);

  await box.stop();
  farmProcess.send({ type: 'stop' });
  await new Promise((r) => farmProcess.once('exit', r));
  db.close();
  rmSync(root, { recursive: true, force: true });

  const fpsValues = status.cameras.map((c) => c.detectFps);
  console.log(`frames analysed: ${round(fpsValues.reduce((a, b) => a + b, 0))} /s over ${count} cameras (min ${Math.min(...fpsValues)} fps per camera)`);
  console.log(
    `CPU, edge process + its ffmpeg children: ${round(totalCpuPct)} % of one core (${round(totalCpuPct / count, 2)} % per camera):` +
      ` node (frame pipes, motion, detector worker, db) ${round(pctOf(selfTicks))} %, ffmpeg (${count} decoders + ${count} recorders) ${round(pctOf(childTicks))} %`,
  );
  console.log(`detector: ${round((inferred * 1000) / wallMs)} inferences/s, ${submitted} frames submitted, ${dropped} dropped (${round((100 * dropped) / Math.max(1, submitted), 2)} %)`);
  console.log(`latency to event start: from entry p50 ${pct(fromEntry, 0.5)} ms p95 ${pct(fromEntry, 0.95)} ms; from fully in p50 ${pct(fromFullyIn, 0.5)} ms p95 ${pct(fromFullyIn, 0.95)} ms (${fromEntry.length} crossings, ${missed} without an event)`);
  console.log(`RSS of the edge process: ${round(rssMax / 1e6)} MB (max); load average at end ${load()}`);
  console.log(
    JSON.stringify({
      infer_per_s_1t: round(throughput[0]!),
      infer_per_s_2t: round(throughput[1]!),
      cameras: count,
      total_cpu_pct: round(totalCpuPct),
      pipeline_infer_per_s: round((inferred * 1000) / wallMs),
      drop_pct: round((100 * dropped) / Math.max(1, submitted), 2),
      latency_p50_ms: pct(fromEntry, 0.5),
      latency_p95_ms: pct(fromEntry, 0.95),
      edge_rss_mb: round(rssMax / 1e6),
    }),
  );
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

function describeFarm(child: ChildProcess): Promise<FarmCamera[]> {
  return new Promise((resolve) => {
    const on = (m: { type: string; cameras: FarmCamera[] }) => {
      if (m.type !== 'cameras') return;
      child.off('message', on);
      resolve(m.cameras);
    };
    child.on('message', on);
    child.send({ type: 'describe' });
  });
}

async function sampleFrame(): Promise<RgbFrame> {
  const raw = await sharp(DOG_JPG).removeAlpha().resize(640, 360, { fit: 'fill' }).raw().toBuffer();
  return copy({ data: raw, width: 640, height: 360 });
}

function copy(f: RgbFrame): RgbFrame {
  const data = new Uint8Array(new ArrayBuffer(f.data.length));
  data.set(f.data);
  return { data, width: f.width, height: f.height };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
