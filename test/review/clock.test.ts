// Time on the review page: the box's zone with its offset and the clocks (the box's NTP state, each camera's skew)
// from /api/box; then, in Chromium set to another zone, times shown and date boxes read in the box's zone, the
// camera clocks on the live grid and the warning while the box's clock is not NTP-synchronised.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NtpState } from '../../shared/contract/index.js';
import type { ReviewCamera } from '../../edge/review/context.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { sessionOf, startReviewBox, type ApiCaller, type ReviewBox } from './review-box.js';

const HOUR = 3_600_000;
/** 10:00 on 26 November 2026 in Hồ Chí Minh City (UTC+7) */
const NOW = Date.parse('2026-11-26T10:00:00+07:00');
const camera = (id: string): ReviewCamera => ({ id, name: `Camera ${id}`, mainUrl: `rtsp://127.0.0.1:9/${id}`, subUrl: `rtsp://127.0.0.1:9/${id}s` });
const skews: Record<string, number | null> = { 'cam-1': 3200, 'cam-2': null, 'cam-3': -400 };
let ntp: NtpState = 'unsynced';

let box: ReviewBox;
let officer: ApiCaller;

beforeAll(async () => {
  const t0 = Date.now();
  box = await startReviewBox({
    ward: { id: 'p07', name: 'Phường 7' },
    cameras: ['cam-1', 'cam-2', 'cam-3'].map(camera),
    timeZone: 'Asia/Ho_Chi_Minh',
    clock: () => NOW + (Date.now() - t0),
    clocks: { ntp: () => ntp, skewMs: (id) => skews[id] ?? null },
  });
  await box.server.accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', displayName: 'Trần Minh', password: 'first-pass-1' }, { actor: 'test' });
  officer = await sessionOf(box.url, 'minh', 'first-pass-1', 'station-pass-7');
  box.db
    .prepare(
      `INSERT INTO events (id, camera, label, score, top_score, box, zones, start_ms, last_seen_ms, best_at_ms, end_ms, state, clip_state, updated_at)
       VALUES ('01JCLOCKEVENT000000000001', 'cam-1', 'car', 0.8, 0.9, '{"x":0.4,"y":0.6,"w":0.1,"h":0.1}', '[]', ?, ?, ?, ?, 'ended', 'missing', ?)`,
    )
    .run(NOW - HOUR, NOW - HOUR + 5000, NOW - HOUR, NOW - HOUR + 9000, NOW - HOUR + 9000);
});

afterAll(async () => {
  await box?.close();
});

describe('/api/box', () => {
  it('says the zone of the page\'s times, the box\'s NTP state and each camera\'s clock skew, warned above 2 s', async () => {
    const r = await officer('GET', '/api/box');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ timeZone: 'Asia/Ho_Chi_Minh', clock: { ntp: 'unsynced' } });
    expect(r.json.cameras).toEqual([
      { id: 'cam-1', name: 'Camera cam-1', clockSkewMs: 3200, clockSkewed: true },
      { id: 'cam-2', name: 'Camera cam-2', clockSkewMs: null, clockSkewed: false },
      { id: 'cam-3', name: 'Camera cam-3', clockSkewMs: -400, clockSkewed: false },
    ]);
  });
});

describe.skipIf(!browserOrSkip('review page clock UI test'))('the review page\'s times and clocks in Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    // an officer's browser set to another zone: the page must not show New York times, nor read its boxes in them
    const context = await browser.newContext({ timezoneId: 'America/New_York', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.clock.install();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the camera clocks on the live grid and warns while the box\'s clock is not NTP-synchronised', async () => {
    await page.goto(box.url);
    await page.fill('#loginForm [name=name]', 'minh');
    await page.fill('#loginForm [name=password]', 'station-pass-7');
    await page.click('#loginForm button');
    await page.waitForSelector('#grid .tile');
    expect(await page.textContent('#zoneNote')).toBe('Giờ theo Asia/Ho_Chi_Minh (UTC+07:00)');
    expect(await page.isVisible('#clockNote')).toBe(true);
    expect(await page.textContent('#clockNote')).toContain('chưa được đồng bộ NTP');
    const clockOf = (id: string) => page.locator(`#grid .clock[data-camera="${id}"]`);
    expect(await clockOf('cam-1').textContent()).toBe('⚠ đồng hồ camera +3,2 s');
    expect(await clockOf('cam-1').getAttribute('class')).toContain('off');
    expect(await clockOf('cam-2').textContent()).toBe('');
    expect(await clockOf('cam-3').textContent()).toBe('đồng hồ camera −0,4 s');
    expect(await clockOf('cam-3').getAttribute('class')).not.toContain('off');

    // the box's clock gets synchronised: the page asks again within a minute and the warning goes
    ntp = 'synced';
    await page.clock.runFor(61_000);
    await page.waitForSelector('#clockNote', { state: 'hidden' });
    await page.click('#lang');
    expect(await clockOf('cam-1').textContent()).toBe('⚠ camera clock +3.2 s');
    await page.click('#lang');
  });

  it('shows an alert\'s time on the box\'s clock with its offset', async () => {
    await page.click('#tabs [data-tab=events]');
    const card = page.locator('.ev-card[data-event="01JCLOCKEVENT000000000001"]');
    await card.waitFor();
    expect(await card.textContent()).toContain('26/11/2026 09:00:00 +07:00');
  });

  it('asks the timeline for the box\'s day, from its midnight (+07:00), not the browser\'s', async () => {
    await page.click('#tabs [data-tab=timeline]');
    const asked = page.waitForRequest((r) => r.url().includes('/api/timeline/cam-1?') && r.url().includes(`from=${Date.parse('2026-11-26T00:00:00+07:00')}&`));
    await page.fill('#tlDay', '2026-11-26');
    await page.dispatchEvent('#tlDay', 'change');
    const url = new URL((await asked).url());
    expect(Number(url.searchParams.get('to')) - Number(url.searchParams.get('from'))).toBe(24 * HOUR);
    await page.waitForSelector('#tlGaps li');
    expect(await page.textContent('#tlHourLabel')).toMatch(/^\d\d:00–\d\d:00 \+07:00$/);
  });

  it('reads the date boxes of a hold on the box\'s clock, not the browser\'s', async () => {
    await page.click('#tabs [data-tab=holds]');
    await page.fill('#hoForm [name=from]', '2026-11-26T08:00:00');
    await page.fill('#hoForm [name=to]', '2026-11-26T08:10:00');
    await page.click('#hoForm button[type=submit]');
    await page.waitForSelector('#hoList tr[data-hold]');
    expect(box.server.holds.list().map((h) => [h.camera, h.fromMs, h.toMs])).toEqual([['cam-1', Date.parse('2026-11-26T08:00:00+07:00'), Date.parse('2026-11-26T08:10:00+07:00')]]);
    expect(await page.textContent('#hoList tr[data-hold]')).toContain('26/11/2026 08:00:00 +07:00 – 26/11/2026 08:10:00 +07:00');
  });
});
