// The attack table of issue 17, run against a real hub and a real ward box (test/security/district.ts) with clients
// we did not write: Debian's mosquitto-clients and curl, plus raw MQTT packets over TLS sockets for what no client
// sends. Each `it` is one row of test/security/README.md. A row whose client is missing is skipped and says why.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLinkKey } from '../../hub/share/link-key.js';
import { signClipLink } from '../../hub/share/link.js';
import { topics } from '../../shared/contract/index.js';
import { cpuSeconds, rssMb, sleep } from '../uplink/processes.js';
import { curl, curlPosts, has, httpsCall, json, missing, mqttArgs, run, type CurlAnswer } from './clients.js';
import { startDistrict, wardwatch, type District } from './district.js';
import { fixedHeader, MAX_VARINT, stream } from './raw-mqtt.js';

const MiB = 1024 * 1024;
const EVENT_ID = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==';

let d: District;
/** the admin's, the operator's and the officer's sessions (cookie and CSRF token), logged in over HTTPS */
let admin: { cookie: string; csrf: string };
let operator: { cookie: string; csrf: string };
let officer: { cookie: string; csrf: string };

const sessionCookie = (a: CurlAnswer) => (a.headers['set-cookie'] ?? '').split('\n')[0]!.split(';')[0]!;

/** Logs in and changes the initial password (the hub and the box both ask for it). */
async function firstLogin(base: string, name: string, next: string): Promise<{ cookie: string; csrf: string }> {
  const ca = readFileSync(d.ca);
  const login = await httpsCall(`${base}/api/login`, { ca, json: { name, password: 'first-pass-1' } });
  const cookie = sessionCookie(login);
  const changed = await httpsCall(`${base}/api/password`, { ca, cookie, headers: { 'x-csrf-token': String(json(login).csrfToken) }, json: { current: 'first-pass-1', next } });
  if (changed.status !== 200) throw new Error(`password change for ${name}: ${changed.status} ${changed.body}`);
  return { cookie, csrf: String(json(changed).csrfToken) };
}

/** One sample of the hub's /metrics (public, as Prometheus scrapes it). */
async function metric(sample: string): Promise<number> {
  const text = (await httpsCall(`${d.hub.url}/metrics`, { ca: readFileSync(d.ca) })).body;
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

const pub = (o: { username?: string; password?: string; clientId?: string; from?: string }, ...args: string[]) => run('mosquitto_pub', [...mqttArgs({ port: d.hub.mqttPort, ca: d.ca, ...o }), ...args]);
const sub = (o: { username?: string; password?: string; clientId?: string; from?: string }, ...args: string[]) => run('mosquitto_sub', [...mqttArgs({ port: d.hub.mqttPort, ca: d.ca, ...o }), ...args], 15_000);
const p02 = () => ({ username: 'ward-p02', password: d.tokens.p02, clientId: 'ward-p02' });
const hubLinesSince = (n: number) => d.hub.lines().slice(n);

beforeAll(async () => {
  d = await startDistrict();
  admin = await firstLogin(d.hub.url, d.admin.name, d.admin.password);
  operator = await firstLogin(d.hub.url, d.operator.name, d.operator.password);
  officer = await firstLogin(d.box.url, d.officer.name, d.officer.password);
}, 240_000);
afterAll(() => d?.stop(), 60_000);

// --- raw MQTT over TLS: what no well-behaved client sends ---

interface RawTls {
  socket: tls.TLSSocket;
  closed: Promise<void>;
  isClosed: () => boolean;
}

async function openRawTls(from?: string): Promise<RawTls> {
  const socket = tls.connect({ host: '127.0.0.1', port: d.hub.mqttPort, ca: readFileSync(d.ca), servername: 'localhost', ...(from && { localAddress: from }) });
  let closed = false;
  socket.on('error', () => {}); // the hub closing on us mid-write: expected
  const done = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), resolve())));
  await new Promise<void>((resolve, reject) => (socket.once('secureConnect', () => resolve()), socket.once('error', reject)));
  return { socket, closed: done, isClosed: () => closed };
}

