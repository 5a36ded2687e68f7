// Live view through the hub end to end: a real hub (broker, API, relays) and a real ward box (startEdge) reading a
// fake RTSP camera. The box connects out to the hub and pushes fMP4; the hub fans it out to operators (Node
// WebSocket and the operator page in Chromium), tears the relay down after its linger, and refuses what it must.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RunningEdge } from '../../edge/main.js';
import type { Client } from '../../testing/hub/api/test-client.js';
import type { RunningHub } from '../../hub/main.js';
import { hubConfigSchema } from '../../shared/config/hub.js';
import { childBoxes, fragmentStartsWithKeyframe } from '../../shared/mp4-boxes.js';
import { browserOrSkip, launchBrowser } from '../browser.js';
import { sleep, untilWith } from '../until.js';
import { OPERATOR_PASSWORD, startRemoteRig, type RemoteRig } from './rig.js';

const hasBrowser = browserOrSkip('live page test');
const LINGER_SECONDS = 2;

const until = untilWith(30_000, 200);

let rig: RemoteRig;
let hub: RunningHub;
let edge: RunningEdge;
let operator: Client;
let wsBase: string;

/** A Node viewer: collects text notes and binary messages of /api/live/:relayId. */
function viewer(relayId: string) {
  const notes: { type: string; code?: string; message?: string; codec?: string }[] = [];
  const binary: Buffer[] = [];
  const ws = new WebSocket(`${wsBase}/api/live/${relayId}`, { headers: { cookie: operator.cookie } });
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  ws.on('message', (data: Buffer, isBinary) => (isBinary ? binary.push(data) : notes.push(JSON.parse(data.toString('utf8')) as (typeof notes)[number])));
  return { ws, notes, binary, closed };
}

const relayGone = (relayId: string) => !hub.live.list().some((r) => r.relayId === relayId);

beforeAll(async () => {
  rig = await startRemoteRig({ hub: { remoteAccess: { liveLingerSeconds: LINGER_SECONDS } } });
  ({ hub, edge, operator } = rig);
  wsBase = `ws://127.0.0.1:${hub.http!.port}`;
}, 120_000);

afterAll(() => rig?.stop());

