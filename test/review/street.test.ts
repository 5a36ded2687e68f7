// The street tab and its API on a review server over a real db: a camera's lines, zones and alert rules, today's
// counts in the box's time zone, and alerts that carry their rule; then the same in Chromium.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewCamera } from '../../edge/review/context.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { sessionOf, startReviewBox, type ApiCaller, type ReviewBox } from './review-box.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** 10:00 on 26 November 2026 in Hồ Chí Minh City (UTC+7); the box's clock runs on from there */
const NOW = Date.parse('2026-11-26T10:00:00+07:00');
const MIDNIGHT = Date.parse('2026-11-26T00:00:00+07:00');

const junction: ReviewCamera = {
  id: 'cam-1',
  name: 'Phan Đăng Lưu × Hoàng Văn Thụ',
  mainUrl: 'rtsp://127.0.0.1:9/main',
  subUrl: 'rtsp://127.0.0.1:9/sub',
  zones: [{ id: 'box-junction', polygon: [[0.3, 0.5], [0.7, 0.5], [0.7, 0.9], [0.3, 0.9]] }],
  lines: [{ id: 'pdl-north', name: 'Phan Đăng Lưu', points: [[0.05, 0.62], [0.95, 0.62]], directions: { forward: 'về Nguyễn Văn Trỗi', backward: 'về Hoàng Văn Thụ' } }],
  alerts: [
    { id: 'stopped-in-junction', kind: 'dwell', zone: 'box-junction', seconds: 30, labels: ['car', 'truck', 'bus'] },
    { id: 'wrong-way-night', kind: 'wrong-way', line: 'pdl-north', direction: 'backward', hours: { from: '22:00', to: '05:00' } },
  ],
};
const plain: ReviewCamera = { id: 'cam-2', name: 'Chợ', mainUrl: 'rtsp://127.0.0.1:9/c2', subUrl: 'rtsp://127.0.0.1:9/c2s' };

let box: ReviewBox;
let officer: ApiCaller;

function count(camera: string, minute: number, direction: 'forward' | 'backward', label: string, n: number) {
  box.db.prepare('INSERT INTO line_counts (camera, minute, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?)').run(camera, minute, 'pdl-north', direction, label, n);
}
function alert(id: string, rule: { id: string; kind: string } | null) {
  box.db
    .prepare(
      `INSERT INTO events (id, camera, label, score, top_score, box, zones, start_ms, last_seen_ms, best_at_ms, end_ms, state, clip_state, rule_id, rule_kind, updated_at)
       VALUES (?, 'cam-1', 'car', 0.8, 0.9, '{"x":0.4,"y":0.6,"w":0.1,"h":0.1}', '["box-junction"]', ?, ?, ?, ?, 'ended', 'missing', ?, ?, ?)`,
    )
    .run(id, NOW - HOUR, NOW - HOUR + 40_000, NOW - HOUR, NOW - HOUR + 45_000, rule?.id ?? null, rule?.kind ?? null, NOW - HOUR + 45_000);
}

beforeAll(async () => {
  const t0 = Date.now();
  box = await startReviewBox({
    ward: { id: 'p07', name: 'Phường 7' },
    cameras: [junction, plain],
    timeZone: 'Asia/Ho_Chi_Minh',
    clock: () => NOW + (Date.now() - t0),
    // a busy camera held below its 5 fps by the overload plan
    detection: (camera) => (camera === 'cam-1' ? { detectFps: 5, detectedFps: 2.4, framesSkippedPerMin: 150, framesLostPerMin: 1 } : { detectFps: 5, detectedFps: 0.2, framesSkippedPerMin: 0, framesLostPerMin: 0 }),
  });
  await box.server.accounts.addUser({ name: 'minh', role: 'officer', ward: 'p07', displayName: 'Trần Minh', password: 'first-pass-1' }, { actor: 'test' });
  officer = await sessionOf(box.url, 'minh', 'first-pass-1', 'station-pass-7');
  count('cam-1', MIDNIGHT - MINUTE, 'forward', 'car', 100); // 23:59 yesterday, local time
  count('cam-1', MIDNIGHT, 'forward', 'car', 5);
  count('cam-1', MIDNIGHT + 9 * HOUR + 30 * MINUTE, 'forward', 'car', 3);
  count('cam-1', MIDNIGHT + 9 * HOUR + 30 * MINUTE, 'forward', 'motorcycle', 40);
  count('cam-1', MIDNIGHT + 9 * HOUR + 31 * MINUTE, 'backward', 'car', 2);
  count('cam-2', MIDNIGHT + HOUR, 'forward', 'car', 7); // another camera
  alert('01JALERTDWELL00000000000001', { id: 'stopped-in-junction', kind: 'dwell' });
  alert('01JOLDEVENT0000000000000002', null);
});