describe('1. memory before login', () => {
  it('closes 3 unauthenticated TLS sockets whose CONNECT declares 256 MiB after the fixed header; the hub grows < 50 MB', async () => {
    const warm = await openRawTls();
    warm.socket.write(fixedHeader(1, 0, MAX_VARINT));
    await warm.closed;
    await sleep(500);
    const before = rssMb(d.hub.pid)!;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(d.hub.pid) ?? 0)), 25);
    const refusedBefore = await metric('wardwatch_broker_refusals_total{kind="packetSize"}');
    const written = await Promise.all(
      [0, 1, 2].map(async () => {
        const raw = await openRawTls();
        raw.socket.write(fixedHeader(1, 0, MAX_VARINT));
        const n = await stream(raw, 256 * MiB);
        await raw.closed;
        return n;
      }),
    );
    await sleep(500);
    clearInterval(sampler);
    const after = rssMb(d.hub.pid)!;
    peak = Math.max(peak, after);
    console.log(`hub RSS ${before.toFixed(1)} MB before, ${peak.toFixed(1)} MB at most, ${after.toFixed(1)} MB after 3 unauthenticated TLS sockets each declaring 256 MiB (the attackers got ${written.map((w) => (w / MiB).toFixed(1)).join(', ')} MiB in before the hub closed them)`);
    for (const w of written) expect(w).toBeLessThan(16 * MiB);
    expect(peak - before).toBeLessThan(50);
    expect(await metric('wardwatch_broker_refusals_total{kind="packetSize"}')).toBe(refusedBefore + 3);
  });
});

describe('2. retained messages', () => {
  it.skipIf(missing('retained pile-up', 'mosquitto_pub', 'curl'))('delivers 30 retained 1 MiB clip chunks from mosquitto_pub without retain; the clip arrives whole', async () => {
    const chunks = Array.from({ length: 30 }, (_, i) => Buffer.alloc(MiB, i + 1));
    const clip = Buffer.concat(chunks);
    const files = chunks.map((c, i) => {
      const f = path.join(d.dir, `chunk-${i}`);
      writeFileSync(f, c);
      return f;
    });
    const end = Date.now();
    const event = { msgId: '01JDQ6ZC0000000000000000AB', type: 'end', event: { id: EVENT_ID, ward: 'p02', camera: 'cam-9', label: 'car', score: 0.8, topScore: 0.9, box: { x: 0.4, y: 0.5, w: 0.2, h: 0.2 }, zones: [], start: end - 20_000, end, snapshot: JPEG } };
    expect((await pub(p02(), '-t', topics.events('p02'), '-m', JSON.stringify(event))).code).toBe(0);
    const manifest = { msgId: '01JDQ6ZD0000000000000000CD', eventId: EVENT_ID, camera: 'cam-9', contentType: 'video/mp4', bytes: clip.length, sha256: createHash('sha256').update(clip).digest('hex'), chunkBytes: MiB, chunks: 30, start: end - 25_000, end };
    expect((await pub(p02(), '-t', topics.clipManifest('p02', EVENT_ID), '-m', JSON.stringify(manifest))).code).toBe(0);
    const retainBefore = await metric('wardwatch_broker_refusals_total{kind="retain"}');
    const rssBefore = rssMb(d.hub.pid)!;
    const lines = d.hub.lines().length;
    for (let i = 0; i < 30; i++) expect((await pub(p02(), '-r', '-t', topics.clipChunk('p02', EVENT_ID, i), '-f', files[i]!)).code).toBe(0);
    expect(await metric('wardwatch_broker_refusals_total{kind="retain"}')).toBe(retainBefore + 30);
    // one line per ward connection that sent retained publishes (30 connections here), never one per megabyte kept
    expect(hubLinesSince(lines).filter((l) => l.refusal === 'retain').length).toBeLessThanOrEqual(30);
    let clipAt = '';
    for (let i = 0; i < 100 && !clipAt; i++) {
      const got = await curl(`${d.hub.url}/api/incidents/${EVENT_ID}`, { ca: d.ca, cookie: operator.cookie });
      if ((json(got).clip as { state?: string } | undefined)?.state === 'present') clipAt = got.body;
      else await sleep(100);
    }
    console.log(`hub RSS ${rssBefore.toFixed(1)} MB before and ${rssMb(d.hub.pid)!.toFixed(1)} MB after 30 retained 1 MiB publishes`);
    expect(clipAt).not.toBe('');
    const head = await curl(`${d.hub.url}/api/incidents/${EVENT_ID}/clip`, { ca: d.ca, cookie: operator.cookie, headers: { range: 'bytes=0-15' } });
    expect([head.status, head.headers['content-range']]).toEqual([206, `bytes 0-15/${clip.length}`]);
  });
});

