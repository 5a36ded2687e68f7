// Bench: what the fake camera farm costs. N cameras, two real ffmpeg readers each (main + sub,
// like a recorder and a detector), CPU of this process + its feeder ffmpegs (readers excluded)
// from /proc, and farm RSS. Last line is one JSON object.
//   npm run bench:fixtures -- --cameras 32 --seconds 60
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { startCameraFarm } from '../test-fixtures/camera/index.js';
import { cpuSeconds, rssMb } from './proc.js';

const WARM_UP_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { cameras: { type: 'string', default: '32' }, seconds: { type: 'string', default: '60' }, scene: { type: 'string', default: 'traffic' } },
  });
  const cameras = Number(values.cameras);
  const seconds = Number(values.seconds);
  const tools = await locateFfmpeg();
  const farm = await startCameraFarm({ count: cameras, scene: values.scene as 'traffic' });
  const logDir = await mkdtemp(path.join(os.tmpdir(), 'wardwatch-bench-'));
  const readers: ChildProcess[] = [];
  const logs: string[] = [];
  try {
    for (const camera of farm.cameras) {
      for (const stream of ['main', 'sub'] as const) {
        const log = path.join(logDir, `${camera.id}-${stream}.log`);
        logs.push(log);
        // progress lines go to a file, not through this process: its CPU is what we measure
        const file = await open(log, 'w');
        readers.push(spawn(tools.ffmpeg.path, [
          '-hide_banner', '-nostdin', tools.rtspTimeoutFlag, '5000000', '-rtsp_transport', 'tcp',
          '-i', camera.urlWithCredentials(stream), '-c', 'copy', '-f', 'null', '-',
        ], { stdio: ['ignore', 'ignore', file.fd] }));
        await file.close();
        await sleep(50); // no 64-process stampede
      }
    }
    console.log(`${cameras} cameras, ${readers.length} readers (one on main, one on sub per camera); warming up`);
    await sleep(WARM_UP_MS);

    const farmPids = [process.pid, ...[...farm.feeders.values()].map((f) => f.pid).filter((p): p is number => p !== undefined)];
    const cpuAt = async (): Promise<number> => (await Promise.all(farmPids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    const startCpu = await cpuAt();
    const startWall = performance.now();
    await sleep(seconds * 1000);
    const cpu = (await cpuAt()) - startCpu;
    const wall = (performance.now() - startWall) / 1000;
    const rss = (await Promise.all(farmPids.map(rssMb))).reduce((a, b) => a + b, 0);
    const farmCpuPct = (100 * cpu) / wall;

    const alive = readers.filter((r) => r.exitCode === null && r.signalCode === null).length;
    const frames = await Promise.all(logs.map(async (log) => {
      const text = await readFile(log, 'utf8');
      return Number([...text.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1] ?? 0);
    }));
    const mainFrames = frames.filter((_, i) => i % 2 === 0);
    const subFrames = frames.filter((_, i) => i % 2 === 1);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const readFor = (seconds + WARM_UP_MS / 1000).toFixed(0);
    console.log(`readers alive at the end: ${alive}/${readers.length}`);
    console.log(`frames per reader over ~${readFor} s: main ${mean(mainFrames).toFixed(0)} (min ${Math.min(...mainFrames)}), sub ${mean(subFrames).toFixed(0)} (min ${Math.min(...subFrames)})`);
    console.log(`feeders: ${farm.feeders.size} ffmpeg (${[...farm.feeders.keys()].join(', ')}), restarts: ${[...farm.feeders.values()].reduce((n, f) => n + f.runs - 1, 0)}`);
    console.log(`farm CPU: ${farmCpuPct.toFixed(1)} % of one core (${cpu.toFixed(2)} s CPU in ${wall.toFixed(1)} s); farm RSS ${rss.toFixed(0)} MB`);
    console.log(JSON.stringify({ cameras, seconds, farm_cpu_pct: Number(farmCpuPct.toFixed(1)), farm_rss_mb: Number(rss.toFixed(0)) }));
  } finally {
    for (const reader of readers) reader.kill('SIGKILL');
    await farm.stop();
    await rm(logDir, { recursive: true, force: true });
  }
}

await main();