afterAll(async () => {
  await box?.close();
});

describe('GET /api/street', () => {
  it('gives the camera\'s lines, zones and alert rules, every rule field present (null where edge.yaml leaves it out)', async () => {
    const r = await officer('GET', '/api/street?camera=cam-1');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ camera: 'cam-1', lines: junction.lines, zones: junction.zones });
    expect(r.json.alerts).toEqual([
      { id: 'stopped-in-junction', kind: 'dwell', labels: ['car', 'truck', 'bus'], zone: 'box-junction', line: null, direction: null, seconds: 30, count: null, hours: null },
      { id: 'wrong-way-night', kind: 'wrong-way', labels: null, zone: null, line: 'pdl-north', direction: 'backward', seconds: null, count: null, hours: { from: '22:00', to: '05:00' } },
    ]);
  });

  it('sums today\'s counts from local midnight in the box\'s time zone: yesterday\'s 23:59 and other cameras left out', async () => {
    const r = await officer('GET', '/api/street?camera=cam-1');
    expect(r.json.today).toEqual({
      from: MIDNIGHT,
      counts: [
        { line: 'pdl-north', direction: 'forward', label: 'car', n: 8 },
        { line: 'pdl-north', direction: 'forward', label: 'motorcycle', n: 40 },
        { line: 'pdl-north', direction: 'backward', label: 'car', n: 2 },
      ],
      byHour: [
        { hour: MIDNIGHT, line: 'pdl-north', direction: 'forward', n: 5 },
        { hour: MIDNIGHT + 9 * HOUR, line: 'pdl-north', direction: 'forward', n: 43 },
        { hour: MIDNIGHT + 9 * HOUR, line: 'pdl-north', direction: 'backward', n: 2 },
      ],
    });
  });

  it('gives the camera\'s detection over the last minute: its effective detect rate, frames skipped by plan and lost', async () => {
    const r = await officer('GET', '/api/street?camera=cam-1');
    expect(r.json.detection).toEqual({ detectFps: 5, detectedFps: 2.4, framesSkippedPerMin: 150, framesLostPerMin: 1 });
  });

  it('gives a camera with no street layout empty lists', async () => {
    const r = await officer('GET', '/api/street?camera=cam-2');
    expect(r.json).toMatchObject({ camera: 'cam-2', lines: [], zones: [], alerts: [], today: { from: MIDNIGHT, counts: [{ line: 'pdl-north', direction: 'forward', label: 'car', n: 7 }] } });
  });

  it('answers 404 naming an unknown camera, 400 without one, 401 without a session', async () => {
    const unknown = await officer('GET', '/api/street?camera=cam-9');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'NOT_FOUND', field: 'camera' });
    expect(unknown.json.error).toContain('"cam-9"');
    const missing = await officer('GET', '/api/street');
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ field: 'camera' });
    expect((await fetch(`${box.url}/api/street?camera=cam-1`)).status).toBe(401);
  });

  it('writes nothing to the audit log (counts are about no one, and listing alerts is not audited)', async () => {
    await officer('GET', '/api/street?camera=cam-1');
    const actions = box.db.prepare<[], { action: string }>('SELECT action FROM audit').all().map((r) => r.action);
    expect(actions.filter((a) => a.startsWith('street'))).toEqual([]);
  });
});

