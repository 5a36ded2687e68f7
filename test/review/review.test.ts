// The officers' review page end to end, in Chromium, against a ward box (startEdge) recording real fake cameras:
// login, live grid and large view, a camera fault on the timeline, playback across a segment boundary and
// seeking, a signed export checked by `wardwatch verify-export`, an evidence hold that outlives retention, audit.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../../shared/config/load.js';
import { silentLogger } from '../../shared/log.js';
import { packageRoot } from '../../shared/package.js';
import { startEdge, type RunningEdge } from '../../edge/main.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { sleep, untilWith } from '../until.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { sessionOf } from './review-box.js';

const hasBrowser = browserOrSkip('review UI tests');

let farm: CameraFarm;
let edge: RunningEdge;
let browser: Browser;
let page: Page;
let dir: string;
const SEGMENT_SECONDS = 4;


const until = untilWith(30_000, 250);

/** currentTime of a <video> now, and again after `ms`: both, to see it advance. */
async function advances(selector: string, ms = 5000): Promise<[number, number]> {
  const first = await until(`${selector} to start playing`, () => page.$eval(selector, (v: HTMLVideoElement) => (v.currentTime > 0 ? v.currentTime : 0)), 20_000);
  await sleep(ms);
  const second = await page.$eval(selector, (v: HTMLVideoElement) => v.currentTime);
  return [first, second];
}

function wardwatch(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', path.join(packageRoot(), 'cli/run.ts'), ...args], { cwd: packageRoot(), encoding: 'utf8', timeout: 60_000 });
}

