// The operator page in real Chromium against a real hub: forced password change, filters, clip playback,
// share to the city receiver (signature verified there), the shared link and its expiry, health board,
// dead letters, language switch, and every view in the audit log.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { startCityReceiver, type CityReceiver } from '../../test-fixtures/city/index.js';
import { CLI, startApiHub } from '../../testing/hub/api/test-client.js';
import { seedIncident, type Seeded } from '../../testing/hub/api/test-seed.js';
import { noiseJpeg } from '../../testing/hub/forward/test-images.js';
import type { RunningHub } from '../../hub/main.js';
import { tempDir } from '../../testing/hub/test-support.js';
import { browserOrSkip, launchBrowser } from '../browser.js';

const hasBrowser = browserOrSkip('operator page UI tests');

const HOUR = 3_600_000;
let offset = 0;
const clock = () => Date.now() + offset;

let hub: RunningHub;
let base: string;
let city: CityReceiver;
let browser: Browser;
let page: Page;
let mp4: Buffer;
let target: Seeded;
const people: Seeded[] = [];

/** A real H.264 MP4 (4 s, faststart), as a ward's clip would be. */
async function makeClip(): Promise<Buffer> {
  const { ffmpeg } = await locateFfmpeg();
  const out = path.join(tempDir('ww-ui-clip-'), 'clip.mp4');
  const r = spawnSync(ffmpeg.path, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=15', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-y', out]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
  return readFileSync(out);
}