describe('3. throttled logins', () => {
  it.skipIf(missing('MQTT bad tokens', 'mosquitto_pub'))('makes 200 bad MQTT tokens from one address by mosquitto_pub cost < 0.3 hub core-seconds per 100 after the first 20, while a ward elsewhere logs in at once', async () => {
    const FIRST = 20;
    let cpu0 = 0;
    const answers: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      if (i === FIRST) cpu0 = cpuSeconds(d.hub.pid)!;
      const r = await pub({ username: 'ward-p02', password: `wrong-token-${i}`, clientId: `ward-p02:${i}`, from: '127.0.0.10' }, '-t', topics.events('p02'), '-m', '{}');
      const said = /not authori[sz]ed|Connection Refused[^\n]*|Error[^\n]*/i.exec(r.stderr)?.[0] ?? `exit ${r.code}`;
      answers[said] = (answers[said] ?? 0) + 1;
      expect(r.code).not.toBe(0);
    }
    const perHundred = (cpuSeconds(d.hub.pid)! - cpu0) / ((200 - FIRST) / 100);
    // every mosquitto_pub is a new TLS connection, whose handshake no throttle can save: measured apart, on 100
    // connections that shake hands and leave, so what remains is the logins' own cost
    const cpu1 = cpuSeconds(d.hub.pid)!;
    for (let i = 0; i < 100; i++) {
      const raw = await openRawTls('127.0.0.12');
      raw.socket.end();
      await raw.closed;
    }
    const handshakes = cpuSeconds(d.hub.pid)! - cpu1;
    console.log(`MQTT: 200 bad tokens from 127.0.0.10 by mosquitto_pub: ${perHundred.toFixed(3)} hub core-seconds per 100 after the first ${FIRST}, of which TLS handshakes ${handshakes.toFixed(3)} (100 bare handshakes); mosquitto_pub said ${JSON.stringify(answers)}`);
    expect(perHundred - handshakes).toBeLessThan(0.3);
    const started = performance.now();
    const rightful = await pub({ ...p02(), from: '127.0.0.11' }, '-t', topics.wardStatus('p02'), '-r', '-m', JSON.stringify({ state: 'offline', ward: 'p02' }));
    expect(rightful.code).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it.skipIf(missing('HTTP bad passwords', 'curl'))('makes 300 bad passwords from one address by curl cost < 0.3 hub core-seconds per 100 after the first 20, while the admin elsewhere logs in at once', async () => {
    const FIRST = 20;
    const body = (i: number) => ({ name: `user${i % 40}`, password: `guess-${i}-pw` });
    const statuses: number[] = [];
    for (let i = 0; i < FIRST; i++) statuses.push((await curl(`${d.hub.url}/api/login`, { ca: d.ca, from: '127.0.0.20', json: body(i) })).status);
    // the rest on one kept-alive connection, as a browser or a script would send them: the logins' own cost
    const cpu0 = cpuSeconds(d.hub.pid)!;
    const rest = await curlPosts(`${d.hub.url}/api/login`, Array.from({ length: 300 - FIRST }, (_, i) => body(FIRST + i)), { ca: d.ca, from: '127.0.0.20' });
    const perHundred = (cpuSeconds(d.hub.pid)! - cpu0) / ((300 - FIRST) / 100);
    statuses.push(...rest);
    // and 100 more, each on a new TLS connection (curl run anew): what the handshakes add, which no throttle saves
    const cpu1 = cpuSeconds(d.hub.pid)!;
    for (let i = 0; i < 100; i++) statuses.push((await curl(`${d.hub.url}/api/login`, { ca: d.ca, from: '127.0.0.20', json: body(300 + i) })).status);
    const perHundredNew = cpuSeconds(d.hub.pid)! - cpu1;
    const counted: Record<number, number> = {};
    for (const s of statuses) counted[s] = (counted[s] ?? 0) + 1;
    console.log(`HTTPS: 400 bad passwords from 127.0.0.20: ${perHundred.toFixed(3)} hub core-seconds per 100 after the first ${FIRST} on one connection, ${perHundredNew.toFixed(3)} per 100 with a new TLS connection each; statuses ${JSON.stringify(counted)}`);
    expect(statuses).toHaveLength(400);
    expect(perHundred).toBeLessThan(0.3);
    expect(counted[200]).toBeUndefined();
    expect(counted[429]).toBeGreaterThan(350);
    const started = performance.now();
    const login = await curl(`${d.hub.url}/api/login`, { ca: d.ca, from: '127.0.0.21', json: { name: d.admin.name, password: d.admin.password } });
    expect(login.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('4. lockout is no remote denial of service', () => {
  it.skipIf(missing('lockout', 'curl'))('locks the admin\'s name for the guessing address only: the admin\'s session lives on and the admin logs in elsewhere at once', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await curl(`${d.hub.url}/api/login`, { ca: d.ca, from: '127.0.0.30', json: { name: d.admin.name, password: `guess-${i}-pw` } })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 403, 403]);
    const right = await curl(`${d.hub.url}/api/login`, { ca: d.ca, from: '127.0.0.30', json: { name: d.admin.name, password: d.admin.password } });
    expect([right.status, json(right).code]).toEqual([403, 'LOCKED']);
    expect((await curl(`${d.hub.url}/api/session`, { ca: d.ca, cookie: admin.cookie })).status).toBe(200);
    const elsewhere = await curl(`${d.hub.url}/api/login`, { ca: d.ca, from: '127.0.0.31', json: { name: d.admin.name, password: d.admin.password } });
    expect(elsewhere.status).toBe(200);
  });

  it.skipIf(missing('name enumeration', 'curl'))('answers a name the hub does not know exactly as the admin\'s name, on the hub and on the box', async () => {
    for (const [base, known, from] of [[d.hub.url, d.admin.name, '127.0.0.32'], [d.box.url, d.officer.name, '127.0.0.34']] as const) {
      const seq = async (name: string, address: string) => {
        const out: string[] = [];
        for (let i = 0; i < 6; i++) {
          const a = await curl(`${base}/api/login`, { ca: d.ca, from: address, json: { name, password: `guess-${i}-pw` } });
          out.push(`${a.status} ${String(json(a).code)} ${a.headers['retry-after'] !== undefined}`);
        }
        return out;
      };
      const knownSeq = await seq(known, from);
      const unknownSeq = await seq('no-such-user', from.replace(/\d+$/, (n) => String(Number(n) + 1)));
      expect(unknownSeq).toEqual(knownSeq);
      expect(knownSeq.at(-1)).toBe('403 LOCKED true');
    }
  });
});

describe('5. TLS on every page', () => {
  for (const page of ['hub', 'box'] as const) {
    it.skipIf(missing(`TLS ${page} page`, 'curl'))(`serves the ${page}'s page over TLS with the district CA: Secure; HttpOnly; SameSite=Strict cookies and HSTS`, async () => {
      const base = page === 'hub' ? d.hub.url : d.box.url;
      const name = page === 'hub' ? d.admin.name : d.officer.name;
      const password = page === 'hub' ? d.admin.password : d.officer.password;
      const a = await curl(`${base}/api/login`, { ca: d.ca, verbose: true, from: '127.0.0.40', json: { name, password } });
      expect(a.code).toBe(0);
      expect(a.stderr).toMatch(/SSL connection using TLSv1\.[23]/);
      expect(a.stderr).toMatch(/issuer: O=Wardwatch; CN=Wardwatch district CA/);
      expect(a.stderr).toMatch(/SSL certificate verify ok/);
      expect(a.status).toBe(200);
      expect(a.headers['set-cookie']!.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict', 'Secure']);
      expect(a.headers['strict-transport-security']).toBe('max-age=31536000');
      const untrusted = await curl(`${base}/`);
      expect(untrusted.code).toBe(60); // curl: peer certificate cannot be authenticated with known CA certificates
      const plain = await curl(base.replace('https:', 'http:') + '/');
      expect(plain.status).not.toBe(200);
    });
  }

  it('streams the box\'s live view over wss:// and its recordings over HTTPS', async () => {
    const ca = readFileSync(d.ca);
    const ws = new WebSocket(`${d.box.url.replace('https:', 'wss:')}/api/live/cam-1?stream=sub`, { ca, headers: { cookie: officer.cookie } });
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.on('message', (m: Buffer, binary: boolean) => binary && resolve(m));
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no live bytes within 20 s')), 20_000);
    });
    ws.terminate();
    expect(first.subarray(4, 8).toString('latin1')).toBe('ftyp'); // the init segment of fragmented MP4
    if (!has('curl')) return void console.log('skipped the recordings half: curl is not installed (apt-get install -y curl)');
    let from = 0;
    for (let i = 0; i < 100 && !from; i++) {
      const t = json(await curl(`${d.box.url}/api/timeline/cam-1?from=${Date.now() - 600_000}&to=${Date.now()}`, { ca: d.ca, cookie: officer.cookie }));
      from = (t.coverage as { from: number }[] | undefined)?.[0]?.from ?? 0;
      if (!from) await sleep(200);
    }
    const mp4 = await curl(`${d.box.url}/api/playback/cam-1?from=${from}`, { ca: d.ca, cookie: officer.cookie });
    expect([mp4.status, mp4.headers['content-type']]).toEqual([200, 'video/mp4']);
    expect(mp4.body.slice(4, 8)).toBe('ftyp');
  });
  it.skipIf(missing('live relay over TLS', 'curl'))('relays a ward camera live through the hub over TLS: the box pushes to wss:// with the district CA, the operator watches over wss://', async () => {
    const ca = readFileSync(d.ca);
    let relayId = '';
    // the hub knows the camera once the box's retained camera status is in
    for (let i = 0; i < 100 && !relayId; i++) {
      const opened = await curl(`${d.hub.url}/api/live`, { ca: d.ca, cookie: operator.cookie, headers: { 'x-csrf-token': operator.csrf }, json: { ward: 'p01', camera: 'cam-1' } });
      if (opened.status === 201) relayId = String(json(opened).relayId);
      else await sleep(200);
    }
    expect(relayId).toMatch(/^[0-9A-Z]{26}$/);
    const ws = new WebSocket(`${d.hub.url.replace('https:', 'wss:')}/api/live/${relayId}`, { ca, headers: { cookie: operator.cookie } });
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.on('message', (m: Buffer, binary: boolean) => binary && resolve(m));
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no relayed bytes within 30 s')), 30_000);
    });
    ws.terminate();
    expect(first.subarray(4, 8).toString('latin1')).toBe('ftyp');
  });
});