describe('alerts carry their rule', () => {
  it('in the list, and not on events from before alert rules', async () => {
    const r = await officer('GET', '/api/events?camera=cam-1');
    const events = r.json.events as { id: string; rule?: unknown }[];
    expect(events.find((e) => e.id === '01JALERTDWELL00000000000001')!.rule).toEqual({ id: 'stopped-in-junction', kind: 'dwell' });
    expect(events.find((e) => e.id === '01JOLDEVENT0000000000000002')).not.toHaveProperty('rule');
  });

  it('in one alert, without its file paths; 404 for an unknown id', async () => {
    const r = await officer('GET', '/api/events/01JALERTDWELL00000000000001');
    expect(r.status).toBe(200);
    expect(r.json.event).toMatchObject({ id: '01JALERTDWELL00000000000001', camera: 'cam-1', rule: { id: 'stopped-in-junction', kind: 'dwell' }, clip: 'missing', hasSnapshot: false });
    expect(r.json.event).not.toHaveProperty('clipPath');
    expect(r.json.event).not.toHaveProperty('snapshotPath');
    expect((await officer('GET', '/api/events/01JNOSUCHEVENT000000000000')).status).toBe(404);
  });
});

describe.skipIf(!browserOrSkip('street tab UI test'))('the street tab in Chromium', () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    const context = await browser.newContext({ timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.clock.install();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws the camera\'s line and zone, says its rules in words, counts today\'s crossings, and refreshes every minute', async () => {
    await page.goto(box.url);
    await page.fill('#loginForm [name=name]', 'minh');
    await page.fill('#loginForm [name=password]', 'station-pass-7');
    await page.click('#loginForm button');
    await page.click('#tabs [data-tab=street]');
    expect(await page.textContent('#tabs [data-tab=street]')).toBe('Đường phố');
    expect(await page.textContent('#tabs [data-tab=events]')).toBe('Cảnh báo');

    await page.waitForSelector('#stDiagram [data-line=pdl-north]');
    expect(await page.textContent('#stDiagram [data-line=pdl-north] .name')).toBe('Phan Đăng Lưu');
    expect(await page.textContent('#stDiagram [data-line=pdl-north] .dir.forward')).toBe('về Nguyễn Văn Trỗi');
    expect(await page.textContent('#stDiagram [data-zone=box-junction] text')).toBe('box-junction');
    // the forward arrow points up the picture for a line drawn left to right
    const arrow = await page.$eval('#stDiagram [data-line=pdl-north] .forward', (l) => [Number(l.getAttribute('y1')), Number(l.getAttribute('y2'))]);
    expect(arrow[1]!).toBeLessThan(arrow[0]!);
    expect(await page.textContent('#stRules [data-rule=stopped-in-junction]')).toContain('Dừng ≥ 30 s trong vùng box-junction: ô tô, xe tải, xe buýt');
    expect(await page.textContent('#stRules [data-rule=wrong-way-night]')).toContain('về Hoàng Văn Thụ (từ 22:00 đến 05:00)');

    const cell = (direction: string, label: string) => page.textContent(`#stCounts tr[data-line=pdl-north][data-direction=${direction}] td[data-label=${label}]`);
    expect(await cell('forward', 'motorcycle')).toBe('40');
    expect(await cell('forward', 'car')).toBe('8');
    expect(await page.textContent('#stCounts tr[data-line=pdl-north][data-direction=forward] td.total')).toBe('48');
    expect(await page.textContent('#stCounts tr.total th:last-child')).toBe('50');
    expect(await page.textContent('#stDetection')).toBe('Nhận dạng: 2.4 khung hình/giây (phân tích 5/giây); phút qua bỏ qua theo kế hoạch 150, bỏ lỡ 1');

    // a minute later the page asks again and shows the minute the box has written since
    count('cam-1', MIDNIGHT + 9 * HOUR + 45 * MINUTE, 'forward', 'motorcycle', 2);
    await page.clock.runFor(61_000);
    await page.waitForFunction(() => document.querySelector('#stCounts tr[data-direction=forward] td[data-label=motorcycle]')?.textContent === '42');

    await page.click('#lang');
    await page.waitForFunction(() => document.querySelector('#stRules [data-rule=stopped-in-junction]')?.textContent?.startsWith('Dwell'));
    expect(await page.textContent('#stRules [data-rule=stopped-in-junction]')).toContain('Dwell ≥ 30 s in box-junction: car, truck, bus');
    await page.click('#tabs [data-tab=events]');
    expect(await page.textContent('#tabs [data-tab=events]')).toBe('Alerts');
    const rule = await page.waitForSelector('.ev-card[data-event="01JALERTDWELL00000000000001"] .rule');
    expect(await rule.textContent()).toBe('Dwell · stopped-in-junction');
    expect(await page.$$eval('.ev-card[data-event="01JOLDEVENT0000000000000002"] .rule', (r) => r.length)).toBe(0);
  });
});