describe.skipIf(!hasBrowser)('the operator page in Chromium', () => {
  beforeAll(async () => {
    city = await startCityReceiver({ secret: 'city-secret-1' });
    ({ hub, base } = await startApiHub({
      clock,
      linkTtlHours: 1,
      targets: [
        { id: 'city', type: 'webhook', url: city.url, secretName: 'city-webhook' },
        { id: 'city-bad', type: 'webhook', url: city.url, secretName: 'wrong-secret' },
      ],
      secrets: { 'city-webhook': 'city-secret-1', 'wrong-secret': 'not-the-city-secret' },
    }));
    await hub.accounts.addUser({ name: 'lan', displayName: 'Nguyễn Thị Lan', role: 'operator', password: 'initial-pass-1' }, CLI);
    mp4 = await makeClip();
    const now = Date.now();
    for (let i = 0; i < 6; i++) people.push(seedIncident(hub.store, { ward: 'p07', camera: 'cam-02', label: 'person', start: now - (i + 2) * HOUR }));
    for (let i = 0; i < 4; i++) seedIncident(hub.store, { ward: 'p08', camera: 'cam-01', label: 'truck', start: now - (i + 2) * HOUR, snapshot: await noiseJpeg() });
    target = seedIncident(hub.store, { ward: 'p09', camera: 'gate', label: 'car', start: now - HOUR, zones: ['crossing'], snapshot: await noiseJpeg(640, 360), clip: mp4 });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('dialog', (d) => void d.accept()); // the confirm() before an unblurred share
  });

  afterAll(async () => {
    await browser?.close();
    await hub?.close();
    await city?.stop();
  });

  it('logs in in Vietnamese, and makes the operator change the initial password first', async () => {
    await page.goto(base);
    await page.locator('#login-view').waitFor();
    expect(await page.locator('#login-form button[type=submit]').textContent()).toBe('Đăng nhập');
    await page.fill('#login-form [name=name]', 'lan');
    await page.fill('#login-form [name=password]', 'initial-pass-1');
    await page.click('#login-form button[type=submit]');
    await page.locator('#password-view').waitFor();
    await page.fill('#password-form [name=current]', 'initial-pass-1');
    await page.fill('#password-form [name=next]', 'operator-pass-2');
    await page.fill('#password-form [name=confirm]', 'operator-pass-2');
    await page.click('#password-form button[type=submit]');
    await page.locator('#app-view').waitFor();
    expect(await page.locator('#tab-incidents').textContent()).toBe('Sự cố');
    await page.locator('#incident-list li').first().waitFor();
    expect(await page.locator('#incident-list li').count()).toBe(11);
    if (process.env.SHOTS) await page.screenshot({ path: '/tmp/shot-list.png' });
    expect((await hub.accounts.get('lan'))!.mustChange).toBe(false);
  });

  it('filters the list, then opens an incident whose clip plays', async () => {
    await page.selectOption('#filters [name=label]', 'person');
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.locator('#incident-list li').count()).toBe(people.length);
    const ids = await page.locator('#incident-list li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id));
    expect(ids).toEqual(people.map((p) => p.id));

    await page.click('#filters button[type=reset]');
    await page.selectOption('#filters [name=ward]', 'p09');
    await page.click('#filters button[type=submit]');
    await expect.poll(() => page.locator('#incident-list li').count()).toBe(1);
    await page.click(`#incident-list li[data-id="${target.id}"]`);
    await page.locator('#detail[open] video#clip').waitFor();
    await page.evaluate(async () => {
      const v = document.getElementById('clip') as HTMLVideoElement;
      v.muted = true;
      await v.play();
    });
    await expect.poll(() => page.evaluate(() => (document.getElementById('clip') as HTMLVideoElement).currentTime), { timeout: 20_000 }).toBeGreaterThan(0.5);
    if (process.env.SHOTS) await page.screenshot({ path: '/tmp/shot-detail.png' });
    expect(await page.evaluate(() => (document.getElementById('snapshot') as HTMLImageElement).naturalWidth)).toBe(640);
  });

  it('shares unblurred after a warning; the city verifies the signature; the shared link works, then expires', async () => {
    expect(await page.locator('#share').textContent()).toBe('Chia sẻ với Trung tâm thành phố');
    expect(await page.locator('#share-warning').isVisible()).toBe(false);
    await page.check('#share-unblurred');
    expect(await page.locator('#share-warning').textContent()).toMatch(/nhật ký kiểm toán/);
    await page.fill('#share-form [name=note]', 'Xe dừng trên vạch qua đường');
    await page.click('#share');
    await page.locator('#share-result:not([hidden])').waitFor();
    await expect.poll(() => city.stats().accepted, { timeout: 20_000 }).toBe(1); // the receiver accepts only a valid signature
    const alert = city.alerts()[0]!.alert as { cause: { by: string; note: string }; incident: { id: string }; clip: { url: string }; snapshot: { blur: string } };
    expect(alert).toMatchObject({ cause: { by: 'lan', note: 'Xe dừng trên vạch qua đường' }, incident: { id: target.id } });
    expect(city.alerts()[0]!.idempotencyKey).toBe(`${target.id}:city:unblurred`);

    const link = base + new URL(alert.clip.url).pathname;
    const whole = await fetch(link);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(mp4)).toBe(true);
    const part = await fetch(link, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(mp4.subarray(100, 200))).toBe(true);
    const forged = link.slice(0, -3) + (link.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await fetch(forged)).status).toBe(403);
    offset += 2 * HOUR; // the link was signed for one hour
    expect((await fetch(link)).status).toBe(403);
    offset = 0;
  });

  it('lists the alert the city refused, and retries it', async () => {
    await expect.poll(async () => (await hub.forwarder.stats()).dead, { timeout: 20_000 }).toBe(1);
    await page.click('#detail-close');
    await page.click('#tab-dead');
    const row = page.locator(`#dead-list tr[data-key="${target.id}:city-bad:unblurred"]`);
    await row.waitFor();
    expect(await row.textContent()).toMatch(/401/);
    const refusedBefore = city.stats().rejected;
    await row.locator('button.retry').click();
    await expect.poll(() => row.textContent()).toMatch(/Đã đưa vào gửi lại/);
    // the retry really went out again (and, signed with the wrong secret, was refused again)
    await expect.poll(() => city.stats().rejected, { timeout: 20_000 }).toBeGreaterThan(refusedBefore);
  });

  it('shows every ward on a health board that refreshes itself', async () => {
    await page.click('#tab-health');
    await expect.poll(() => page.locator('#ward-board article').count()).toBe(3);
    expect(await page.locator('#ward-board article[data-ward="p07"]').getAttribute('data-state')).toBe('unknown');
    const now = clock();
    const status = JSON.stringify({ state: 'online', ward: 'p07', version: '0.1.0', startedAt: now - 1000, at: now, disk: { freeBytes: 8e11, totalBytes: 2e12 }, outboxDepth: 0, cameras: { recording: 1, total: 1 }, detector: 'onnx', alarms: [], clock: { ntp: 'unsynced' } });
    hub.store.db.prepare('INSERT OR REPLACE INTO box_status (box_id, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?)').run('p07', 'online', status, now, now);
    const camera = JSON.stringify({ ward: 'p07', camera: 'cam-02', state: 'recording', at: now, lastSegmentAt: now, gapsToday: 0, bytesPerSecond: 5e5, detectFps: 5, clockSkewMs: 3200 });
    hub.store.db.prepare('INSERT OR REPLACE INTO camera_status (ward, camera, state, status, at, updated_at) VALUES (?, ?, ?, ?, ?, ?)').run('p07', 'cam-02', 'recording', camera, now, now);
    // no click: the board polls every 5 s
    await expect.poll(() => page.locator('#ward-board article[data-ward="p07"]').getAttribute('data-state'), { timeout: 15_000 }).toBe('online');
    expect(await page.locator('#ward-board article[data-ward="p07"] .pill').textContent()).toBe('Trực tuyến');
    expect(await page.locator('#wards-online').textContent()).toBe('1/3 phường trực tuyến');
    // the box's clock and a camera clock 3.2 s ahead of it are warned about; times are the district's, with the offset
    const p07 = page.locator('#ward-board article[data-ward="p07"]');
    expect(await p07.locator('.ntp.unsynced').textContent()).toBe('⚠ chưa đồng bộ NTP');
    await expect.poll(() => p07.locator('.cam.clock-off[data-camera="cam-02"]').textContent()).toBe('cam-02 ⚠ đồng hồ camera +3,2 s');
    expect(await page.locator('#health-updated').textContent()).toMatch(/^Cập nhật lúc \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d \+07:00$/);
    expect(await page.locator('#zone-note').textContent()).toBe('Giờ theo Asia/Ho_Chi_Minh (UTC+07:00)');
    if (process.env.SHOTS) await page.screenshot({ path: '/tmp/shot-health.png' });
  });

  it('switches to English and back with one click', async () => {
    await page.click('#lang');
    expect(await page.locator('#tab-incidents').textContent()).toBe('Incidents');
    await expect.poll(() => page.locator('#ward-board article[data-ward="p07"] .pill').textContent()).toBe('Online'); // re-rendered from the next fetch
    await page.click('#lang');
    expect(await page.locator('#tab-incidents').textContent()).toBe('Sự cố');
  });

  it('has every view in the audit log', async () => {
    const rows = await hub.audit.list({ limit: 1000 });
    const has = (action: string, actor: string, targetId?: string) => rows.some((r) => r.action === action && r.actor === actor && (targetId === undefined || r.target === targetId));
    expect(has('login', 'lan')).toBe(true);
    expect(has('password.change', 'lan')).toBe(true);
    expect(has('snapshot.view', 'lan', target.id)).toBe(true);
    expect(has('clip.view', 'lan', target.id)).toBe(true);
    expect(has('share', 'lan', target.id)).toBe(true);
    expect(rows.find((r) => r.action === 'share.open' && r.actor === 'city')).toMatchObject({ target: target.id, detail: expect.stringContaining('share-link') });
    // thumbnails in the list are views too
    expect(rows.filter((r) => r.action === 'snapshot.view' && r.detail?.includes('thumb')).length).toBeGreaterThanOrEqual(5);
    expect(await hub.audit.verify()).toMatchObject({ ok: true });
  });
});
