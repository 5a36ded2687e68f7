// A busy camera on a small disk: objects pass all the time and an alert rule fires for each, yet the disk guard can
// still delete old recording (an alert's clip is a file of its own: its segments are kept only until it is cut),
// recording never stops and the disk never fills. A tmpfs mounted by the test (as root).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsDefaults, recordDefaults } from '../../shared/config/edge.js';
import { openDb } from '../../shared/db.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { edgeMigrations } from '../../edge/db.js';
import { ANY_OBJECT, boxCamera, boxParts } from '../box.js';
import { RecordStore } from '../../edge/record/store.js';
import { sleep } from '../until.js';

const MB = 1024 * 1024;
const mountPoint = mkdtempSync(path.join(tmpdir(), 'ww-busy-disk-'));
let mounted = false;
let farm: CameraFarm;

beforeAll(async () => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    console.warn(`busy-disk test skipped: cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`);
  }
  // the traffic scene on a 24 s loop: an object crosses every 8 s
  if (mounted) farm = await startCameraFarm({ count: 1, scene: 'traffic', loopSeconds: 24 });
}, 180_000);

afterAll(async () => {
  await farm?.stop();
  if (mounted) execFileSync('umount', ['-l', mountPoint]);
});

describe('a busy camera on a small disk', () => {
  it('keeps recording and deletes old segments, alerts and all, without filling the disk', async (ctx) => {
    if (!mounted) return ctx.skip();
    const cam = farm.cameras[0]!;
    const db = openDb(path.join(tmpdir(), `ww-busy-disk-${process.pid}.db`), edgeMigrations, { durable: false });
    const store = new RecordStore(db);
    const tools = await locateFfmpeg();
    const camera = boxCamera('cam-1', cam.urlWithCredentials('main'), cam.urlWithCredentials('sub'), {
      ...ANY_OBJECT,
      record: { ...recordDefaults, segmentSeconds: 4 },
      events: { ...eventsDefaults, preRollSeconds: 2, postRollSeconds: 2, endAfterSeconds: 2 },
    });
    // the floor: 35 % of 40 MB free (~14 MB); the 4 Mbit/s main stream fills the rest in about a minute
    const box = boxParts({ cameras: [camera], db, store, tools, logger: silentLogger(), root: mountPoint, disk: { floorPercent: 35, floorGb: 100, marginGb: 0.002 }, diskGuardEveryMs: 500 });
    mkdirSync(path.join(mountPoint, 'rec'), { recursive: true });
    const t0 = Date.now();
    await box.start();
    const minFree: number[] = [];
    while (Date.now() - t0 < 100_000) {
      await sleep(1000);
      const s = await statfs(mountPoint);
      minFree.push(s.bavail * s.bsize);
    }
    await box.stop();

    // objects passed and alerts were raised, their clips cut (files of their own on the same disk)
    const alerts = db.prepare("SELECT id, clip_state AS clipState, clip_path AS clipPath, start_ms AS start FROM events ORDER BY start_ms").all() as { id: string; clipState: string; clipPath: string | null; start: number }[];
    expect(alerts.length, 'alerts raised').toBeGreaterThanOrEqual(5);
    const clipped = alerts.filter((a) => a.clipState === 'done');
    expect(clipped.length).toBeGreaterThanOrEqual(3);
    for (const a of clipped) expect(statSync(a.clipPath!).size).toBeGreaterThan(0);
    // the disk guard deleted recording, including segments the early alerts' clips were cut from
    const segments = store.segmentsOf('cam-1');
    const oldest = Math.min(...segments.map((s) => s.startMs));
    expect(oldest - t0, 'the first minute of recording is gone').toBeGreaterThan(20_000);
    expect(clipped.some((a) => a.start < oldest), 'an early alert outlived its segments').toBe(true);
    // what is still protected is only the recording of alerts whose clip waits to be cut (the box stopped before
    // their post-roll), for a day at most, never the 90 days of old
    const pending = alerts.filter((a) => a.clipState === 'pending');
    const held = store.protectionsInForce(Date.now());
    expect(held.length).toBe(pending.length);
    for (const p of held) {
      expect(pending.some((a) => p.fromMs <= a.start && a.start <= p.toMs)).toBe(true);
      expect(p.keepUntilMs! - Date.now()).toBeLessThanOrEqual(86_400_000);
    }
    // recording went on to the end and the disk never filled
    const newest = Math.max(...segments.map((s) => s.endMs));
    expect(Date.now() - newest).toBeLessThan(15_000);
    expect(store.gaps('cam-1').filter((g) => g.fromMs >= t0).map((g) => g.reason)).toEqual(['shutdown']);
    expect(Math.min(...minFree)).toBeGreaterThan(2 * MB);
    expect(existsSync(path.join(mountPoint, 'events', 'cam-1'))).toBe(true);
    db.close();
  }, 180_000);
});
