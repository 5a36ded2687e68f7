// Remote retrieval end to end: a real hub (broker, ingest, API, forwarder) and a real ward box (startEdge) recording
// a fake RTSP camera, and the city's webhook receiver. An operator pulls a range through the hub and plays it (Range,
// audited); a box that is stopped when asked gets the request when it comes back, unless it was cancelled; what the
// hub can check is a 400, what only the box knows a `failed`; a ready recording is shared with the city by a signed
// link that serves exactly the box's cut.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../../edge/main.js';
import type { Client } from '../../testing/hub/api/test-client.js';
import type { RunningHub } from '../../hub/main.js';
import { silentLogger } from '../../shared/log.js';
import { startCityReceiver, type CityReceiver } from '../../test-fixtures/city/index.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { sleep, untilWith } from '../until.js';
import { OPERATOR_PASSWORD, startRemoteRig, type RemoteRig } from './rig.js';

const hasBrowser = browserOrSkip('retrieve page test');
const SEGMENT_SECONDS = 3;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const until = untilWith(60_000, 250);

let rig: RemoteRig;
let city: CityReceiver;
let hub: RunningHub;
let edge: RunningEdge;
let operator: Client;

interface Retrieval {
  id: string;
  state: string;
  reason: string | null;
  sha256: string | null;
  progress: { received: number; total: number } | null;
}

const getRetrieval = async (id: string) => (await operator.get(`/api/retrievals/${id}`)).json as unknown as Retrieval;
const settled = (id: string) => until(`retrieval ${id} to be ready or failed`, async () => {
  const r = await getRetrieval(id);
  return r.state === 'ready' || r.state === 'failed' ? r : undefined;
});
const edgeRow = (id: string) => edge.db.prepare('SELECT * FROM retrievals WHERE request_id = ?').get(id) as { state: string; path: string | null; reason: string | null } | undefined;

beforeAll(async () => {
  city = await startCityReceiver({ secret: 'city-secret-1' });
  rig = await startRemoteRig({
    // no rules: only an operator's share sends anything to the city
    hub: { forward: { targets: [{ id: 'city', type: 'webhook', url: city.url, secretName: 'city-webhook' }] }, remoteAccess: { maxRetrieveMinutes: 10 } },
    secrets: new Map([['city-webhook', 'city-secret-1']]),
    cameraYaml: `    record: { segmentSeconds: ${SEGMENT_SECONDS} }\n`,
  });
  ({ hub, edge, operator } = rig);
  // the box has a few closed segments
  await until('three recorded segments', () => edge.recordStore.segmentsInRange('cam-1', 0, Date.now() + 60_000).length >= 3, 60_000);
}, 150_000);

afterAll(async () => {
  await rig?.stop();
  await city?.stop();
});

