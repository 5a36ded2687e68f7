// The district's analysis in real Chromium, against a real hub and a real ward box recording a fake camera: the box
// reports its camera's position (edge.yaml location → camera status); sightings and per-minute counts arrive as the
// contract's messages from a second connection of the ward. An operator finds a red car by colour and place, is told
// what to fix in a bad search, opens the car's moment (a retrieval of ±10 s from the box, which plays), follows the
// car to the next camera; the dashboard shows the numbers the API gives and the box sent.
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { monotonicFactory } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../testing/hub/api/test-client.js';
import type { RunningHub } from '../../hub/main.js';
import { connectWard, testWard } from '../../testing/hub/test-support.js';
import { topics, type CountsMessage, type Sighting } from '../../shared/contract/index.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { OPERATOR_PASSWORD, startRemoteRig, type RemoteRig } from '../remote/rig.js';
import { untilWith } from '../until.js';

const hasBrowser = browserOrSkip('vehicle search and dashboard page tests');
const until = untilWith(60_000, 250);
const ulid = monotonicFactory();
const MIN = 60_000;
const HOUR = 3_600_000;
// a 1×1 JPEG (the contract's example): the hub keeps a vehicle's thumbnail as bytes
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==';

let rig: RemoteRig;
let hub: RunningHub;
let operator: Client;
let ward: MqttClient;
let browser: Browser;
let page: Page;
/** set once the box has recorded a while: the moment searched for is in its recording */
let now: number;
let redCar: Sighting;
let nextCamera: Sighting;
/** what the box counted, per minute, as it sent it */
const sent: CountsMessage[] = [];

function sighting(camera: string, label: Sighting['label'], first: number, colour?: Sighting['colour']): Sighting {
  return {
    id: ulid(), camera, label, first, last: first + 8000, score: 0.8, box: { x: 0.4, y: 0.5, w: 0.2, h: 0.15 }, bestAt: first + 3000, heading: 90,
    lines: [], zones: [], final: true, ...(colour ? { colour, thumbnail: JPEG } : {}),
  };
}

const publish = (topic: string, payload: unknown, retain = false) => ward.publishAsync(topic, JSON.stringify(payload), { qos: 1, retain });

