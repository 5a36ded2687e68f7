// The city's access in real Chromium, end to end: a real hub and a real ward box recording two fake RTSP cameras.
// An operator grants camera X (cam-1) for 10 minutes on the "City access" tab; the city account sees X live and
// pulls a minute of its recording; camera Y (cam-2) stays refused; after the revoke X is refused too and the city's
// relay ends. An admin opens a short emergency: the banner shows on the operator's page, the city sees Y, and at its
// end by itself Y is refused again. The audit table names each grant, each city view and each pull.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEdge } from '../../edge/main.js';
import { CLI, Client } from '../../testing/hub/api/test-client.js';
import type { RunningHub } from '../../hub/main.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { OPERATOR_PASSWORD, startRemoteRig, type RemoteRig } from '../remote/rig.js';
import { untilWith } from '../until.js';

const hasBrowser = browserOrSkip('city access page test');
const until = untilWith(60_000, 250);
const PASSWORD = OPERATOR_PASSWORD;
/** the emergency's length: long enough to watch Y, short enough to see it end by itself */
const EMERGENCY_HOURS = 0.006; // 21.6 s

let rig: RemoteRig;
let hub: RunningHub;
let edge: RunningEdge;
let browser: Browser;
let operatorPage: Page;
let cityPage: Page;
let cityApi: Client;
/** uncaught errors of the pages' scripts: none expected */
const pageErrors: string[] = [];

async function loggedIn(name: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('dialog', (d) => void d.accept());
  page.on('pageerror', (err) => pageErrors.push(`${name}: ${err.message}`));
  await page.goto(`http://127.0.0.1:${hub.http!.port}`);
  await page.fill('#login-form [name=name]', name);
  await page.fill('#login-form [name=password]', PASSWORD);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  return page;
}

/** Waits until the page's live video has played and moved on. */
async function playsLive(page: Page): Promise<number> {
  const first = await until('the live video to play', () => page.$eval('#live-video', (v: HTMLVideoElement) => (v.currentTime > 0.2 ? v.currentTime : 0)), 45_000);
  return until('the live video to advance', () => page.$eval('#live-video', (v: HTMLVideoElement, t0: number) => (v.currentTime > t0 + 0.5 ? v.currentTime : 0), first), 30_000);
}

const cityRelays = (camera: string) => hub.live.list().filter((r) => r.requestedBy === 'city1' && r.camera === camera);
const audit = () => hub.store.db.prepare("SELECT actor, action, target, detail FROM audit WHERE action LIKE 'city.%' ORDER BY id").all() as { actor: string; action: string; target: string; detail: string | null }[];

