// RTSP for the city's video system end to end: a real hub with cityRtsp on, a real ward box reading a fake camera,
// and the bundled ffprobe/ffmpeg (clients we did not write) reading rtsp://user:pass@hub/<ward>/<camera> with the
// city account's own credential. Granted → H.264 through the hub's relay; wrong credential → 401; not granted → 403
// and no relay; two readers share one relay; a revoke ends running sessions at once, an expiry within a second; each
// play and its end audited; the bounds a hostile network meets, and the login throttle.
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspCredentials } from '../../hub/city-rtsp/credentials.js';
import type { RunningHub } from '../../hub/main.js';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { digestResponse, parseAuthorization } from '../../shared/rtsp/digest.js';
import { untilWith } from '../until.js';
import { startRemoteRig, type RemoteRig } from '../remote/rig.js';

const run = promisify(execFile);
const until = untilWith(30_000, 200);
const LINGER_MS = 1_000;

let rig: RemoteRig;
let hub: RunningHub;
let tools: FfmpegTools;
let password: string;
let base: string;

const url = (path: string, user = 'city-vms', pass = password) => `rtsp://${user}:${encodeURIComponent(pass)}@${base}${path}`;

/** ffprobe's verdict on a URL: its streams, or its error output. */
async function probe(target: string): Promise<{ ok: true; streams: { codec_name: string; width: number; height: number }[] } | { ok: false; stderr: string }> {
  try {
    const { stdout } = await run(tools.ffprobe.path, ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', target], { timeout: 40_000 });
    return { ok: true, streams: (JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams };
  } catch (err) {
    return { ok: false, stderr: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** A raw RTSP connection: sends requests (Digest-signed once challenged), reads whole responses. */
function rawClient() {
  const socket = net.connect(hub.cityRtsp!.port, '127.0.0.1');
  let buffered = '';
  let cseq = 0;
  let nonce: string | undefined;
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (buffered += d));
  const response = async (): Promise<string> => {
    await until('an RTSP response', () => buffered.includes('\r\n\r\n') || socket.destroyed, 10_000, 20);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return '';
    const length = Number(/Content-Length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
    await until('the body', () => buffered.length >= end + 4 + length || socket.destroyed, 10_000, 20);
    const text = buffered.slice(0, end + 4 + length);
    buffered = buffered.slice(end + 4 + length);
    return text;
  };
  return {
    socket,
    closed,
    async request(method: string, path: string, headers: Record<string, string> = {}, pass = password): Promise<string> {
      const uri = `rtsp://${base}${path}`;
      const auth = nonce ? { Authorization: `Digest username="city-vms", realm="wardwatch", nonce="${nonce}", uri="${uri}", response="${digestResponse({ credentials: { username: 'city-vms', password: pass }, realm: 'wardwatch', method, uri, nonce })}"` } : {};
      const lines = [`${method} ${uri} RTSP/1.0`, `CSeq: ${++cseq}`, ...Object.entries({ ...auth, ...headers }).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      const text = await response();
      const challenge = /WWW-Authenticate: (.*)\r\n/.exec(text)?.[1];
      if (challenge && !nonce) {
        nonce = parseAuthorization(challenge)?.get('nonce');
        return this.request(method, path, headers, pass);
      }
      return text;
    },
  };
}

beforeAll(async () => {
  tools = await locateFfmpeg();
  rig = await startRemoteRig({ hub: { cityRtsp: { listen: { host: '127.0.0.1', port: 0 }, lingerMs: LINGER_MS } } });
  hub = rig.hub;
  expect(hub.cityRtsp).toBeDefined();
  base = `127.0.0.1:${hub.cityRtsp!.port}`;
  await hub.accounts.addUser({ name: 'city-vms', role: 'city', password: 'page-pass-123' }, { actor: 'cli:test', ip: null });
  password = await new RtspCredentials({ sql: hub.store.sql, audit: hub.audit }).make('city-vms', { actor: 'cli:test', ip: null });
}, 120_000);

afterAll(() => rig?.stop());

describe('RTSP for the city through the hub', () => {
  it('refuses a camera not granted to the city (403 with the reason) and opens no relay', async () => {
    const r = await probe(url('/p01/cam-1'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.stderr).toMatch(/403 Forbidden/);
    expect(hub.live.list()).toEqual([]);
    expect(hub.cityRtsp!.feedList()).toEqual([]);
  }, 60_000);

  it('reads H.264 from a granted camera with the city\'s credential; a wrong one is 401; another camera stays refused', async () => {
    await hub.city.grants.grant({ by: 'lan', ward: 'p01', camera: 'cam-1', minutes: 10, live: true, recordings: null, reason: 'the city monitors the market street' });
    const r = await probe(url('/p01/cam-1'));
    expect(r).toMatchObject({ ok: true, streams: [{ codec_name: 'h264' }] });
    // decoded, not only probed: 3 s of frames without a decoder complaint
    const decoded = await run(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url('/p01/cam-1'), '-t', '3', '-f', 'null', '-'], { timeout: 40_000 });
    expect(decoded.stderr).toBe('');
    expect(r.ok && r.streams[0]!.width).toBeGreaterThan(0);
    // the relay was opened for the city user, and ends a linger after the last reader left
    expect((await hub.audit.list({ actor: 'city-vms' })).map((a) => a.action)).toEqual(expect.arrayContaining(['live.view', 'city.rtsp.view', 'city.rtsp.end']));
    await until('the relay ended after the linger', () => hub.live.list().length === 0 && hub.cityRtsp!.feedList().length === 0, 15_000);

    const wrong = await probe(url('/p01/cam-1', 'city-vms', 'not-the-password'));
    expect(!wrong.ok && wrong.stderr).toMatch(/401 Unauthorized/);
    const page = await probe(url('/p01/cam-1', 'city-vms', 'page-pass-123'));
    expect(!page.ok && page.stderr).toMatch(/401 Unauthorized/);
    const operator = await probe(url('/p01/cam-1', 'lan', password));
    expect(!operator.ok && operator.stderr).toMatch(/401 Unauthorized/);

    const other = await probe(url('/p01/cam-2'));
    expect(!other.ok && other.stderr).toMatch(/403 Forbidden/);
    expect(hub.live.list()).toEqual([]);
  }, 90_000);

  it('shares one relay between two readers, and ends both at once when the grant is revoked, audited with the reason', async () => {
    const grant = (await hub.city.grants.active()).find((g) => g.camera === 'cam-1')!;
    const stderr: string[] = [];
    const readers = [0, 1].map(() => {
      const reader = spawn(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url('/p01/cam-1?stream=sub'), '-t', '120', '-c', 'copy', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
      reader.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
      return { reader, exited: new Promise<void>((resolve) => reader.on('exit', () => resolve())) };
    });
    try {
      await until('both sessions to play', () => hub.cityRtsp!.readers().length === 2, 30_000);
      expect(hub.cityRtsp!.readers()).toEqual([0, 1].map(() => expect.objectContaining({ user: 'city-vms', ward: 'p01', camera: 'cam-1', stream: 'sub', ip: '127.0.0.1' })));
      await until('frames flowing to the readers', () => (hub.cityRtsp!.feedList()[0]?.framesOut ?? 0) >= 10);
      // one relay from the box for both
      expect(hub.live.list()).toEqual([expect.objectContaining({ ward: 'p01', camera: 'cam-1', stream: 'sub', requestedBy: 'city-vms', viewers: 1 })]);
      expect(hub.cityRtsp!.feedList()).toEqual([expect.objectContaining({ key: 'p01/cam-1/sub', playing: 2 })]);
      // the operators see the city's RTSP readers beside the page's viewers
      const listed = await rig.operator.call('GET', '/api/city/viewers');
      expect(listed.status).toBe(200);
      expect(listed.json.viewers).toEqual([0, 1].map(() => expect.objectContaining({ user: 'city-vms', ward: 'p01', camera: 'cam-1', stream: 'sub', via: 'rtsp', ip: '127.0.0.1' })));
      const revokedAt = Date.now();
      expect(await hub.city.grants.revoke(grant.id, 'lan')).toBe(true);
      expect(hub.cityRtsp!.readers()).toEqual([]);
      await Promise.race([Promise.all(readers.map((r) => r.exited)), until('ffmpeg to stop', () => false, 10_000)]);
      expect(Date.now() - revokedAt).toBeLessThan(5_000);
      const ends = (await hub.audit.list({ actor: 'city-vms' })).filter((a) => a.action === 'city.rtsp.end').slice(0, 2);
      for (const end of ends) expect(JSON.parse(String(end.detail))).toMatchObject({ ward: 'p01', camera: 'cam-1', stream: 'sub', grant: grant.id, reason: expect.stringMatching(/revoked/) as string });
      expect(stderr.join('')).not.toMatch(/Invalid data|non-existing PPS|decode_slice/);
      await until('the relay ended', () => hub.live.list().length === 0, 15_000);
      // and a new reader is refused
      const again = await probe(url('/p01/cam-1'));
      expect(!again.ok && again.stderr).toMatch(/403 Forbidden/);
    } finally {
      for (const r of readers) r.reader.kill('SIGKILL');
    }
  }, 90_000);

  it('ends a running session within a second or so of its grant running out by itself', async () => {
    const { endsAt } = await hub.city.grants.grant({ by: 'lan', ward: 'p01', camera: 'cam-1', minutes: 0.1, live: true, recordings: null, reason: 'six seconds' });
    const reader = spawn(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url('/p01/cam-1'), '-t', '120', '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => reader.on('exit', () => resolve()));
    try {
      await until('the session to play', () => hub.cityRtsp!.readers().length === 1, 30_000);
      expect(Date.now()).toBeLessThan(endsAt);
      await until('the session ended', () => hub.cityRtsp!.readers().length === 0, 15_000, 50);
      expect(Date.now() - endsAt).toBeLessThan(1_500);
      await exited;
    } finally {
      reader.kill('SIGKILL');
    }
  }, 60_000);

  it('keeps its bounds: UDP answered 461, a long request line 400 and closed, 5 wrong credentials closed, 16 connections per address', async () => {
    await hub.city.grants.grant({ by: 'lan', ward: 'p01', camera: 'cam-1', minutes: 10, live: true, recordings: null, reason: 'bounds' });
    const c = rawClient();
    const described = await c.request('DESCRIBE', '/p01/cam-1');
    expect(described).toMatch(/^RTSP\/1.0 200 OK/);
    expect(described).toMatch(/Content-Base: rtsp:\/\/127.0.0.1:\d+\/p01\/cam-1\/main\//);
    expect(described).toMatch(/a=rtpmap:96 H264\/90000/);
    expect(described).toMatch(/a=fmtp:96 packetization-mode=1; sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+; profile-level-id=[0-9A-F]{6}/);
    expect(await c.request('SETUP', '/p01/cam-1/main/trackID=0', { Transport: 'RTP/AVP;unicast;client_port=5000-5001' })).toMatch(/^RTSP\/1.0 461 Unsupported Transport/);
    c.socket.destroy();

    const long = rawClient();
    long.socket.write(`DESCRIBE rtsp://${base}/${'x'.repeat(5000)}`);
    await long.closed;

    const guesser = rawClient();
    for (let i = 0; i < 5; i++) await guesser.request('DESCRIBE', '/p01/cam-1', {}, `guess-${i}`);
    await guesser.closed;

    const many = Array.from({ length: 17 }, () => rawClient());
    await until('the 17th connection refused', () => many.filter((m) => m.socket.destroyed).length === 1, 10_000, 50);
    expect((await many[0]!.request('OPTIONS', '/p01/cam-1')).startsWith('RTSP/1.0 200 OK')).toBe(true);
    for (const m of many) m.socket.destroy();
  }, 60_000);

  // last: it leaves 127.0.0.1 locked out for minutes
  it('counts failed Digest answers in the hub\'s login throttle: a guessing address is refused, even with the right password', async () => {
    let answer = '';
    for (let i = 0; i < 12 && !answer.startsWith('RTSP/1.0 403'); i++) {
      const guesser = rawClient();
      answer = await guesser.request('DESCRIBE', '/p01/cam-1', {}, `guess-again-${i}`);
      guesser.socket.destroy();
    }
    expect(answer).toMatch(/^RTSP\/1.0 403 Forbidden/);
    expect(answer).toMatch(/too many failed logins from this address: try again in \d+ s/);
    const right = rawClient();
    expect(await right.request('DESCRIBE', '/p01/cam-1')).toMatch(/^RTSP\/1.0 403 Forbidden[\s\S]*too many failed logins/);
    right.socket.destroy();
    const failed = (await hub.audit.list({ actor: 'city-vms' })).filter((a) => a.action === 'login.failed');
    expect(failed.length).toBeGreaterThanOrEqual(5);
    expect(JSON.parse(String(failed[0]!.detail))).toEqual({ reason: 'wrong RTSP credential', via: 'rtsp' });
  }, 60_000);
});