describe('live view through the hub', () => {
  it('relays a camera: init segment first, then fragments from a keyframe; audited on both sides; one ward connection per token', async () => {
    const post = await operator.call('POST', '/api/live', { ward: 'p01', camera: 'cam-1', stream: 'sub' });
    expect(post.status).toBe(201);
    const relayId = String(post.json.relayId);
    const v = viewer(relayId);
    await until('the init segment and two fragments', () => v.binary.length >= 3, 30_000);
    expect(v.notes[0]).toMatchObject({ type: 'init', codec: expect.stringMatching(/^avc1\./) as string });
    expect(childBoxes(v.binary[0]!, 0).map((b) => b.type)).toEqual(expect.arrayContaining(['ftyp', 'moov']));
    const firstMoof = childBoxes(v.binary[1]!, 0)[0]!;
    expect(firstMoof.type).toBe('moof');
    expect(fragmentStartsWithKeyframe(firstMoof.bytes)).toBe(true);
    expect(hub.live.list()).toEqual([expect.objectContaining({ relayId, ward: 'p01', camera: 'cam-1', viewers: 1, edgeConnected: true })]);
    expect(edge.liveRelay.open()).toEqual([relayId]);

    // the token was used: a second connection to the relay, or a guess, is refused
    for (const authorization of ['Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', undefined]) {
      const intruder = new WebSocket(`${wsBase}/relay/${relayId}`, authorization ? { headers: { authorization } } : {});
      const code = await new Promise<number>((resolve) => intruder.on('close', (c) => resolve(c)));
      expect(code).toBe(1008);
    }
    expect(relayGone(relayId)).toBe(false);

    expect((await hub.audit.list({ target: relayId })).map((a) => [a.actor, a.action])).toEqual([['lan', 'live.view']]);
    expect((await edge.audit.list({ target: 'cam-1' })).filter((a) => a.action === 'live.view').map((a) => a.actor)).toEqual(['hub:lan']);

    v.ws.close();
    await until('the relay torn down after the linger', () => relayGone(relayId), 15_000);
    await until('the box to stop sending', () => edge.liveRelay.open().length === 0, 10_000);
  }, 60_000);

  it('refuses an unknown camera at the hub, and a camera the box does not have with the box\'s reason', async () => {
    const unknown = await operator.call('POST', '/api/live', { ward: 'p01', camera: 'cam-7', stream: 'sub' });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({ field: 'camera', code: 'UNKNOWN_CAMERA' });
    expect(String(unknown.json.error)).toMatch(/camera: this ward has never reported this camera/);
    const badStream = await operator.call('POST', '/api/live', { ward: 'p01', camera: 'cam-1', stream: 'hd' });
    expect(badStream.status).toBe(400);
    expect(badStream.json).toMatchObject({ field: 'stream' });

    // the hub has heard of cam-9, but the box no longer has it
    hub.store.db.prepare("INSERT INTO camera_status (ward, camera, state, status, at, updated_at) VALUES ('p01', 'cam-9', 'offline', '{}', 1, 1)").run();
    const gone = await operator.call('POST', '/api/live', { ward: 'p01', camera: 'cam-9', stream: 'sub' });
    expect(gone.status).toBe(201);
    const v = viewer(String(gone.json.relayId));
    await v.closed;
    expect(v.notes.map((n) => n.message).join(' | ')).toMatch(/unknown camera: ward p01 has no camera "cam-9" \(cameras: cam-1\)/);
    expect(v.binary).toHaveLength(0);
  }, 30_000);

  it('refuses a live view over the per-ward bound (default 2), and the default linger is 30 s', async () => {
    const defaults = hubConfigSchema.parse({ district: { name: 'x' }, storage: { root: '/tmp/x' }, broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] }, wards: [{ id: 'p01', name: 'P1' }] }).remoteAccess;
    expect(defaults).toMatchObject({ maxRelaysPerWard: 2, liveLingerSeconds: 30 });
    await until('earlier relays gone', () => hub.live.list().length === 0, 15_000);
    const opened = [];
    for (let i = 0; i < 2; i++) opened.push(await operator.call('POST', '/api/live', { ward: 'p01', camera: 'cam-1', stream: i ? 'main' : 'sub' }));
    expect(opened.map((r) => r.status)).toEqual([201, 201]);
    const third = await operator.call('POST', '/api/live', { ward: 'p01', camera: 'cam-1', stream: 'sub' });
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ field: 'ward', code: 'TOO_MANY_RELAYS' });
    expect(String(third.json.error)).toMatch(/at most 2, remoteAccess\.maxRelaysPerWard/);
    // nobody watches them: they end after the linger and make room again
    await until('unwatched relays to end', () => hub.live.list().length === 0, 15_000);
    await until('the box to stop sending', () => edge.liveRelay.open().length === 0, 10_000);
  }, 40_000);
});

describe.skipIf(!hasBrowser)('the operator page in Chromium', () => {
  it('plays a ward camera live, and the relay is torn down after the page closes', async () => {
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext()).newPage();
      await page.goto(operator.base);
      await page.fill('#login-form [name=name]', 'lan');
      await page.fill('#login-form [name=password]', OPERATOR_PASSWORD);
      await page.click('#login-form button[type=submit]');
      await page.waitForSelector('#app-view:not([hidden])');
      await page.click('#tab-retrieve');
      await page.waitForSelector('#retrieve-form select[name=camera] option[value=cam-1]', { state: 'attached' });
      expect(await page.textContent('#live-watch')).toBe('Xem trực tiếp');
      await page.selectOption('#retrieve-form [name=camera]', 'cam-1');
      await page.click('#live-watch');
      const relayId = await until('the relay id on the player', () => page.getAttribute('#live-video', 'data-relay'));
      const first = await until('the live video to play', () => page.$eval('#live-video', (v: HTMLVideoElement) => (v.currentTime > 0.2 ? v.currentTime : 0)), 30_000);
      const later = await until('the live video to advance', () => page.$eval('#live-video', (v: HTMLVideoElement, t0: number) => (v.currentTime > t0 + 0.5 ? v.currentTime : 0), first), 30_000);
      expect(later).toBeGreaterThan(first);
      expect(hub.live.list().find((r) => r.relayId === relayId)?.viewers).toBe(1);
      await page.close();
      const closedAt = Date.now();
      await sleep(LINGER_SECONDS * 500);
      expect(relayGone(relayId)).toBe(false); // still lingering: a viewer coming back would reuse it
      await until('the relay torn down after the linger', () => relayGone(relayId), 15_000);
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(LINGER_SECONDS * 1000 - 200);
      await until('the box to stop sending', () => edge.liveRelay.open().length === 0, 10_000);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
