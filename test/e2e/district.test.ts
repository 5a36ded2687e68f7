// The district end to end, as `npm run demo` runs it but smaller: an object crosses a traffic camera in ward 1 →
// an incident in the hub API with its clip (sha256 equal on both sides) → a signed alert at the city receiver;
// then the ward's edge is SIGKILLed and restarted: no incident doubled, recording resumes, the gap is on record.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWardwatch, startDistrict, type District } from '../../demo/district.js';
import { untilWith } from '../until.js';

let district: District | undefined;
const dataDir = mkdtempSync(path.join(tmpdir(), 'ww-e2e-'));
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The operator's view of the hub API: cookie, CSRF header, JSON. */
class Operator {
  private cookie = '';
  private csrf = '';
  constructor(private readonly base: string) {}
  async call(method: string, url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown>; buffer: Buffer }> {
    const headers: Record<string, string> = { ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) this.cookie = c.split(';')[0]!;
    const buffer = Buffer.from(await res.arrayBuffer());
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json') ? (JSON.parse(buffer.toString()) as Record<string, unknown>) : {};
    if (typeof json.csrfToken === 'string') this.csrf = json.csrfToken;
    return { status: res.status, json, buffer };
  }
}

interface Incident {
  id: string;
  camera: string;
  label: string;
  state: string;
  clip: { state: string; sha256: string | null };
}

function edgeDb(d: District) {
  return new Database(path.join(d.wards[0]!.dataDir, 'data', 'edge.db'), { readonly: true });
}

beforeAll(async () => {
  // no model.path: the box must find the model that ships with Wardwatch by itself
  district = await startDistrict({ dataDir, wards: 1, camerasPerWard: 2, trafficPerWard: 1, busyScene: 'traffic', segmentSeconds: 4 });
}, 240_000);

afterAll(async () => {
  await district?.stop();
});

describe('the district end to end', () => {
  it('turns a crossing into an incident with its clip, alerts the city, and survives a SIGKILL of the ward box', async () => {
    const d = district!;
    // its start line says which model it runs (the log file is written by a pipe: a moment behind)
    const logFile = path.join(dataDir, `${d.wards[0]!.id}.log`);
    await untilWith(10_000, 200)('the start line', () => readFileSync(logFile, 'utf8').includes('ward box running')).catch(() => undefined);
    expect(readFileSync(logFile, 'utf8')).toContain('ward box running (detector: onnx, the model that ships with Wardwatch)');
    // an operator, as the district would create one
    const pw = path.join(dataDir, 'op.pw');
    writeFileSync(pw, 'Initial-2026\n', { mode: 0o600 });
    runWardwatch(['hub', 'user', 'add', '--config', d.hubConfig, '--name', 'op', '--role', 'operator', '--password-file', pw]);
    const op = new Operator(`http://127.0.0.1:${d.hubHttpPort}`);
    expect((await op.call('POST', '/api/login', { name: 'op', password: 'Initial-2026' })).json.status).toBe('must-change');
    expect((await op.call('POST', '/api/password', { current: 'Initial-2026', next: 'Operator-2026' })).status).toBe(200);

    // 1. an object crosses the traffic camera → an ended incident whose clip is at the hub
    let incident: Incident | undefined;
    const deadline = Date.now() + 150_000;
    while (!incident && Date.now() < deadline) {
      const list = (await op.call('GET', '/api/incidents?limit=50')).json.incidents as Incident[];
      incident = list.find((i) => i.state === 'ended' && i.clip.state === 'present');
      if (!incident) await sleep(2000);
    }
    expect(incident, 'an incident with its clip within 150 s').toBeDefined();
    expect(incident!.camera).toBe('cam-01'); // the traffic camera; the quiet one makes none
    expect(['person', 'bicycle', 'car', 'truck']).toContain(incident!.label);

    // 2. the clip is the same file on both sides
    const clip = await op.call('GET', `/api/incidents/${incident!.id}/clip`);
    expect(clip.status).toBe(200);
    const db = edgeDb(d);
    const event = db.prepare('SELECT clip_path AS clipPath FROM events WHERE id = ?').get(incident!.id) as { clipPath: string } | undefined;
    db.close();
    expect(event?.clipPath).toBeTruthy();
    const edgeClip = path.isAbsolute(event!.clipPath) ? event!.clipPath : path.join(d.wards[0]!.dataDir, 'data', event!.clipPath);
    expect(existsSync(edgeClip)).toBe(true);
    expect(sha256(clip.buffer)).toBe(sha256(readFileSync(edgeClip)));
    expect(incident!.clip.sha256).toBe(sha256(clip.buffer));

    // 3. the city got an alert for it: the receiver records only requests whose HMAC signature verifies
    await expect.poll(() => d.city.alerts().find((a) => JSON.stringify(a.alert).includes(incident!.id)), { timeout: 60_000, interval: 1000 }).toBeDefined();
    expect(d.city.stats().rejected).toBe(0);

    // 4. SIGKILL of the ward box mid-flight, then a restart
    const killedAt = Date.now();
    await d.killWard(d.wards[0]!);
    await sleep(3000);
    await d.startWard(d.wards[0]!);
    // recording resumes: a segment that starts after the restart
    await expect
      .poll(() => {
        const e = edgeDb(d);
        try {
          return e.prepare('SELECT count(*) FROM segments WHERE start_ms > ?').pluck().get(killedAt + 3000) as number;
        } finally {
          e.close();
        }
      }, { timeout: 60_000, interval: 1000 })
      .toBeGreaterThan(0);
    // the gap is on record
    const e = edgeDb(d);
    const gaps = e.prepare('SELECT reason, from_ms AS fromMs, to_ms AS toMs FROM gaps WHERE to_ms > ? AND from_ms < ?').all(killedAt - 10_000, Date.now()) as { reason: string; fromMs: number; toMs: number }[];
    e.close();
    expect(gaps.some((g) => g.reason === 'restarted' && g.fromMs <= killedAt + 1000)).toBe(true);
    // no incident doubled: once the backlog drained, the hub holds each of the box's events exactly once
    await sleep(5000);
    const all: Incident[] = [];
    let cursor: string | null = null;
    do {
      const page: { json: Record<string, unknown> } = await op.call('GET', `/api/incidents?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...(page.json.incidents as Incident[]));
      cursor = page.json.next as string | null;
    } while (cursor);
    const hubIds = all.map((i) => i.id).sort();
    // read after the hub's list, so every incident listed there is already a row of the box
    const e2 = edgeDb(d);
    const edgeIds = (e2.prepare('SELECT id FROM events').pluck().all() as string[]).sort();
    e2.close();
    expect(new Set(hubIds).size).toBe(hubIds.length);
    expect(hubIds.filter((id) => !edgeIds.includes(id))).toEqual([]);
    expect(edgeIds.filter((id) => !hubIds.includes(id)).length).toBeLessThanOrEqual(2); // at most the newest still in flight
  }, 400_000);
});
