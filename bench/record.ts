// bench:record — N fake cameras recorded by the real `wardwatch edge` (no hub, no detection) for T seconds.
// Prints per-camera recorder CPU (from /proc of the edge's ffmpeg children), the edge process's CPU and RSS,
// bytes/s, segments and gaps. Last line: one JSON object.
//   npm run bench:record -- --cameras 32 --seconds 120
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { packageRoot } from '../shared/package.js';
import { startCameraFarm } from '../test-fixtures/camera/index.js';
import { childrenOf, cpuSeconds, round, rssMb } from './proc.js';

const { values } = parseArgs({ options: { cameras: { type: 'string', default: '32' }, seconds: { type: 'string', default: '120' } } });
const cameras = Number(values.cameras);
const seconds = Number(values.seconds);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const farm = await startCameraFarm({ count: cameras, scene: 'quiet' });
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-bench-record-'));
  const cams = farm.cameras
    .map((c, i) => `  - id: cam-${String(i + 1).padStart(2, '0')}\n    name: Camera ${i + 1}\n    streams: { main: { url: "${c.mainUrl}" } }\n    credentials: { username: admin, passwordSecret: cam }`)
    .join('\n');
  const config = path.join(dir, 'edge.yaml');
  writeFileSync(config, `ward: { id: p01, name: Phường 1 }\nstorage: { root: ${dir}/data }\ndetect: { enabled: false }\nreview: { host: 127.0.0.1, port: 0 }\ncameras:\n${cams}\n`);
  const edge = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot(), 'cli/run.ts'), 'edge', '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, WARDWATCH_SECRET_CAM: 'wardwatch-cam', WARDWATCH_LOG_LEVEL: 'warn' },
  });
  const pid = edge.pid!;
  process.stdout.write(`recording ${cameras} cameras for ${seconds} s (warm-up 15 s)…\n`);
  await sleep(15_000);

  const children = await childrenOf(pid);
  const before = { edge: await cpuSeconds(pid), ffmpeg: await Promise.all(children.map(cpuSeconds)), at: Date.now() };
  let rssMax = 0;
  for (let t = 0; t < seconds; t += 5) {
    await sleep(5000);
    rssMax = Math.max(rssMax, await rssMb(pid));
  }
  const after = { edge: await cpuSeconds(pid), ffmpeg: await Promise.all(children.map(cpuSeconds)), at: Date.now() };
  const wall = (after.at - before.at) / 1000;
  const ffmpegPct = children.map((_, i) => ((after.ffmpeg[i]! - before.ffmpeg[i]!) / wall) * 100);
  const edgePct = ((after.edge - before.edge) / wall) * 100;
  edge.kill('SIGTERM');
  await new Promise((r) => edge.once('exit', r));

  const db = new Database(path.join(dir, 'data', 'edge.db'), { readonly: true });
  const seg = db.prepare('SELECT count(*) AS n, sum(bytes) AS bytes FROM segments WHERE start_ms >= ? AND end_ms <= ?').get(before.at, after.at) as { n: number; bytes: number };
  const gaps = (db.prepare("SELECT count(*) AS n FROM gaps WHERE reason != 'shutdown' AND from_ms >= ?").get(before.at - 15_000) as { n: number }).n;
  db.close();
  await farm.stop();
  rmSync(dir, { recursive: true, force: true });

  const perCamera = (ffmpegPct.reduce((a, b) => a + b, 0) + edgePct) / cameras;
  process.stdout.write(`recorders: ${children.length} ffmpeg, ${round(Math.min(...ffmpegPct), 2)}–${round(Math.max(...ffmpegPct), 2)} % of one core each\n`);
  process.stdout.write(`edge process: ${round(edgePct, 2)} % of one core, RSS max ${round(rssMax)} MB\n`);
  process.stdout.write(`all included: ${round(perCamera, 2)} % of one core per camera (target ≤ 0.5)\n`);
  process.stdout.write(`written: ${round(seg.bytes / wall / 1e6, 2)} MB/s in ${seg.n} closed segments; gaps: ${gaps}\n`);
  process.stdout.write(
    JSON.stringify({ cameras, seconds, cpu_pct_per_camera: round(perCamera, 3), edge_cpu_pct: round(edgePct, 2), edge_rss_mb: round(rssMax), bytes_per_s: Math.round(seg.bytes / wall), segments: seg.n, gaps }) + '\n',
  );
}

void main();