describe.skipIf(!hasBrowser)('the city\'s access in Chromium', () => {
  beforeAll(async () => {
    // a real hub and ward box, two cameras (the rig logs operator `lan` in); 3 s segments, short relay linger
    rig = await startRemoteRig({ cameras: 2, hub: { remoteAccess: { liveLingerSeconds: 2 } }, cameraYaml: '    record: { segmentSeconds: 3 }\n' });
    ({ hub, edge } = rig);
    for (const [name, role] of [['quan', 'admin'], ['city1', 'city']] as const) {
      await hub.accounts.addUser({ name, role, password: 'initial-pass-1' }, CLI);
      const c = new Client(`http://127.0.0.1:${hub.http!.port}`);
      expect((await c.login(name, 'initial-pass-1', PASSWORD)).status).toBe(200);
      if (name === 'city1') cityApi = c;
    }
    await until('three recorded segments of cam-1', () => edge.recordStore.segmentsInRange('cam-1', 0, Date.now() + 60_000).length >= 3, 60_000);
    browser = await launchBrowser();
    operatorPage = await loggedIn('lan');
    cityPage = await loggedIn('city1');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await rig?.stop();
  });

  let grantId = '';

  it('an operator grants camera X for 10 minutes: the city sees X live and pulls a minute of it; Y stays refused', async () => {
    // the city's page before any grant: nothing to see, and the API says why
    // the page fills its grants after login: wait for that answer (a loaded CI machine is slow), then look
    await cityPage.waitForSelector('#city-my-empty', { state: 'visible', timeout: 15_000 });
    expect(await cityPage.isHidden('nav.tabs')).toBe(true);

    await operatorPage.click('#tab-city');
    await operatorPage.waitForSelector('#city-grant-form select[name=camera] option[value=cam-1]', { state: 'attached' });
    await operatorPage.selectOption('#city-grant-form [name=ward]', 'p01');
    await operatorPage.selectOption('#city-grant-form [name=camera]', 'cam-1');
    await operatorPage.fill('#city-grant-form [name=minutes]', '10');
    await operatorPage.check('#city-grant-form [name=rec]');
    await operatorPage.fill('#city-grant-form [name=reason]', 'ngập nước ở chợ');
    await operatorPage.click('#city-grant');
    const row = await operatorPage.waitForSelector('#city-grants tr[data-kind=grant]');
    grantId = String(await row.getAttribute('data-id'));
    const grant = (await hub.city.grants.get(grantId))!;
    expect(grant).toMatchObject({ ward: 'p01', camera: 'cam-1', live: true, grantedBy: 'lan', reason: 'ngập nước ở chợ' });
    expect(grant.endsAt - grant.startsAt).toBe(10 * 60_000);

    // the city's page shows X (and only X) within its refresh
    await cityPage.waitForSelector('#city-my-grants tr[data-camera="p01/cam-1"]', { timeout: 10_000 });
    expect(await cityPage.$('#city-my-grants tr[data-camera="p01/cam-2"]')).toBeNull();
    await cityPage.click('#city-my-grants [data-watch="p01/cam-1"]');
    await playsLive(cityPage);
    expect(cityRelays('cam-1')).toHaveLength(1);

    // the operator sees the city watching
    await operatorPage.waitForSelector('#city-viewers tr:has-text("city1")', { timeout: 10_000 });

    // a minute of X's recording, pulled and played on the city's page
    await cityPage.click('#city-my-grants form[data-pull="p01/cam-1"] button[type=submit]');
    const ready = await cityPage.waitForSelector('#city-my-retrievals tr[data-state=ready]', { timeout: 60_000 });
    const retrievalId = String(await ready.getAttribute('data-id'));
    const pulled = (await hub.retrievals.store.get(retrievalId))!;
    expect(pulled).toMatchObject({ ward: 'p01', camera: 'cam-1', requested_by: 'city1' });
    expect(pulled.to_ms - pulled.from_ms).toBe(60_000);
    await cityPage.click(`#city-my-retrievals [data-play="${retrievalId}"]`);
    await until('the pulled clip to play', () => cityPage.$eval('#city-clip', (v: HTMLVideoElement) => (v.currentTime > 0 ? v.currentTime : 0)), 30_000);

    // Y: refused live and recordings, with the reason
    const liveY = await cityApi.call('POST', '/api/live', { ward: 'p01', camera: 'cam-2', stream: 'sub' });
    expect(liveY).toMatchObject({ status: 403, json: { code: 'NOT_GRANTED', error: 'camera cam-2 of ward p01 is not granted to the city: ask an operator for a grant' } });
    const pullY = await cityApi.call('POST', '/api/retrievals', { ward: 'p01', camera: 'cam-2', from: Date.now() - 60_000, to: Date.now() });
    expect(pullY.status).toBe(403);
  }, 240_000);

  it('after the revoke, X is refused and the city\'s live view of it ends at once', async () => {
    await operatorPage.click(`#city-grants [data-revoke="${grantId}"]`);
    await until('the city\'s relay of X to end', () => cityRelays('cam-1').length === 0, 10_000);
    await cityPage.waitForSelector('#city-my-grants tr[data-camera="p01/cam-1"]', { state: 'detached', timeout: 10_000 });
    const liveX = await cityApi.call('POST', '/api/live', { ward: 'p01', camera: 'cam-1', stream: 'sub' });
    expect(liveX).toMatchObject({ status: 403, json: { code: 'NOT_GRANTED' } });
    expect(String(liveX.json.error)).toMatch(/was revoked/);
    const [clip] = (await hub.retrievals.store.list(10, 0)).filter((r) => r.requestedBy === 'city1');
    expect((await cityApi.get(`/api/retrievals/${clip!.id}/clip`)).status).toBe(403);
  }, 60_000);

  it('an admin\'s emergency shows the banner on the operator\'s page and lets the city see Y until it ends by itself', async () => {
    const adminPage = await loggedIn('quan');
    await adminPage.waitForSelector('#city-emergency-form:not([hidden])');
    await adminPage.waitForSelector('#tab-incidents', { state: 'hidden' });
    await adminPage.fill('#city-emergency-form [name=hours]', String(EMERGENCY_HOURS));
    await adminPage.fill('#city-emergency-form [name=reason]', 'bão số 5');
    await adminPage.click('#city-emergency-open');
    const emergency = await until('the emergency open', () => hub.city.grants.emergency(), 10_000);

    const banner = await operatorPage.waitForSelector('#emergency-banner:not([hidden])', { timeout: 10_000 });
    expect(await banner.textContent()).toMatch(/TRUY CẬP KHẨN CẤP.*quan.*bão số 5/);
    await cityPage.waitForSelector('#emergency-banner:not([hidden])', { timeout: 10_000 });

    await cityPage.waitForSelector('#city-my-grants tr[data-camera="p01/cam-2"]', { timeout: 10_000 });
    await cityPage.click('#city-my-grants [data-watch="p01/cam-2"]');
    await playsLive(cityPage);
    expect(cityRelays('cam-2')).toHaveLength(1);

    await until('the emergency to end by itself', () => Date.now() >= emergency.endsAt, 30_000);
    await until('the city\'s relay of Y to end', () => cityRelays('cam-2').length === 0, 15_000);
    await operatorPage.waitForSelector('#emergency-banner', { state: 'hidden', timeout: 15_000 });
    const liveY = await cityApi.call('POST', '/api/live', { ward: 'p01', camera: 'cam-2', stream: 'sub' });
    expect(liveY.status).toBe(403);
    expect(String(liveY.json.error)).toMatch(/ended at/);

    // the audit log names each grant, each city view and each pull (the end is written by the hub's sweep at the
    // emergency's end; the city's page may drop its view a moment before that)
    await until('the emergency\'s end in the audit', () => audit().some((r) => r.action === 'city.emergency.close'), 5_000);
    const rows = audit();
    const retrievalId = (await hub.retrievals.store.list(10, 0)).find((r) => r.requestedBy === 'city1')!.id;
    expect(rows.map((r) => [r.actor, r.action, r.target])).toEqual([
      ['lan', 'city.grant', grantId],
      ['city1', 'city.live', grantId],
      ['city1', 'city.retrieve', grantId],
      ['city1', 'city.download', grantId],
      ['lan', 'city.revoke', grantId],
      ['quan', 'city.emergency.open', emergency.id],
      ['city1', 'city.live', emergency.id],
      ['system', 'city.emergency.close', emergency.id],
    ]);
    expect(JSON.parse(rows[1]!.detail!)).toMatchObject({ grant: grantId, ward: 'p01', camera: 'cam-1', via: 'hub' });
    expect(JSON.parse(rows[2]!.detail!)).toMatchObject({ grant: grantId, retrieval: retrievalId, camera: 'cam-1' });
    expect(JSON.parse(rows[3]!.detail!)).toMatchObject({ grant: grantId, retrieval: retrievalId });
    expect(JSON.parse(rows[6]!.detail!)).toMatchObject({ grant: emergency.id, camera: 'cam-2' });
    await adminPage.close();
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
