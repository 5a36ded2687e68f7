// The fake cameras against real ffmpeg/ffprobe readers: streams, recording, Digest, faults, cache.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { digestResponse, parseAuthorization } from '../../shared/rtsp/digest.js';
import { startCameraFarm, type CameraFarm } from './farm.js';
import type { FakeCamera } from './camera.js';

const run = promisify(execFile);
const LOOP_SECONDS = 12;

let tools: FfmpegTools;
let farm: CameraFarm;
let workDir: string;
const camera = (i: number): FakeCamera => farm.cameras[i]!;

beforeAll(async () => {
  tools = await locateFfmpeg();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'wardwatch-camera-'));
  farm = await startCameraFarm({ count: 4, scene: 'traffic', loopSeconds: LOOP_SECONDS });
}, 120_000);

afterAll(async () => {
  await farm?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

interface Exit {
  code: number | null;
  stderr: string;
  ms: number;
}

/** Runs ffmpeg to completion (or until killed after `limitMs`). */
function ffmpeg(args: string[], limitMs: number): { exited: Promise<Exit>; kill(): void } {
  const started = Date.now();
  const child = spawn(tools.ffmpeg.path, ['-hide_banner', '-nostdin', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (t: string) => (stderr = (stderr + t).slice(-8000)));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exited = new Promise<Exit>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, ms: Date.now() - started });
    }),
  );
  return { exited, kill: () => child.kill('SIGKILL') };
}

/** Frames a `-c copy -f null` reader got, from its last progress line. */
function framesRead(stderr: string): number {
  const all = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  return Number(all.at(-1)?.[1] ?? 0);
}

interface ProbedStream {
  codec_name: string;
  width: number;
  height: number;
  r_frame_rate: string;
}

async function probeStream(url: string): Promise<ProbedStream> {
  const { stdout } = await run(
    tools.ffprobe.path,
    ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'json', url],
    { timeout: 20_000 },
  );
  const streams = (JSON.parse(stdout) as { streams: ProbedStream[] }).streams;
  expect(streams).toHaveLength(1);
  return streams[0]!;
}