describe('6. the smaller findings', () => {
  // the clip behind the link is the one row 2 sent
  it.skipIf(missing('share-link spelling', 'curl', 'mosquitto_pub'))('refuses a share link whose last character is spelt another way; the exact link plays', async () => {
    const link = signClipLink({ kind: 'incident', id: EVENT_ID }, Date.now() + 3_600_000, loadLinkKey(d.hub.data));
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = ALPHABET.indexOf(link.at(-1)!);
    const respelt = `${link.slice(0, -1)}${ALPHABET[last ^ 1]}`;
    const bad = await curl(`${d.hub.url}${respelt}`, { ca: d.ca });
    expect([bad.status, json(bad).code]).toEqual([403, 'LINK']);
    const good = await curl(`${d.hub.url}${link}`, { ca: d.ca, headers: { range: 'bytes=0-3' } });
    expect(good.status).toBe(206);
  });

  it.skipIf(missing('username redaction', 'mosquitto_pub'))('never writes a token typed into the MQTT username into the hub\'s log', async () => {
    const lines = d.hub.lines().length;
    const r = await pub({ username: d.tokens.p02, password: d.tokens.p02, clientId: 'ward-p02', from: '127.0.0.50' }, '-t', topics.events('p02'), '-m', '{}');
    expect(r.code).not.toBe(0);
    await sleep(300);
    const logged = JSON.stringify(hubLinesSince(lines));
    expect(logged).toMatch(/not logged/);
    expect(logged).not.toContain(d.tokens.p02);
    expect(logged).not.toContain(d.tokens.p02.slice(0, 12));
  });

  it.skipIf(missing('one line per SUBSCRIBE', 'mosquitto_sub'))('logs a SUBSCRIBE of 200 refused filters from mosquitto_sub as one line', async () => {
    const lines = d.hub.lines().length;
    const before = await metric('wardwatch_broker_refusals_total{kind="subscribe"}');
    const filters = Array.from({ length: 200 }, (_, i) => ['-t', `f/${i}`]).flat(); // one packet of ~1.6 KB, under the 4 KiB SUBSCRIBE cap
    const r = await sub({ ...p02(), from: '127.0.0.51' }, ...filters, '-W', '3');
    expect(`${r.stdout}${r.stderr}`).toMatch(/All subscription requests were denied/);
    await sleep(300);
    expect(hubLinesSince(lines).filter((l) => l.refusal === 'subscribe')).toHaveLength(1);
    expect(await metric('wardwatch_broker_refusals_total{kind="subscribe"}')).toBe(before + 200);
  });

  // the snapshot and the clip are the ones row 2 sent
  it.skipIf(missing('file modes', 'mosquitto_pub'))('keeps the hub\'s and the box\'s databases, keys, snapshots and clips 0600 (folders 0700) under umask 022', () => {
    const walk = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => path.join(e.parentPath, e.name));
    const hubFiles = walk(d.hub.data);
    expect(hubFiles.some((f) => /snapshots/.test(f) && statSync(f).isFile())).toBe(true);
    expect(hubFiles.some((f) => /clips/.test(f) && statSync(f).isFile())).toBe(true);
    const open = hubFiles.filter((f) => (statSync(f).mode & 0o077) !== 0).map((f) => `${path.relative(d.hub.data, f)} ${(statSync(f).mode & 0o777).toString(8)}`);
    expect(open).toEqual([]);
    // the export key's public half is for anyone who checks an export
    const boxKept = walk(d.box.data).filter((f) => /edge\.db|keys/.test(path.relative(d.box.data, f)) && !f.endsWith('.pub.pem'));
    expect(boxKept.length).toBeGreaterThan(1);
    expect(boxKept.filter((f) => (statSync(f).mode & 0o077) !== 0).map((f) => path.relative(d.box.data, f))).toEqual([]);
  });
});

