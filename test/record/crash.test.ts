// SIGKILL of the ward box and its ffmpeg children at random moments, ten times: afterwards every segment on disk
// is readable and the index matches the disk exactly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { probe } from '../../shared/ffmpeg/probe.js';
import { packageRoot } from '../../shared/package.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';

let farm: CameraFarm;
let tools: FfmpegTools;
const root = packageRoot();

beforeAll(async () => {
  tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 2, scene: 'quiet', loopSeconds: 20 });
}, 180_000);
const started: ChildProcess[] = [];
afterAll(async () => {
  // a failed test must not leave a box (and its ffmpeg children) running
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
  await farm?.stop();
});

function writeConfig(dir: string): string {
  const cams = farm.cameras
    .map((c, i) => `  - id: cam-${i + 1}\n    name: Camera ${i + 1}\n    streams:\n      main: { url: "${c.mainUrl}" }\n    credentials: { username: admin, passwordSecret: cam }\n    record: { segmentSeconds: 4 }`)
    .join('\n');
  const file = path.join(dir, 'edge.yaml');
  writeFileSync(file, `ward: { id: p01, name: Phường 1 }\nstorage: { root: ${dir}/data }\ndetect: { enabled: false }\nreview: { host: 127.0.0.1, port: 0 }\ncameras:\n${cams}\n`);
  return file;
}

/** The edge in its own process group, so one kill reaches its ffmpeg children too. */
function startEdge(config: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), 'edge', '--config', config], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_SECRET_CAM: 'wardwatch-cam', WARDWATCH_LOG_LEVEL: 'info' },
  });
  started.push(child);
  return child;
}

function waitForLine(child: ChildProcess, text: string, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms; output: ${seen.slice(-2000)}`)), timeoutMs);
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

function listMp4(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.mp4'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('a ward box killed at random moments', () => {
  // retry: the index's segment times come from when a file was noticed, 0–2 s late, so a kill's hole can measure
  // under 1.5 s and the "holes ≥ 5" floor fails about one run in five; segment times from the media (the issue on
  // recorded time) make this deterministic, and then the retry goes
  it('leaves every segment readable and the index equal to the disk after 10 SIGKILLs', { timeout: 240_000, retry: 1 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-crash-'));
    const config = writeConfig(dir);
    for (let i = 0; i < 10; i++) {
      const edge = startEdge(config);
      await waitForLine(edge, 'ward box running');
      await new Promise((r) => setTimeout(r, 2000 + Math.random() * 6000));
      process.kill(-edge.pid!, 'SIGKILL'); // the daemon and its ffmpeg children, mid-segment
      await exited(edge);
    }
    // one more start reconciles the disk, then a clean stop
    const last = startEdge(config);
    await waitForLine(last, 'ward box running');
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(-last.pid!, 'SIGTERM');
    await exited(last);

    const files = listMp4(path.join(dir, 'data', 'recordings')).sort();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const p = await probe(tools, file);
      expect(p.durationSeconds, file).toBeGreaterThan(0);
      expect(p.streams[0]?.codec).toBe('h264');
    }
    const db = new Database(path.join(dir, 'data', 'edge.db'), { readonly: true });
    const rows = (db.prepare('SELECT path FROM segments ORDER BY path').all() as { path: string }[]).map((r) => r.path);
    const segments = db.prepare('SELECT camera, start_ms AS startMs, end_ms AS endMs FROM segments ORDER BY camera, start_ms').all() as { camera: string; startMs: number; endMs: number }[];
    const gaps = db.prepare('SELECT camera, from_ms AS fromMs, to_ms AS toMs FROM gaps').all() as { camera: string; fromMs: number; toMs: number | null }[];
    db.close();
    expect(rows).toEqual(files);
    // no gap we did not see: every hole of more than 1.5 s between two segments lies within a recorded gap
    let holes = 0;
    for (let i = 1; i < segments.length; i++) {
      const [a, b] = [segments[i - 1]!, segments[i]!];
      if (a.camera !== b.camera || b.startMs - a.endMs <= 1500) continue;
      holes++;
      const covered = gaps.some((g) => g.camera === a.camera && g.fromMs <= a.endMs + 1500 && (g.toMs ?? Infinity) >= b.startMs - 1500);
      expect(covered, `${a.camera}: hole ${new Date(a.endMs).toISOString()} → ${new Date(b.startMs).toISOString()} has no gap row`).toBe(true);
    }
    expect(holes).toBeGreaterThanOrEqual(5); // the kills did make holes
  });
});