describe.skipIf(!hasBrowser)('the review page in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ww-review-'));
    farm = await startCameraFarm({ count: 2, scene: 'quiet', loopSeconds: 12 });
    const cams = farm.cameras
      .map((c, i) => `  - id: cam-${i + 1}\n    name: Camera ${i + 1}\n    streams:\n      main: { url: "${c.mainUrl}" }\n      sub: { url: "${c.subUrl}" }\n    credentials: { username: admin, passwordSecret: cam }\n    record: { segmentSeconds: ${SEGMENT_SECONDS} }`)
      .join('\n');
    const file = path.join(dir, 'edge.yaml');
    writeFileSync(file, `ward: { id: p07, name: Phường 7 }\nstorage: { root: ${dir}/data }\nreview: { host: 127.0.0.1, port: 0 }\ndetect: { enabled: false }\ncameras:\n${cams}\n`);
    const loaded = loadEdgeConfig(file, { env: { WARDWATCH_SECRET_CAM: 'wardwatch-cam' } });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    edge = await startEdge(loaded.config, { logger: silentLogger() });
    await edge.review.accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', displayName: 'Trần Minh', password: 'first-pass-1' }, { actor: 'test' });
    browser = await launchBrowser();
    const context = await browser.newContext({ timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.close();
    await farm?.stop();
  });

  it('logs in in Vietnamese, forces the password change, and switches to English', async () => {
    await page.goto(edge.reviewUrl);
    await page.waitForSelector('#loginForm:visible');
    expect(await page.textContent('#loginForm button')).toBe('Đăng nhập');
    await page.fill('#loginForm [name=name]', 'minh');
    await page.fill('#loginForm [name=password]', 'wrong-pass-1');
    await page.click('#loginForm button');
    await until('the wrong-password note', async () => (await page.textContent('#loginError'))?.includes('Sai tên'));
    await page.fill('#loginForm [name=password]', 'first-pass-1');
    await page.click('#loginForm button');
    await page.waitForSelector('#passwordForm:visible');
    await page.fill('#passwordForm [name=current]', 'first-pass-1');
    await page.fill('#passwordForm [name=next]', 'station-pass-7');
    await page.click('#passwordForm button');
    await page.waitForSelector('#grid video');
    await page.click('#lang');
    expect(await page.textContent('#tabs [data-tab=live]')).toBe('Live');
    await page.click('#lang');
    expect(await page.textContent('#tabs [data-tab=live]')).toBe('Trực tiếp');
  });

  it('plays every camera of the live grid, then one camera large on its main stream', async () => {
    expect(await page.$$eval('#grid video', (vs) => vs.length)).toBe(2);
    const grid = await Promise.all(['cam-1', 'cam-2'].map((cam) => advances(`#grid video[data-camera=${cam}]`)));
    grid.forEach(([a, b], i) => expect(b, `cam-${i + 1} grid video advances`).toBeGreaterThan(a));
    // one ffmpeg per camera stream, however many viewers
    expect(edge.review.live.running().map((r) => r.key).sort()).toEqual(['cam-1/sub', 'cam-2/sub']);
    await page.click('.tile[data-camera=cam-2]');
    const [a, b] = await advances('#largeVideo');
    expect(b).toBeGreaterThan(a);
    expect(edge.review.live.running().map((r) => r.key)).toContain('cam-2/main');
    const size = await page.$eval('#largeVideo', (v: HTMLVideoElement) => [v.videoWidth, v.videoHeight]);
    expect(size).toEqual([1280, 720]); // the main stream, not the sub stream
    if (process.env.WW_SCREENSHOT) await page.screenshot({ path: process.env.WW_SCREENSHOT });
  });

  it('refuses footage to a request without a session: HTTP 401, and no WebSocket upgrade', async () => {
    expect((await fetch(`${edge.reviewUrl}/api/timeline/cam-1?from=0&to=1000`)).status).toBe(401);
    expect((await fetch(`${edge.reviewUrl}/api/playback/cam-1?from=0`)).status).toBe(401);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${edge.reviewUrl.replace('http', 'ws')}/api/live/cam-1`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(401);
  });

  it('shows a camera fault made during the test as a gap with its reason on the timeline', async () => {
    const since = Date.now();
    await farm.cameras[0]!.drop(8);
    const gap = await until('a closed gap of cam-1', () => edge.recordStore.gaps('cam-1', since - 15_000).find((g) => g.toMs !== null), 60_000, 500);
    await page.click('#tabs [data-tab=timeline]');
    await page.selectOption('#tlCamera', 'cam-1');
    await page.evaluate(() => document.querySelector('#tlCamera')!.dispatchEvent(new Event('change')));
    const item = await page.waitForSelector(`#tlGaps .gap-item[data-reason=${gap.reason}]`);
    expect(await item.textContent()).toMatch(/camera|hộp|đĩa/);
    // drawn on the hour bar too (the day bar is too coarse for seconds)
    expect(await page.$$eval('#tlHourBar .gap', (g) => g.length)).toBeGreaterThan(0);
  });

  it('plays a recording across a segment boundary without stopping, and seeks', async () => {
    const segs = await until('4 consecutive segments of cam-2', () => {
      const all = edge.recordStore.segmentsOf('cam-2');
      for (let i = 0; i + 3 < all.length; i++) {
        const run = all.slice(i, i + 4);
        if (run.every((s, j) => j === 0 || Math.abs(s.startMs - run[j - 1]!.endMs) < 1000)) return run;
      }
      return undefined;
    }, 40_000, 500);
    const boundary = segs[1]!.endMs;
    const from = Math.floor((boundary - 2000) / 1000) * 1000; // the page's time box has whole seconds
    const [day, time] = await page.evaluate((ms) => {
      const d = new Date(ms);
      const p = (n: number) => String(n).padStart(2, '0');
      return [`${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`, `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`];
    }, from);
    await page.selectOption('#tlCamera', 'cam-2');
    await page.fill('#tlDay', day!);
    await page.fill('#tlTime', time!);
    await page.click('#tlGo');
    // sample the shown wall-clock time and count stalls ('waiting') once playback is under way
    await page.evaluate(() => {
      const w = window as unknown as { stalls: number; wardwatch: { playback: { position(): number | null } } };
      w.stalls = 0;
      const v = document.querySelector('#pbVideo') as HTMLVideoElement;
      let playing = false;
      v.addEventListener('playing', () => (playing = true));
      // a stall is running out of data while playing, not the wait of a seek
      v.addEventListener('waiting', () => { if (playing && !v.seeking) w.stalls++; });
    });
    const position = () => page.evaluate(() => (window as unknown as { wardwatch: { playback: { position(): number | null } } }).wardwatch.playback.position());
    // playback starts where asked (not at the start of the segment holding that moment)
    const start = await until('playback to start at the moment asked', async () => { const p = await position(); return p !== null && Math.abs(p - from) < 1500 ? p : 0; }, 20_000);
    expect(start).toBeLessThan(boundary);
    const crossed = await until('playback past the segment boundary', async () => { const p = await position(); return p !== null && p > boundary + 1500 ? p : 0; }, 20_000);
    expect(crossed).toBeGreaterThan(boundary);
    expect(await page.evaluate(() => (window as unknown as { stalls: number }).stalls)).toBe(0);
    expect(await page.textContent('#pbClock')).toMatch(/^\d\d:\d\d:\d\d \+07:00$/); // the box's clock, with its offset

    // seek back inside what is buffered, then far ahead (a new stream from there)
    const back = segs[0]!.startMs + 1000;
    await page.evaluate((ms) => (window as unknown as { wardwatch: { playback: { seek(c: string, ms: number): void } } }).wardwatch.playback.seek('cam-2', ms), back);
    const afterBack = await until('the seek back', async () => { const p = await position(); return p !== null && p < boundary - 2000 ? p : 0; }, 10_000);
    expect(Math.abs(afterBack - back)).toBeLessThan(1500);
    const ahead = segs[3]!.startMs + 1500;
    await page.evaluate((ms) => (window as unknown as { wardwatch: { playback: { seek(c: string, ms: number): void } } }).wardwatch.playback.seek('cam-2', ms), ahead);
    const afterAhead = await until('the seek ahead', async () => { const p = await position(); return p !== null && Math.abs(p - ahead) < 1500 ? p : 0; }, 20_000);
    await sleep(1500);
    expect((await position())!).toBeGreaterThan(afterAhead);
  });

  it('exports two cameras into a signed folder that verify-export accepts, and refuses after one flipped byte', async () => {
    const segs = edge.recordStore.segmentsOf('cam-2');
    const fromMs = segs[1]!.startMs;
    const toMs = segs[3]!.endMs;
    await page.click('#tabs [data-tab=exports]');
    const [from, to] = await page.evaluate(([a, b]) => {
      const f = (ms: number) => { const d = new Date(ms); const p = (n: number) => String(n).padStart(2, '0'); return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`; };
      return [f(a!), f(b!)];
    }, [fromMs, toMs]);
    await page.check('#exCameras input[value=cam-1]');
    await page.check('#exCameras input[value=cam-2]');
    await page.fill('#exForm [name=from]', from!);
    await page.fill('#exForm [name=to]', to!);
    await page.fill('#exForm [name=reason]', 'Vụ va chạm giao lộ');
    await page.click('#exForm button[type=submit]');
    const row = await page.waitForSelector('#exList tr[data-state=done]', { timeout: 60_000 });
    const id = (await row.getAttribute('data-export'))!;
    expect(await page.$$eval(`#exList tr[data-export="${id}"] a`, (as) => as.map((a) => a.textContent).sort())).toEqual(['cam-1.mp4', 'cam-2.mp4', 'manifest.json', 'manifest.sig', 'public-key.pem']);
    const folder = path.join(dir, 'data', 'exports', id);
    const manifest = JSON.parse(readFileSync(path.join(folder, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ box: { ward: 'p07' }, exporter: { name: 'minh' }, reason: 'Vụ va chạm giao lộ', range: { fromMs: Math.floor(fromMs / 1000) * 1000 } });
    expect(manifest.cameras.map((c: { camera: string }) => c.camera)).toEqual(['cam-1', 'cam-2']);
    // times in UTC, and on the box's wall clock with its offset and zone: the same instants
    expect(manifest.timeZone).toBe('Asia/Ho_Chi_Minh');
    expect(manifest.range.from).toMatch(/Z$/);
    expect(manifest.range.fromLocal).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$/);
    for (const [utc, local] of [[manifest.range.from, manifest.range.fromLocal], [manifest.range.to, manifest.range.toLocal], [manifest.createdAt, manifest.createdAtLocal], [manifest.cameras[1].from, manifest.cameras[1].fromLocal]]) {
      expect(Date.parse(local)).toBe(Date.parse(utc));
    }
    expect(Date.parse(manifest.cameras[1].to)).toBe(manifest.cameras[1].toMs);

    // the verifier trusts a copy of the key taken from the box, not the one inside the export
    const trusted = path.join(dir, 'trusted-key.pem');
    writeFileSync(trusted, readFileSync(path.join(dir, 'data', 'keys', 'export-ed25519.pub.pem')));
    expect(statSync(path.join(dir, 'data', 'keys', 'export-ed25519.pem')).mode & 0o777).toBe(0o600);
    const ok = wardwatch(['verify-export', folder, '--public-key', trusted]);
    expect(ok.stdout).toMatch(/^ok/);
    expect(ok.stdout).toContain(`(${manifest.range.fromLocal} – ${manifest.range.toLocal}, Asia/Ho_Chi_Minh)`);
    expect(ok.status).toBe(0);
    for (const file of ['cam-2.mp4', 'manifest.json']) {
      const full = path.join(folder, file);
      const original = readFileSync(full);
      const flipped = Buffer.from(original);
      flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
      writeFileSync(full, flipped);
      const bad = wardwatch(['verify-export', folder, '--public-key', trusted]);
      expect(bad.status, `${file} flipped`).toBe(1);
      expect(bad.stderr).toContain(file);
      writeFileSync(full, original);
    }
    expect(wardwatch(['verify-export', folder, '--public-key', trusted]).status).toBe(0);
    expect(wardwatch(['verify-export', folder]).status).toBe(64);
  });

  it('lists events with snapshots and filters, and plays an event clip', async () => {
    const seg = edge.recordStore.segmentsOf('cam-2')[2]!;
    const snapshot = path.join(dir, 'snap.jpg');
    await sharp({ create: { width: 64, height: 36, channels: 3, background: '#3a6' } }).jpeg().toFile(snapshot);
    const clip = path.join(dir, 'clip.mp4');
    copyFileSync(seg.path, clip);
    const insert = edge.db.prepare(`INSERT INTO events (id, camera, label, score, top_score, box, zones, start_ms, last_seen_ms, best_at_ms, end_ms, state, snapshot_path, clip_state, clip_path, clip_start_ms, clip_end_ms, updated_at)
      VALUES (?, ?, ?, 0.8, 0.9, '{"x":0.1,"y":0.1,"w":0.2,"h":0.3}', '[]', ?, ?, ?, ?, 'ended', ?, ?, ?, ?, ?, ?)`);
    insert.run('01JEVENTPERSON0000000000001', 'cam-2', 'person', seg.startMs, seg.endMs, seg.startMs, seg.endMs, snapshot, 'done', clip, seg.startMs, seg.endMs, seg.endMs);
    insert.run('01JEVENTCAR000000000000002', 'cam-1', 'car', seg.startMs, seg.endMs, seg.startMs, seg.endMs, null, 'pending', null, null, null, seg.endMs);
    await page.click('#tabs [data-tab=events]');
    await page.waitForSelector('.ev-card[data-event="01JEVENTPERSON0000000000001"] img');
    expect(await page.$$eval('.ev-card', (c) => c.length)).toBe(2);
    await until('the snapshot to load', () => page.$eval('.ev-card[data-event="01JEVENTPERSON0000000000001"] img', (i: HTMLImageElement) => i.complete && i.naturalWidth === 64));
    await page.selectOption('#evFilter [name=label]', 'car');
    await page.click('#evFilter button[type=submit]');
    await until('the label filter', async () => (await page.$$eval('.ev-card', (c) => c.map((e) => e.getAttribute('data-event')))).join() === '01JEVENTCAR000000000000002');
    await page.selectOption('#evFilter [name=label]', '');
    await page.selectOption('#evFilter [name=camera]', 'cam-2');
    await page.click('#evFilter button[type=submit]');
    await until('the camera filter', async () => (await page.$$eval('.ev-card', (c) => c.map((e) => e.getAttribute('data-event')))).join() === '01JEVENTPERSON0000000000001');
    await page.click('.ev-card[data-event="01JEVENTPERSON0000000000001"] .play-clip');
    const [a, b] = await advances('#evVideo', 1500);
    expect(b).toBeGreaterThan(a);
  });

  it('keeps a held segment through a retention run that deletes its neighbours, until an administrator lifts the hold', async () => {
    const segs = edge.recordStore.segmentsOf('cam-2');
    const held = segs[2]!;
    const res = await page.evaluate(async ([from, to]) => {
      const w = window as unknown as { wardwatch: { state: { csrf: string } } };
      const r = await fetch('/api/holds', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': w.wardwatch.state.csrf }, body: JSON.stringify({ camera: 'cam-2', fromMs: from! + 200, toMs: to! - 200, reason: 'evidence' }) });
      return { status: r.status, body: await r.json() };
    }, [held.startMs, held.endMs]);
    expect(res.status).toBe(201);
    const holdId = res.body.hold.id as number;
    const farFuture = Date.now() + 400 * 86_400_000;
    expect(await edge.recording.runRetention(farFuture)).toBeGreaterThan(2);
    expect(existsSync(held.path)).toBe(true);
    expect(edge.recordStore.segmentsOf('cam-2').map((s) => s.path)).toContain(held.path);
    expect(existsSync(segs[1]!.path)).toBe(false);
    expect(existsSync(segs[3]!.path)).toBe(false);

    // an officer may not lift a hold; an administrator may
    const officerRelease = await page.evaluate(async (id) => {
      const w = window as unknown as { wardwatch: { state: { csrf: string } } };
      return (await fetch(`/api/holds/${id}/release`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': w.wardwatch.state.csrf }, body: '{}' })).status;
    }, holdId);
    expect(officerRelease).toBe(403);
    await edge.review.accounts.addUser({ name: 'admin', role: 'admin', password: 'admin-pass-1' }, { actor: 'test' });
    const admin = await sessionOf(edge.reviewUrl, 'admin', 'admin-pass-1', 'admin-pass-2');
    expect((await admin('POST', `/api/holds/${holdId}/release`, { reason: 'case closed' })).status).toBe(200);
    await edge.recording.runRetention(farFuture);
    expect(existsSync(held.path)).toBe(false);
  });

  it('has every view, export and hold in the audit log, and the chain verifies', async () => {
    const rows = await edge.audit.list({ limit: 1000 });
    const seen = rows.map((r) => `${r.action} ${r.actor} ${r.target ?? ''} ${r.detail ?? ''}`);
    const has = (re: RegExp) => expect(seen.some((l) => re.test(l)), String(re)).toBe(true);
    has(/^live\.view minh cam-1 .*"sub"/);
    has(/^live\.view minh cam-2 .*"sub"/);
    has(/^live\.view minh cam-2 .*"main"/);
    has(/^playback\.view minh cam-2/);
    has(/^export minh \S+ .*cam-1.*cam-2/);
    has(/^snapshot\.view minh 01JEVENTPERSON/);
    has(/^clip\.view minh 01JEVENTPERSON/);
    has(/^hold\.add minh hold:/);
    has(/^hold\.release admin hold:/);
    expect(rows.find((r) => r.action === 'live.view')!.ip).toBe('127.0.0.1');
    expect(await edge.audit.verify()).toMatchObject({ ok: true });
  });
});