/** One raw RTSP request on a fresh connection; resolves with the response head and body. */
function rtspRequest(port: number, lines: string[]): Promise<{ status: number; headers: Map<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed before a response: ${JSON.stringify(data)}`)));
    socket.on('data', (chunk: string) => {
      data += chunk;
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...headerLines] = data.slice(0, end).split('\r\n');
      const headers = new Map(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers.get('content-length') ?? 0);
      if (data.length < end + 4 + length) return;
      socket.removeAllListeners('close');
      socket.destroy();
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: data.slice(end + 4, end + 4 + length) });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

describe('a fake camera', () => {
  it.concurrent('serves main and sub as H.264 at the configured size and fps over RTSP/TCP', async () => {
    const main = await probeStream(camera(0).urlWithCredentials('main'));
    const sub = await probeStream(camera(0).urlWithCredentials('sub'));
    expect(main).toMatchObject({ codec_name: 'h264', width: 1280, height: 720, r_frame_rate: '15/1' });
    expect(sub).toMatchObject({ codec_name: 'h264', width: 640, height: 360, r_frame_rate: '10/1' });
    const offset = camera(0).loopOffsetSeconds();
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(LOOP_SECONDS);
  });

  it.concurrent('records 25 s with -c copy into 10 s MP4 segments that ffprobe reads cleanly', async () => {
    const dir = path.join(workDir, 'record');
    await mkdir(dir);
    const recorder = ffmpeg([
      '-loglevel', 'error', tools.rtspTimeoutFlag, '5000000', '-rtsp_transport', 'tcp', '-i', camera(1).urlWithCredentials('main'),
      '-t', '25', '-c', 'copy', '-f', 'segment', '-segment_time', '10', '-segment_format', 'mp4', '-reset_timestamps', '1',
      '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof', path.join(dir, '%03d.mp4'),
    ], 60_000);
    const result = await recorder.exited;
    expect(result.code, result.stderr).toBe(0);
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(['000.mp4', '001.mp4', '002.mp4']);
    let total = 0;
    for (const file of files) {
      const { stdout, stderr } = await run(tools.ffprobe.path, [
        '-v', 'error', '-show_entries', 'format=duration:stream=codec_name,width,height', '-of', 'json', path.join(dir, file),
      ]);
      expect(stderr).toBe('');
      const info = JSON.parse(stdout) as { format: { duration: string }; streams: { codec_name: string; width: number }[] };
      expect(info.streams[0]).toMatchObject({ codec_name: 'h264', width: 1280 });
      total += Number(info.format.duration);
    }
    expect(total).toBeGreaterThan(23);
    expect(total).toBeLessThan(27);
  });

  it.concurrent('answers 401 with a Digest challenge to absent or wrong credentials, 200 to right ones', async () => {
    const { port } = camera(2);
    const url = `rtsp://127.0.0.1:${port}/main`;
    const bare = await rtspRequest(port, [`DESCRIBE ${url} RTSP/1.0`, 'CSeq: 1', 'Accept: application/sdp']);
    expect(bare.status).toBe(401);
    const challenge = parseAuthorization(bare.headers.get('www-authenticate') ?? '');
    expect(challenge?.get('realm')).toBeTruthy();
    const nonce = challenge?.get('nonce') ?? '';
    expect(nonce).not.toBe('');
    const authorization = (password: string): string => {
      const response = digestResponse({
        credentials: { username: 'admin', password }, realm: challenge!.get('realm')!, method: 'DESCRIBE', uri: url, nonce,
      });
      return `Authorization: Digest username="admin", realm="${challenge!.get('realm')}", nonce="${nonce}", uri="${url}", response="${response}"`;
    };
    const wrong = await rtspRequest(port, [`DESCRIBE ${url} RTSP/1.0`, 'CSeq: 2', authorization('not-the-password')]);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Digest /);
    const right = await rtspRequest(port, [`DESCRIBE ${url} RTSP/1.0`, 'CSeq: 3', authorization('wardwatch-cam')]);
    expect(right.status).toBe(200);
    expect(right.headers.get('cseq')).toBe('3');
    expect(right.body).toMatch(/a=rtpmap:96 H264\/90000/);
    expect(right.body).toMatch(/sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+/);
    expect(right.body).toMatch(/a=control:trackID=0/);

    const denied = await ffmpeg(['-rtsp_transport', 'tcp', '-i', url.replace('rtsp://', 'rtsp://admin:wrong@'), '-t', '1', '-c', 'copy', '-f', 'null', '-'], 20_000).exited;
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/401/);
    const allowed = await ffmpeg(['-rtsp_transport', 'tcp', '-i', camera(2).urlWithCredentials('main'), '-t', '2', '-c', 'copy', '-f', 'null', '-'], 20_000).exited;
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(framesRead(allowed.stderr)).toBeGreaterThanOrEqual(20);
  });

  it.concurrent('freeze stalls a reader until its socket timeout; after drop a new reader plays', async () => {
    const cam = camera(3);
    const reader = ffmpeg([tools.rtspTimeoutFlag, '3000000', '-rtsp_transport', 'tcp', '-i', cam.urlWithCredentials('sub'), '-c', 'copy', '-f', 'null', '-'], 40_000);
    await new Promise((r) => setTimeout(r, 3000));
    cam.freeze();
    const frozenAt = Date.now();
    const stalled = await reader.exited;
    cam.unfreeze();
    expect(stalled.ms).toBeGreaterThan(3000); // it read until the freeze…
    // …and gave up on its own, well before the kill limit (ffmpeg 4.x takes ~3 × -stimeout here: ~9 s)
    expect(Date.now() - frozenAt).toBeLessThan(20_000);
    expect(framesRead(stalled.stderr)).toBeGreaterThan(10);

    const back = cam.drop(2);
    const refused = await rtspRequest(cam.port, ['OPTIONS rtsp://127.0.0.1/main RTSP/1.0', 'CSeq: 1']).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? 'closed',
    );
    expect(refused).toMatch(/ECONNRESET|closed/);
    await back;
    const after = await ffmpeg(['-rtsp_transport', 'tcp', '-i', cam.urlWithCredentials('main'), '-t', '2', '-c', 'copy', '-f', 'null', '-'], 20_000).exited;
    expect(after.code, after.stderr).toBe(0);
    expect(framesRead(after.stderr)).toBeGreaterThanOrEqual(20);
  });
});

