// The disk guard on a real small file system (a tmpfs mounted by the test, as root): it deletes the oldest
// segments first, never a held one, and recording never stops.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../shared/db.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { edgeMigrations } from '../../edge/db.js';
import { hourDir } from '../../edge/record/paths.js';
import { RecordingService } from '../../edge/record/service.js';
import { RecordStore } from '../../edge/record/store.js';

const MB = 1024 * 1024;
const mountPoint = mkdtempSync(path.join(tmpdir(), 'ww-disk-'));
let mounted = false;
let farm: CameraFarm;

beforeAll(async () => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    console.warn(`disk guard test skipped: cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`);
  }
  if (mounted) farm = await startCameraFarm({ count: 1, scene: 'quiet', loopSeconds: 20 });
}, 120_000);

afterAll(async () => {
  await farm?.stop();
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
});

describe('disk guard', () => {
  it('frees the oldest unheld segments on a nearly full disk while recording goes on', async (ctx) => {
    if (!mounted) return ctx.skip();
    const root = path.join(mountPoint, 'recordings');
    const db = openDb(path.join(tmpdir(), `ww-disk-${process.pid}.db`), edgeMigrations, { durable: false });
    const store = new RecordStore(db);
    const now = Date.now();
    // 24 old segments of 1.5 MB each (36 MB of the 48 MB disk), three days old, every 10 s
    const old: { path: string; startMs: number }[] = [];
    for (let i = 0; i < 24; i++) {
      const startMs = now - 3 * 86_400_000 + i * 10_000;
      const dir = hourDir(root, 'cam-1', startMs);
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `old-${String(i).padStart(2, '0')}.mp4`);
      writeFileSync(file, Buffer.alloc(1.5 * MB, i));
      store.addSegment({ camera: 'cam-1', path: file, startMs, endMs: startMs + 10_000, bytes: 1.5 * MB });
      old.push({ path: file, startMs });
    }
    // segments 2–4 are under an evidence hold
    store.protect({ camera: 'cam-1', fromMs: old[2]!.startMs, toMs: old[4]!.startMs + 10_000, kind: 'hold', keepUntilMs: null, now });
    // floor: 40 % of 48 MB ≈ 19 MB free; margin 2 MB
    const svc = new RecordingService({
      root,
      cameras: [{ id: 'cam-1', url: farm.cameras[0]!.urlWithCredentials('main'), segmentSeconds: 4, retainDays: 30, enabled: true }],
      store,
      tools: await locateFfmpeg(),
      logger: silentLogger(),
      disk: { floorPercent: 40, floorGb: 100, marginGb: 0.002 },
      diskGuardEveryMs: 500,
    });
    await svc.start();
    const minFree: number[] = [];
    for (let t = 0; t < 20; t++) {
      await new Promise((r) => setTimeout(r, 500));
      const s = await statfs(root);
      minFree.push(s.bavail * s.bsize);
    }
    await svc.stop();

    const remaining = old.map((o) => existsSync(o.path));
    // held ones survive
    expect(remaining.slice(2, 5)).toEqual([true, true, true]);
    // deleted ones are the oldest unheld: once one survives, all newer ones survive
    const unheld = remaining.filter((_, i) => i < 2 || i > 4);
    expect(unheld[0]).toBe(false);
    const firstKept = unheld.indexOf(true);
    expect(firstKept).toBeGreaterThan(0);
    expect(unheld.slice(firstKept).every(Boolean)).toBe(true);
    // the index follows the disk
    const indexed = new Set(store.segmentsOf('cam-1').map((s) => s.path));
    old.forEach((o, i) => expect(indexed.has(o.path)).toBe(remaining[i]));
    // recording went on: new segments, no gap but the shutdown one, and the disk never filled
    expect(store.segmentsOf('cam-1').filter((s) => !s.path.includes('old-')).length).toBeGreaterThanOrEqual(2);
    // (the 3-day hole before the test is on record as a gap too; since the start, only the shutdown)
    expect(store.gaps('cam-1').filter((g) => g.fromMs >= now).map((g) => g.reason)).toEqual(['shutdown']);
    expect(Math.min(...minFree)).toBeGreaterThan(4 * MB);
    db.close();
  }, 90_000);
});
