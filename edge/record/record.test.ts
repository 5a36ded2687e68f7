// Recording against real fake cameras and the real ffmpeg: segments, gaps on faults, restarts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../shared/db.js';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { probe } from '../../shared/ffmpeg/probe.js';
import { silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { edgeMigrations } from '../db.js';
import { RecordingService, type RecordedCamera } from './service.js';
import { RecordStore } from './store.js';

let tools: FfmpegTools;
let farm: CameraFarm;

beforeAll(async () => {
  tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 3, scene: 'quiet', loopSeconds: 20 });
}, 180_000);
afterAll(async () => {
  await farm?.stop();
});

function service(cameras: RecordedCamera[], extra: Partial<ConstructorParameters<typeof RecordingService>[0]> = {}) {
  const root = mkdtempSync(path.join(tmpdir(), 'ww-rec-'));
  const db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  const store = new RecordStore(db);
  const svc = new RecordingService({
    root, cameras, store, tools, logger: silentLogger(),
    disk: { floorPercent: 1, floorGb: 0.001, marginGb: 0 },
    diskState: () => Promise.resolve({ freeBytes: 1e12, totalBytes: 2e12 }),
    ...extra,
  });
  return { root, db, store, svc };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe('recording', () => {
  it('records 10 s segments that ffprobe reads, and the index matches the files', async () => {
    const cam = farm.cameras[0]!;
    const { svc, store } = service([{ id: 'cam-a', url: cam.urlWithCredentials('main'), segmentSeconds: 10, retainDays: 30, enabled: true }]);
    await svc.start();
    await sleep(33_000);
    await svc.stop();
    const segments = store.segmentsOf('cam-a');
    expect(segments.length).toBeGreaterThanOrEqual(3);
    // all but the first and the last (closed by the shutdown) are 10 ± 0.5 s
    for (const s of segments.slice(1, -1)) expect(Math.abs(s.endMs - s.startMs - 10_000)).toBeLessThanOrEqual(500);
    for (const s of segments) {
      const p = await probe(tools, s.path);
      expect(p.streams[0]?.codec).toBe('h264');
      expect(Math.abs((p.durationSeconds ?? 0) * 1000 - (s.endMs - s.startMs))).toBeLessThan(600);
      expect(p.bytes).toBe(s.bytes);
    }
    // consecutive segments touch: no hidden gap between them
    for (let i = 1; i < segments.length; i++) expect(Math.abs(segments[i]!.startMs - segments[i - 1]!.endMs)).toBeLessThan(1500);
    expect(store.gaps('cam-a').map((g) => g.reason)).toEqual(['shutdown']);
    expect(svc.status('cam-a').bytesPerSecond).toBeGreaterThan(100_000);
  }, 60_000);

  it('restarts a frozen camera\'s recorder and records one gap', async () => {
    const cam = farm.cameras[1]!;
    const { svc, store } = service([{ id: 'cam-f', url: cam.urlWithCredentials('main'), segmentSeconds: 4, retainDays: 30, enabled: true }]);
    await svc.start();
    await until(() => store.segmentsOf('cam-f').length >= 2, 20_000);
    const frozenAt = Date.now();
    cam.freeze();
    await until(() => store.gaps('cam-f').length === 1, 20_000);
    expect(Date.now() - frozenAt).toBeLessThan(3 * 4000 + 2000);
    await sleep(3000);
    cam.unfreeze();
    await until(() => store.gaps('cam-f')[0]?.toMs !== null, 30_000);
    const gaps = store.gaps('cam-f');
    expect(gaps).toHaveLength(1);
    expect(['offline', 'stalled']).toContain(gaps[0]!.reason);
    await svc.stop();
  }, 90_000);

  it('records a 20 s network drop as one gap within 3 s of the truth, and resumes', async () => {
    const cam = farm.cameras[2]!;
    const { svc, store } = service([{ id: 'cam-d', url: cam.urlWithCredentials('main'), segmentSeconds: 4, retainDays: 30, enabled: true }]);
    await svc.start();
    await until(() => store.segmentsOf('cam-d').length >= 2, 20_000);
    const dropStart = Date.now();
    await cam.drop(20);
    const dropEnd = Date.now();
    await until(() => store.gaps('cam-d')[0]?.toMs != null, 30_000);
    expect(Date.now() - dropEnd).toBeLessThan(30_000);
    const gaps = store.gaps('cam-d');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.reason).toBe('offline');
    // the last segment before the drop ends when the drop began (to within the fragment that was lost)
    expect(Math.abs(gaps[0]!.fromMs - dropStart)).toBeLessThan(3000);
    expect(Math.abs(gaps[0]!.toMs! - dropEnd)).toBeLessThan(3000);
    await svc.stop();
  }, 90_000);

  it('calls a stop "shutdown" even when ffmpeg got the SIGTERM before the box did, and a lone SIGTERM a restart', async () => {
    const cam = farm.cameras[0]!;
    const { svc, store } = service([{ id: 'cam-t', url: cam.urlWithCredentials('main'), segmentSeconds: 2, retainDays: 30, enabled: true }]);
    await svc.start();
    await until(() => store.segmentsOf('cam-t').length >= 1, 20_000);
    // ffmpeg alone gets a SIGTERM: nobody is stopping, so it is a restart (and, as the camera hands the new reader
    // its cached GOP, the new run's first segment begins before the old one's end: no hole, no gap row)
    const before = store.segmentsOf('cam-t').length;
    process.kill(svc.recorder('cam-t')!.pid()!, 'SIGTERM');
    await until(() => store.segmentsOf('cam-t').length >= before + 3, 20_000);
    expect(store.gaps('cam-t').every((g) => g.reason === 'restarted')).toBe(true);
    const rows = store.segmentsOf('cam-t').filter((r) => r.endMs > r.startMs); // a row covered whole keeps no span
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.startMs).toBeGreaterThanOrEqual(rows[i - 1]!.endMs);
    // the process group's SIGTERM: ffmpeg exits first, the box's handler comes a moment later
    process.kill(svc.recorder('cam-t')!.pid()!, 'SIGTERM');
    await sleep(50);
    await svc.stop();
    expect(store.gaps('cam-t').at(-1)).toMatchObject({ reason: 'shutdown', toMs: null });
  }, 60_000);
});