describe('scenes and sessions', () => {
  let cacheDir: string;
  let tiny: CameraFarm | undefined;
  const tinyOptions = (dir: string) => ({
    scene: 'jump' as const, loopSeconds: 4, mainSize: { width: 320, height: 180 }, subSize: { width: 160, height: 90 },
    mainBitrateKbps: 300, subBitrateKbps: 100, auth: false, cacheDir: dir,
  });

  beforeAll(async () => {
    cacheDir = await mkdtemp(path.join(os.tmpdir(), 'wardwatch-scenes-'));
    tiny = await startCameraFarm(tinyOptions(cacheDir)); // an empty cache: this start encodes
  });
  afterAll(async () => {
    await tiny?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('encodes a scene once and reuses the cached file on the next start', async () => {
    const first = tiny!.scenes.get('jump')!;
    expect(first.reused).toBe(false);
    const mtime = (await stat(first.files.main)).mtimeMs;
    const again = await startCameraFarm(tinyOptions(cacheDir));
    await again.stop();
    const second = again.scenes.get('jump')!;
    expect(second.reused).toBe(true);
    expect(second.files.main).toBe(first.files.main);
    expect((await stat(second.files.main)).mtimeMs).toBe(mtime);
    expect((await readdir(cacheDir)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('drops a session that sends nothing for longer than the session timeout', async () => {
    const impatient = await startCameraFarm({ ...tinyOptions(cacheDir), sessionTimeoutSeconds: 1 });
    try {
      const socket = net.connect(impatient.cameras[0]!.port, '127.0.0.1');
      const closedAfter = await new Promise<number>((resolve) => {
        const opened = Date.now();
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Date.now() - opened));
      });
      expect(closedAfter).toBeGreaterThan(900);
      expect(closedAfter).toBeLessThan(3000);
    } finally {
      await impatient.stop();
    }
  });

  it('restart closes open sessions and answers new connections at once', async () => {
    const cam = tiny!.cameras[0]!;
    const socket = net.connect(cam.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise((r) => socket.once('close', r));
    socket.on('error', () => undefined);
    cam.restart();
    await closed;
    const answer = await rtspRequest(cam.port, [`OPTIONS ${cam.url('main')} RTSP/1.0`, 'CSeq: 7']);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('public')).toMatch(/DESCRIBE.*SETUP.*PLAY/);
  });

  it('restarts a feeder ffmpeg that dies, and the stream plays again', async () => {
    const feeder = tiny!.feeders.get('jump/sub')!;
    const pid = feeder.pid!;
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while ((feeder.runs < 2 || feeder.pid === pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(feeder.runs).toBe(2);
    const played = await ffmpeg(['-rtsp_transport', 'tcp', '-i', tiny!.cameras[0]!.url('sub'), '-t', '1', '-c', 'copy', '-f', 'null', '-'], 15_000).exited;
    expect(played.code, played.stderr).toBe(0);
    expect(framesRead(played.stderr)).toBeGreaterThanOrEqual(5);
  });

  it('jump scene: stream timestamps leap forward an hour at the loop wrap', async () => {
    const cam = tiny!.cameras[0]!;
    // read 8 s of packet times (the loop is 4 s, so a wrap falls inside even after ffprobe's start-up)
    const probe = spawn(tools.ffprobe.path, [
      '-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', cam.url('main'),
    ]);
    let stdout = '';
    probe.stdout.setEncoding('utf8');
    probe.stdout.on('data', (t: string) => (stdout += t));
    const exited = new Promise((r) => probe.once('exit', r));
    await new Promise((r) => setTimeout(r, 8000));
    probe.kill('SIGTERM'); // not SIGKILL: ffprobe flushes its buffered stdout on the way out
    await exited;
    const times = stdout.trim().split('\n').map(Number).filter(Number.isFinite);
    const steps = times.slice(1).map((t, i) => t - times[i]!);
    expect(times.length).toBeGreaterThan(20);
    const jumps = steps.filter((s) => s > 3590 && s < 3610);
    expect(jumps.length).toBeGreaterThanOrEqual(1); // one per 4 s wrap
    expect(jumps.length).toBeLessThanOrEqual(3);
    expect(steps.filter((s) => s <= 0 || (s > 1 && s < 3590))).toEqual([]);
  });
});