describe('retrieving a recorded range through the hub', () => {
  let first: string;

  it('pulls 60 s of a camera, and the hub plays exactly what the box cut (Range, audited)', async () => {
    const now = Date.now();
    const post = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-1', from: now - 60_000, to: now });
    expect(post.status).toBe(202);
    first = String(post.json.id);
    const done = await settled(first);
    expect(done.state, `reason: ${done.reason}`).toBe('ready');
    expect(done.progress).toEqual({ received: done.progress!.total, total: expect.any(Number) as number });
    expect(done.progress!.total).toBeGreaterThan(0);

    const whole = await operator.get(`/api/retrievals/${first}/clip`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('content-type')).toBe('video/mp4');
    expect(whole.buffer.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const cut = readFileSync(edgeRow(first)!.path!);
    expect(sha256(whole.buffer)).toBe(sha256(cut));
    expect(done.sha256).toBe(sha256(cut));

    const part = await operator.get(`/api/retrievals/${first}/clip`, { range: 'bytes=100-1123' });
    expect(part.status).toBe(206);
    expect(part.buffer.equals(cut.subarray(100, 1124))).toBe(true);

    const hubAudit = await hub.audit.list({ target: first });
    // the Range request is part of the same view; the result is the ward's
    expect(hubAudit.map((a) => [a.action, a.actor]).reverse()).toEqual([['retrieve.request', 'lan'], ['retrieve.result', 'ward:p01'], ['clip.view', 'lan']]);
    expect(JSON.parse(hubAudit.find((a) => a.action === 'retrieve.result')!.detail!)).toMatchObject({ state: 'ready', sha256: done.sha256, camera: 'cam-1', requestedBy: 'lan' });
    expect((await edge.audit.list({ target: first })).map((a) => a.action).sort()).toEqual(['retrieve.request', 'retrieve.result']);
  }, 90_000);

  it('shares the ready recording with the city: one alert, and its link serves exactly the box\'s cut (audited)', async () => {
    const shared = await operator.call('POST', `/api/retrievals/${first}/share`, { note: 'xe máy giật túi, 08:10' });
    expect(shared.status).toBe(200);
    expect(shared.json.results).toEqual([{ target: 'city', key: `recording:${first}:city`, state: 'queued' }]);
    const got = await until('the alert at the city', () => city.alerts().find((a) => a.idempotencyKey === `recording:${first}:city`));
    expect(got.alert).toMatchObject({ subject: 'recording', cause: { kind: 'share', by: 'lan', note: 'xe máy giật túi, 08:10' }, recording: { id: first, ward: 'p01', camera: 'cam-1' }, clip: { state: 'present' } });
    const url = String((got.alert.clip as { url: string }).url);
    expect(url).toMatch(/^\/share\/[\w-]+\.[\w-]+$/); // no http.publicUrl in this hub.yaml: the path alone
    const res = await fetch(operator.base + url);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha256(body)).toBe(sha256(readFileSync(edgeRow(first)!.path!)));
    // a link changed by one character opens nothing
    expect((await fetch(operator.base + url.slice(0, -2) + (url.endsWith('A') ? 'BB' : 'AA'))).status).toBe(403);
    const actions = (await hub.audit.list({ target: first })).map((a) => [a.action, a.actor]);
    expect(actions).toContainEqual(['share', 'lan']);
    expect(actions).toContainEqual(['share.open', 'city']);
    type WithForwards = { forwards: { target: string; state: string }[] };
    await until('the share delivered', async () => ((await operator.get(`/api/retrievals/${first}`)).json as WithForwards).forwards[0]?.state === 'delivered');
    expect(city.alerts().filter((a) => a.idempotencyKey === `recording:${first}:city`)).toHaveLength(1);
    const listed = ((await operator.get('/api/retrievals')).json.retrievals as (Retrieval & { shared: unknown })[]).find((r) => r.id === first)!;
    expect(listed.shared).toEqual({ pending: 0, delivered: 1, dead: 0 });
    // only a recording at the hub can be shared
    expect((await operator.call('POST', '/api/retrievals/01KAXG4Z7M5P2V8N3Q6R9T0W1Y/share', {})).status).toBe(404);
  }, 60_000);

  it('does nothing new when the same request comes again', async () => {
    const depth = edge.outbox!.depth();
    const row = (await hub.retrievals.store.get(first))!;
    await hub.broker.publishCommand('p01', 'retrieve', { msgId: '01JDQ7A00000000000000000EF', requestId: first, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: 'lan' });
    await sleep(1500);
    expect(await edge.audit.list({ target: first })).toHaveLength(2);
    expect(edge.outbox!.depth()).toBeLessThanOrEqual(depth);
    expect((await getRetrieval(first)).state).toBe('ready');
  });

  it('answers 400 naming the field for what the hub can check', async () => {
    const now = Date.now();
    const unknown = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-7', from: now - 60_000, to: now });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ field: 'camera', code: 'UNKNOWN_CAMERA' });
    const long = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-1', from: now - 11 * 60_000, to: now });
    expect(long.status).toBe(400);
    expect(long.json).toMatchObject({ field: 'to', code: 'RANGE_TOO_LONG' });
    expect(String(long.json.error)).toMatch(/at most 10 minutes per request \(remoteAccess\.maxRetrieveMinutes\)/);
    const ward = await operator.call('POST', '/api/retrievals', { ward: 'p99', camera: 'cam-1', from: now - 60_000, to: now });
    expect(ward.json).toMatchObject({ field: 'ward', code: 'UNKNOWN_WARD' });
    const bad = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-1', from: 'yesterday', to: now });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ field: 'from' });
    expect((await hub.audit.list({ actor: 'lan' })).filter((a) => a.action === 'retrieve.request')).toHaveLength(1);
  });

  it('fails with the reason for what only the box knows, and the box goes on recording', async () => {
    // a camera the hub has heard of but the box no longer has (removed from its edge.yaml)
    hub.store.db.prepare("INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES ('p01', 'cam-9', 'offline', '{}', 1, 1)").run();
    const now = Date.now();
    const gone = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-9', from: now - 60_000, to: now });
    const empty = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-1', from: now - 2 * 3600_000, to: now - 2 * 3600_000 + 60_000 });
    expect([gone.status, empty.status]).toEqual([202, 202]);
    const segmentsBefore = edge.recordStore.segmentsInRange('cam-1', 0, Date.now() + 60_000).length;
    const [g, e] = [await settled(String(gone.json.id)), await settled(String(empty.json.id))];
    expect([g.state, e.state]).toEqual(['failed', 'failed']);
    expect(g.reason).toMatch(/unknown camera: ward p01 has no camera "cam-9"/);
    expect(e.reason).toMatch(/no recording of camera cam-1 between/);
    expect((await hub.audit.list({ target: String(empty.json.id) })).map((a) => [a.action, a.actor])).toEqual([['retrieve.result', 'ward:p01'], ['retrieve.request', 'lan']]);
    expect((await operator.get(`/api/retrievals/${String(gone.json.id)}/clip`)).status).toBe(404);
    await until('a new segment after the refusals', () => edge.recordStore.segmentsInRange('cam-1', 0, Date.now() + 60_000).length > segmentsBefore, 30_000);
    const list = (await operator.get('/api/retrievals')).json.retrievals as Retrieval[];
    expect(list.map((r) => r.state)).toEqual(['failed', 'failed', 'ready']);
    const refused = await operator.call('POST', `/api/retrievals/${String(gone.json.id)}/share`, {});
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'NOT_READY' });
  }, 90_000);

  it('delivers a request made while the box was stopped once it is back', async () => {
    const end = Date.now();
    await edge.close();
    await until('the hub to see the ward offline', () => hub.store.db.prepare("SELECT 1 FROM box_status WHERE box_id = 'p01' AND state = 'offline'").get(), 30_000);
    const post = await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-1', from: end - 20_000, to: end });
    expect(post.status).toBe(202);
    const id = String(post.json.id);
    expect(post.json.state).toBe('requested');
    // a second request, then thought better of: cancelled, it never reaches the box
    const unwanted = String((await operator.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-1', from: end - 40_000, to: end - 20_000 })).json.id);
    const cancel = await operator.call('POST', `/api/retrievals/${unwanted}/cancel`, {});
    expect(cancel.json).toMatchObject({ id: unwanted, state: 'cancelled', reason: 'cancelled by lan' });
    expect((await operator.call('POST', `/api/retrievals/${unwanted}/cancel`, {})).status).toBe(409);
    expect((await hub.audit.list({ target: unwanted })).map((a) => a.action)).toEqual(['retrieve.cancel', 'retrieve.request']);
    await sleep(500);
    expect((await getRetrieval(id)).state).toBe('requested');
    edge = rig.edge = await startEdge(rig.edgeConfig, { logger: silentLogger() });
    const done = await settled(id);
    expect(edgeRow(unwanted)).toBeUndefined();
    expect((await getRetrieval(unwanted)).state).toBe('cancelled');
    expect(done.state, `reason: ${done.reason}`).toBe('ready');
    const clip = await operator.get(`/api/retrievals/${id}/clip`);
    expect(sha256(clip.buffer)).toBe(done.sha256);
    expect((await hub.retrievals.store.get(id))!.publishes).toBeGreaterThanOrEqual(2);
  }, 120_000);
});