describe('rows that held in the first run', () => {
  it.skipIf(missing('cross-ward publish', 'mosquitto_pub'))('drops a publish of ward p02 to ward p01\'s topics and to a command topic', async () => {
    const before = await metric('wardwatch_broker_refusals_total{kind="publish"}');
    await pub({ ...p02(), from: '127.0.0.60' }, '-t', topics.events('p01'), '-m', '{}');
    await pub({ ...p02(), from: '127.0.0.60' }, '-t', 'wardwatch/v1/p02/cmd/retrieve', '-m', '{}');
    expect(await metric('wardwatch_broker_refusals_total{kind="publish"}')).toBe(before + 2);
  });

  it.skipIf(missing('cross-ward and wildcard subscribe', 'mosquitto_sub'))('denies ward p02 p01\'s commands, #, and $SYS/#', async () => {
    for (const filter of ['wardwatch/v1/p01/cmd/#', '#', '$SYS/#', 'wardwatch/v1/+/events']) {
      const r = await sub({ ...p02(), from: '127.0.0.61' }, '-t', filter, '-W', '3');
      expect(`${r.stdout}${r.stderr}`, filter).toMatch(/All subscription requests were denied/);
    }
  });

  it.skipIf(missing('wrong token and no login', 'mosquitto_pub'))('refuses a wrong token and an anonymous client with "not authorised"', async () => {
    for (const login of [{ username: 'ward-p02', password: 'not-the-token', clientId: 'ward-p02' }, {}]) {
      const r = await pub({ ...login, from: '127.0.0.62' }, '-t', topics.events('p02'), '-m', '{}');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/not authori[sz]ed|Connection Refused/i);
    }
  });

  it.skipIf(missing('session takeover', 'mosquitto_pub'))('refuses ward p02 logging in with ward p01\'s client id; the box stays connected', async () => {
    const before = await metric('wardwatch_broker_refusals_total{kind="clientId"}');
    const r = await pub({ ...p02(), clientId: 'ward-p01', from: '127.0.0.63' }, '-t', topics.events('p02'), '-m', '{}');
    expect(r.code).not.toBe(0);
    expect(await metric('wardwatch_broker_refusals_total{kind="clientId"}')).toBe(before + 1);
    expect(await metric('wardwatch_broker_connected')).toBeGreaterThanOrEqual(1);
    expect(d.box.lines().filter((l) => /disconnected|connection lost|offline/i.test(String(l.msg)) && Number(l.time) > Date.now() - 2000)).toEqual([]);
  });

  it.skipIf(missing('path traversal', 'curl'))('answers path traversal on both pages without a file from outside', async () => {
    for (const base of [d.hub.url, d.box.url]) {
      for (const p of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/share/..%2f..%2f..%2fetc%2fpasswd', '/app.js/../../../../etc/passwd']) {
        const a = await curl(`${base}${p}`, { ca: d.ca, extra: ['--path-as-is'] });
        expect(a.status, `${base}${p}`).toBeGreaterThanOrEqual(400);
        expect(a.body).not.toMatch(/root:x:0:0/);
      }
    }
  });

  it.skipIf(missing('SQL and absurd limits', 'curl'))('answers SQL in filters and absurd limits with 400, naming the field', async () => {
    const q = (query: string) => curl(`${d.hub.url}/api/incidents?${query}`, { ca: d.ca, cookie: operator.cookie });
    for (const query of [`ward=${encodeURIComponent("p01' OR '1'='1")}`, `camera=${encodeURIComponent('x"; DROP TABLE incidents; --')}`, 'limit=100000000', 'limit=-1', `from=${encodeURIComponent('1 OR 1=1')}`]) {
      const a = await q(query);
      expect(a.status, `${query}: ${a.body}`).toBe(400);
      expect(json(a).code, query).toBe('BAD_REQUEST');
    }
    expect((await q('limit=5')).status).toBe(200);
  });

  it.skipIf(missing('CSRF and Origin', 'curl'))('refuses a change without the CSRF token, and one from a foreign Origin, on both pages', async () => {
    for (const [base, s] of [[d.hub.url, admin], [d.box.url, officer]] as const) {
      const noToken = await curl(`${base}/api/logout`, { ca: d.ca, method: 'POST', cookie: s.cookie });
      expect([noToken.status, json(noToken).code]).toEqual([403, 'CSRF']);
      const foreign = await curl(`${base}/api/logout`, { ca: d.ca, method: 'POST', cookie: s.cookie, headers: { 'x-csrf-token': s.csrf, origin: 'https://evil.example' } });
      expect([foreign.status, json(foreign).code]).toEqual([403, 'ORIGIN']);
      expect((await curl(`${base}/api/session`, { ca: d.ca, cookie: s.cookie })).status).toBe(200);
    }
  });

  it.skipIf(missing('forged and expired links', 'curl'))('refuses a link signed with another key and an expired one', async () => {
    const forged = signClipLink({ kind: 'incident', id: EVENT_ID }, Date.now() + 3_600_000, randomBytes(32));
    const expired = signClipLink({ kind: 'incident', id: EVENT_ID }, Date.now() - 1000, loadLinkKey(d.hub.data));
    for (const link of [forged, expired]) {
      const a = await curl(`${d.hub.url}${link}`, { ca: d.ca });
      expect([a.status, json(a).code]).toEqual([403, 'LINK']);
    }
  });

  it.skipIf(missing('revoked token', 'mosquitto_pub'))('refuses ward p02\'s token once it is revoked and the hub reloaded', async () => {
    await wardwatch('provision', 'credentials', 'revoke', '--ward', 'p02', '--hub-config', d.hub.config);
    process.kill(d.hub.pid, 'SIGHUP');
    await d.hub.line((l) => /wards reloaded/.test(String(l.msg)));
    const r = await pub({ ...p02(), from: '127.0.0.64' }, '-t', topics.events('p02'), '-m', '{}');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authori[sz]ed|Connection Refused/i);
  });

  it('names the changed row when the audit chain is tampered with', async () => {
    // what someone with the database file can do: drop the append-only triggers and rewrite a row
    const db = new Database(path.join(d.hub.data, 'hub.db'));
    let changed = 0;
    try {
      for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit'").all() as { name: string }[]) db.exec(`DROP TRIGGER "${t.name}"`);
      changed = (db.prepare("SELECT MIN(id) AS id FROM audit WHERE action = 'login'").get() as { id: number }).id;
      db.prepare("UPDATE audit SET actor = 'someone-else' WHERE id = ?").run(changed);
    } finally {
      db.close();
    }
    const verified = await wardwatch('hub', 'audit', 'verify', '--config', d.hub.config).then(() => 'ok', (err: Error) => err.message);
    expect(verified).toMatch(/audit log broken/);
    expect(verified).toContain(String(changed));
  });
});