describe.skipIf(!hasBrowser)('vehicle search and traffic indicators in Chromium', () => {
  beforeAll(async () => {
    rig = await startRemoteRig({ cameraYaml: '    record: { segmentSeconds: 3 }\n    location: { address: "Phan Đăng Lưu × Hoàng Văn Thụ", lat: 10.8, lon: 106.68 }\n' });
    ({ hub, operator } = rig);
    // ~30 s of recording: the red car passes 25 s ago
    await until('ten recorded segments', () => rig.edge.recordStore.segmentsInRange('cam-1', 0, Date.now() + 60_000).length >= 10);
    now = Date.now();
    // the box's own status put its camera on the map
    await until('cam-1 placed at the hub', () => hub.store.db.prepare("SELECT 1 FROM cameras WHERE ward = 'p01' AND camera = 'cam-1' AND lat = 10.8 AND lon = 106.68").get());

    ward = await connectWard(hub.listeners[0]!.port, { ward: testWard('p01'), clientId: 'ward-p01:street' });
    // two more cameras of the ward: cam-2 111 m up the street, cam-3 2.2 km away
    for (const [camera, lat] of [['cam-2', 10.801], ['cam-3', 10.82]] as const) {
      await publish(topics.cameraStatus('p01', camera), { ward: 'p01', camera, state: 'recording', at: now, lastSegmentAt: now, gapsToday: 0, bytesPerSecond: 500000, detectFps: 5, location: { lat, lon: 106.68 } }, true);
    }
    redCar = sighting('cam-1', 'car', now - 25_000, 'red');
    nextCamera = sighting('cam-2', 'car', redCar.last + 40_000, 'red');
    const batches: [string, Sighting[]][] = [
      ['cam-1', [redCar, sighting('cam-1', 'car', now - 24_000, 'white'), sighting('cam-1', 'motorcycle', now - 23_000, 'red'), sighting('cam-1', 'person', now - 22_000)]],
      ['cam-2', [nextCamera, sighting('cam-2', 'car', redCar.last + 50_000, 'blue')]],
      ['cam-3', [sighting('cam-3', 'car', redCar.last + 30_000, 'red')]],
    ];
    for (const [camera, sightings] of batches) await publish(topics.sightings('p01'), { msgId: ulid(), ward: 'p01', camera, sightings });

    // the box's counts for cam-1 over the last 3 hours: a known number per minute (a minute of nothing too)
    const start = Math.floor((now - 3 * HOUR) / MIN) * MIN;
    for (let m = start; m < Math.floor(now / MIN) * MIN; m += MIN) {
      const i = (m - start) / MIN;
      const counts: CountsMessage['counts'] = i % 7 === 3 ? [] : [
        { line: 'north', direction: 'forward', label: 'motorcycle', n: 3 + (i % 5) },
        { line: 'north', direction: 'backward', label: 'car', n: 1 + (i % 2) },
      ];
      const msg: CountsMessage = { msgId: ulid(), ward: 'p01', camera: 'cam-1', minute: m, counts };
      sent.push(msg);
      await publish(topics.counts('p01'), msg);
    }
    await until('sightings and counts at the hub', () =>
      (hub.store.db.prepare("SELECT count(*) FROM sightings WHERE ward = 'p01'").pluck().get() as number) === 7 &&
      (hub.store.db.prepare("SELECT count(*) FROM count_minutes WHERE ward = 'p01'").pluck().get() as number) === sent.length);

    browser = await launchBrowser();
    page = await (await browser.newContext({ timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(operator.base);
    await page.fill('#login-form [name=name]', 'lan');
    await page.fill('#login-form [name=password]', OPERATOR_PASSWORD);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app-view:not([hidden])');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ward?.endAsync();
    await rig?.stop();
  });

  it('finds the red car by colour and place (within 100 m of cam-1), with its thumbnail', async () => {
    await page.click('#tab-search');
    await page.waitForSelector('#search-form select[name=near] option[value="p01/cam-1"]', { state: 'attached' });
    await page.selectOption('#search-form [name=near]', 'p01/cam-1');
    await page.fill('#search-form [name=radius]', '100');
    await page.check('#search-labels input[value=car]');
    await page.check('#search-colours input[value=red]');
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector(`#search-list li[data-id="${redCar.id}"]`);
    expect(await page.locator('#search-list li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.id))).toEqual([redCar.id]);
    expect(await page.getAttribute('#search-total', 'data-n')).toBe('1');
    expect(await page.textContent('#search-total')).toBe('Tìm thấy 1');
    await until('the thumbnail shown', () => page.evaluate((id) => (document.querySelector(`#search-list li[data-id="${id}"] img`) as HTMLImageElement | null)?.naturalWidth === 1, redCar.id));
    // audited: who asked what
    const audited = (await hub.audit.list({ actor: 'lan', limit: 50 })).find((a) => a.action === 'search');
    expect(JSON.parse(audited!.detail!)).toMatchObject({ subject: 'sightings', filter: { near: 'p01/cam-1', radius: '100', labels: 'car', colours: 'red' }, results: 1, total: 1 });
  });

  it('says what to fix when the search is wrong, and asks people by appearance of no one', async () => {
    await page.fill('#search-form [name=radius]', '-1');
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#search-error:not([hidden])');
    expect(await page.textContent('#search-error')).toMatch(/^Cần sửa «radius»: Bán kính từ 0 đến 5000 mét/);
    expect(await page.getAttribute('#search-form [name=radius]', 'aria-invalid')).toBe('true');

    await page.fill('#search-form [name=radius]', '100');
    await page.check('#search-labels input[value=person]');
    await page.click('#search-form button[type=submit]');
    await until('the colour refusal', async () => /«colours»/.test((await page.textContent('#search-error')) ?? ''));
    expect(await page.textContent('#search-error')).toMatch(/Không tra cứu người theo màu sắc/);
    await page.uncheck('#search-labels input[value=person]');

    const from = await page.inputValue('#search-form [name=from]');
    await page.fill('#search-form [name=from]', '');
    await page.click('#search-form button[type=submit]');
    await until('the window refusal', async () => /«from»/.test((await page.textContent('#search-error')) ?? ''));
    await page.fill('#search-form [name=from]', from);
    await page.click('#search-form button[type=submit]');
    await page.waitForSelector('#search-error', { state: 'hidden' });
    await page.waitForSelector(`#search-list li[data-id="${redCar.id}"]`);
  });

  it('opens the moment: the Retrieve tab filled with cam-1 ±10 s, and the box\'s recording plays', async () => {
    await page.click(`#search-list li[data-id="${redCar.id}"] button.open-moment`);
    await page.waitForSelector('#retrieve-view:not([hidden])');
    expect(await page.inputValue('#retrieve-form [name=ward]')).toBe('p01');
    expect(await page.inputValue('#retrieve-form [name=camera]')).toBe('cam-1');
    const duration = Number(await page.inputValue('#retrieve-form [name=duration]'));
    expect(duration * 60_000).toBeCloseTo(redCar.last - redCar.first + 20_000, 3);
    await page.click('#retrieve-form button[type=submit]');
    await until('the answer', async () => (await page.textContent('#retrieve-result')) || undefined);
    expect(await page.textContent('#retrieve-result')).toBe('Đã gửi yêu cầu.');
    await until('the retrieval asked', async () => ((await operator.get('/api/retrievals')).json.retrievals as unknown[]).length === 1);
    const [r] = (await operator.get('/api/retrievals')).json.retrievals as { id: string; from: number; to: number; camera: string }[];
    // the form holds whole seconds: the range starts within a second of first seen − 10 s
    expect(Math.abs(r!.from - (redCar.first - 10_000))).toBeLessThan(1000);
    expect(r!.camera).toBe('cam-1');
    await page.waitForSelector(`#retrieve-list tr[data-id="${r!.id}"][data-state=ready] button[data-play]`, { timeout: 60_000 });
    await page.click(`#retrieve-list tr[data-id="${r!.id}"] button[data-play]`);
    await until('the recording plays', () => page.evaluate(() => (document.getElementById('retrieve-video') as HTMLVideoElement | null)?.currentTime ?? 0).then((t) => (t > 0.5 ? t : undefined)), 30_000);
    expect((await hub.audit.list({ target: r!.id })).map((a) => a.action)).toContain('retrieve.request');
  }, 120_000);

  it('follows the car to the next camera: the same colour on cam-2, 111 m up the street, not the one 2 km away', async () => {
    await page.click('#tab-search');
    await page.waitForSelector(`#search-list li[data-id="${redCar.id}"]`);
    await page.click(`#search-list li[data-id="${redCar.id}"] button.follow-after`);
    await page.waitForSelector('#follow-view:not([hidden])');
    await page.waitForSelector(`#follow-list li[data-id="${nextCamera.id}"]`);
    expect(await page.locator('#follow-list li').evaluateAll((lis) => lis.map((li) => `${(li as HTMLElement).dataset.camera}:${(li as HTMLElement).dataset.id}`))).toEqual([`cam-2:${nextCamera.id}`]);
    expect(await page.textContent(`#follow-list li[data-id="${nextCamera.id}"] .title`)).toMatch(/cách 111 m/);
    const audited = (await hub.audit.list({ target: redCar.id })).find((a) => a.action === 'search');
    expect(JSON.parse(audited!.detail!)).toMatchObject({ follow: 'after', label: 'car', colour: 'red', results: 1 });
    if (process.env.SHOTS) await page.screenshot({ path: 'docs/screenshots/search.png' });
  });

  it('shows the dashboard with the numbers the API gives and the box sent, drawn by the hub\'s own Chart.js', async () => {
    await page.click('#tab-dashboard');
    await page.waitForSelector('#dashboard-form select[name=ward] option[value=p01]', { state: 'attached' });
    await page.selectOption('#dashboard-form [name=camera]', 'cam-1');
    await page.click('#dashboard-form button[type=submit]');
    await until('the 24 h table for cam-1', async () => (await page.locator('#table-24h tbody tr').count()) === 24 && (await page.getAttribute('#kpi-now', 'data-n')) !== null);
    expect(await page.evaluate(() => typeof (window as unknown as { Chart?: unknown }).Chart)).toBe('function');

    const rows = await page.locator('#table-24h tbody tr').evaluateAll((trs) => trs.map((tr) => [Number((tr as HTMLElement).dataset.at), Number((tr as HTMLElement).dataset.n)]));
    const from = rows[0]![0]!;
    const to = rows[rows.length - 1]![0]! + HOUR;
    const api = await operator.get(`/api/indicators?ward=p01&camera=cam-1&from=${from}&to=${to}&bucket=hour&by=`);
    const byHour = new Map((api.json.indicators as { at: number; n: number }[]).map((r) => [r.at, r.n]));
    expect(rows).toEqual(rows.map(([at]) => [at, byHour.get(at!) ?? 0]));
    // …and what the box counted, minute by minute
    const boxTotal = sent.filter((m) => m.minute >= from && m.minute < to).reduce((a, m) => a + m.counts.reduce((b, c) => b + c.n, 0), 0);
    expect(rows.reduce((a, [, n]) => a + n!, 0)).toBe(boxTotal);
    expect(boxTotal).toBeGreaterThan(0);

    const dashboard = (await operator.get('/api/indicators/dashboard?ward=p01&camera=cam-1')).json as { now: { n: number; from: number; to: number } };
    expect(Number(await page.getAttribute('#kpi-now', 'data-n'))).toBe(dashboard.now.n);
    expect(dashboard.now.n).toBe(sent.filter((m) => m.minute >= dashboard.now.from && m.minute < dashboard.now.to).reduce((a, m) => a + m.counts.reduce((b, c) => b + c.n, 0), 0));
    const csv = await operator.get((await page.getAttribute('#dash-csv', 'href'))!);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const csvTotal = csv.buffer.toString('utf8').trim().split('\r\n').slice(1).reduce((a, line) => a + Number(line.split(',').pop()), 0);
    expect(csvTotal).toBe(sent.reduce((a, m) => a + m.counts.reduce((b, c) => b + c.n, 0), 0));
    if (process.env.SHOTS) await page.screenshot({ path: 'docs/screenshots/dashboard.png', fullPage: true });
  });
});