describe.skipIf(!hasBrowser)('the operator page in Chromium', () => {
  it('refuses clearly what cannot be had, waits for a stopped box, plays the recording, cancels and shares (in Vietnamese)', async () => {
    await until('the box back online', () => hub.store.db.prepare("SELECT 1 FROM box_status WHERE box_id = 'p01' AND state = 'online'").get(), 30_000);
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ timezoneId: 'Asia/Ho_Chi_Minh' })).newPage();
      page.on('dialog', (d) => void d.accept()); // the cancel's confirmation
      await page.goto(operator.base);
      await page.fill('#login-form [name=name]', 'lan');
      await page.fill('#login-form [name=password]', OPERATOR_PASSWORD);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#app-view:not([hidden])');
      // a camera the ward reported once: the page offers it; then the hub forgets it (a 400), then it is back but
      // the box no longer has the camera (the box's refusal)
      const cam9 = hub.store.db.prepare("INSERT OR REPLACE INTO camera_status (ward, camera, state, status, at, updated_at) VALUES ('p01', 'cam-9', 'offline', '{}', 1, 1)");
      cam9.run();
      hub.store.db.prepare("INSERT OR IGNORE INTO cameras (ward, camera, first_seen_at, last_seen_at) VALUES ('p01', 'cam-9', 1, 1)").run();
      await page.click('#tab-retrieve');
      await page.waitForSelector('#retrieve-form select[name=camera] option[value=cam-9]', { state: 'attached' });
      expect(await page.textContent('#retrieve-form button[type=submit]')).toBe('Gửi yêu cầu tới phường');
      // datetime-local is local time (Asia/Ho_Chi_Minh, UTC+7)
      const local = (ms: number) => new Date(ms + 7 * 3600_000).toISOString().slice(0, 19);
      // the page says "sent" before its list is refreshed: a new request is the first row once it differs
      const firstRow = () => page.getAttribute('#retrieve-list tr:first-child', 'data-id');
      let firstBefore: string | null = null;
      const ask = async (camera: string, from: number, minutes: string) => {
        await page.selectOption('#retrieve-form [name=camera]', camera);
        await page.fill('#retrieve-form [name=from]', local(from));
        await page.selectOption('#retrieve-form [name=duration]', minutes);
        await page.evaluate(() => (document.getElementById('retrieve-result')!.textContent = ''));
        firstBefore = await firstRow();
        await page.click('#retrieve-form button[type=submit]');
        return until('the answer', async () => (await page.textContent('#retrieve-result')) || undefined);
      };
      const newest = () => until('the new request in the list', async () => {
        const id = await firstRow();
        return id !== null && id !== firstBefore ? id : undefined;
      });
      const failedRow = async (id: string) => {
        await page.waitForSelector(`#retrieve-list tr[data-id="${id}"][data-state=failed]`, { timeout: 60_000 });
        return page.textContent(`#retrieve-list tr[data-id="${id}"]`);
      };

      // what the hub refuses at once, on the page
      expect(await ask('cam-1', Date.now() + 3600_000, '1')).toContain('Thời gian không hợp lệ');
      expect(await page.getAttribute('#retrieve-result', 'class')).toBe('error');
      expect(await ask('cam-1', Date.now() - 20 * 60_000, '15')).toMatch(/Khoảng thời gian quá dài: hãy chia nhỏ\. \(to: .*at most 10 minutes/);
      for (const table of ['camera_status', 'cameras']) hub.store.db.prepare(`DELETE FROM ${table} WHERE ward = 'p01' AND camera = 'cam-9'`).run();
      expect(await ask('cam-9', Date.now() - 60_000, '1')).toMatch(/^Phường này không có camera đó\. \(camera: /);
      // what only the box knows, in the request's row: a camera it no longer has, a range it has not recorded
      cam9.run();
      expect(await ask('cam-9', Date.now() - 60_000, '1')).toContain('Đã gửi yêu cầu');
      expect(await failedRow(await newest())).toMatch(/Không lấy được.*unknown camera: ward p01 has no camera "cam-9"/);
      expect(await ask('cam-1', Date.now() - 2 * 3600_000, '1')).toContain('Đã gửi yêu cầu');
      expect(await failedRow(await newest())).toMatch(/no recording of camera cam-1 between/);

      // the box is stopped when asked: the request waits, and a second one is cancelled from the page
      await edge.close();
      await until('the hub to see the ward offline', () => hub.store.db.prepare("SELECT 1 FROM box_status WHERE box_id = 'p01' AND state = 'offline'").get(), 30_000);
      expect(await ask('cam-1', Date.now() - 30_000, '1')).toContain('Đã gửi yêu cầu');
      const id = await newest();
      await page.waitForSelector(`#retrieve-list tr[data-id="${id}"][data-state=requested]`);
      expect(await page.textContent(`#retrieve-list tr[data-id="${id}"] .state`)).toBe('Đang chờ phường kết nối');
      expect(await ask('cam-1', Date.now() - 90_000, '1')).toContain('Đã gửi yêu cầu');
      const unwanted = await newest();
      await page.click(`#retrieve-list tr[data-id="${unwanted}"] button[data-cancel]`);
      await page.waitForSelector(`#retrieve-list tr[data-id="${unwanted}"][data-state=cancelled]`);
      expect(await page.textContent(`#retrieve-list tr[data-id="${unwanted}"] .state`)).toBe('Đã huỷ');

      edge = rig.edge = await startEdge(rig.edgeConfig, { logger: silentLogger() });
      await page.waitForSelector(`#retrieve-list tr[data-id="${id}"][data-state=ready] button[data-play]`, { timeout: 60_000 });
      await page.click(`#retrieve-list tr[data-id="${id}"] button[data-play]`);
      const played = await until('the retrieved clip to play', () => page.$eval('#retrieve-video', (v: HTMLVideoElement) => (v.currentTime > 0 ? v.currentTime : 0)), 30_000);
      expect(played).toBeGreaterThan(0);
      expect((await hub.audit.list({ target: id })).map((a) => a.action)).toContain('clip.view');
      expect(edgeRow(unwanted)).toBeUndefined();

      // share it with the city from the page
      await page.click(`#retrieve-list tr[data-id="${id}"] button[data-share]`);
      await page.fill('#retrieve-share [name=note]', 'vụ việc 2026-114');
      await page.click('#retrieve-share button[type=submit]');
      await until('the share queued', async () => (await page.textContent('#retrieve-share .share-result'))?.match(/city: (đã đưa vào hàng đợi|Trung tâm đã nhận)/));
      const alert = await until('the alert at the city', () => city.alerts().find((a) => a.idempotencyKey === `recording:${id}:city`));
      expect(alert.alert).toMatchObject({ subject: 'recording', cause: { by: 'lan', note: 'vụ việc 2026-114' } });
      expect((await hub.audit.list({ target: id })).map((a) => a.action)).toContain('share');
      await until('the list to say the city has it', async () => (await page.textContent(`#retrieve-list tr[data-id="${id}"] .state`))?.includes('chia sẻ với Trung tâm: Trung tâm đã nhận'));
    } finally {
      await browser.close();
    }
  }, 180_000);
});
