// One camera's recorder: an ffmpeg that copies the main stream into segments, restarted on every exit with
// backoff, killed when it stalls. It reports closed segments and every stop, so no gap goes unrecorded.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { recorderArgs } from '../../shared/ffmpeg/args.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { resolveUrlHost } from '../../shared/ffmpeg/resolve.js';
import type { Logger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import { hourDir, resolveListedSegment, segmentPattern } from './paths.js';
import type { GapReason } from './store.js';

export type RecorderState = 'starting' | 'recording' | 'stalled' | 'offline' | 'stopped';

export interface ClosedSegment {
  camera: string;
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
}

export interface RecorderEvents {
  segment(seg: ClosedSegment): void;
  /** recording stopped at about `atMs` (ffmpeg exited, was killed, or the box stops); awaited before a restart */
  stopped(reason: GapReason, atMs: number): Promise<void> | void;
  state(state: RecorderState, detail: string): void;
}

export interface RecorderOptions {
  camera: string;
  /** main stream URL with credentials: handed to ffmpeg, never logged unredacted */
  url: string;
  root: string;
  segmentSeconds: number;
  tools: FfmpegTools;
  logger: Logger;
  events: RecorderEvents;
  /** RTSP socket timeout: a frozen camera makes ffmpeg exit after this long */
  socketTimeoutSeconds?: number;
  backoff?: Backoff;
  clock?: () => number;
}

const STDERR_KEEP = 4096;

/**
 * Why ffmpeg stopped. Its exit code says little (a vanished camera makes it exit 0, silently), so the facts are:
 * what it said last, whether the camera still answers RTSP, and how long ago the last segment closed.
 */
export function classifyExit(f: { stderr: string; reachable: boolean; recordedAnything: boolean; msSinceData: number }): GapReason {
  if (/No space left on device|ENOSPC/i.test(f.stderr)) return 'disk';
  if (!f.reachable || !f.recordedAnything) return 'offline';
  // ffmpeg reports progress twice a second: seconds of silence before it gave up mean the stream stalled
  if (f.msSinceData > 2500) return 'stalled';
  return 'restarted';
}

export class CameraRecorder {
  private child: ChildProcess | undefined;
  private state: RecorderState = 'stopped';
  private stopping = false;
  private killedForStall = false;
  private lastProgressMs = 0;
  private spawnedAtMs = 0;
  private segmentsThisRun = 0;
  /** when ffmpeg last reported more bytes written, and how many */
  private lastDataMs = 0;
  private lastTotalSize = -1;
  /** end of the last segment of this ffmpeg run: the next one starts there (file names have 1 s precision) */
  private lastEndThisRun: number | undefined;
  /** probe-free start; turned off for good when this camera's stream turns out to need probing */
  private fastStart = true;
  private stderrTail = '';
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** the service's handling of the last stop (indexing the last segment, the gap): stop() waits for it */
  private afterStop: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  private readonly clock: () => number;

  constructor(private readonly o: RecorderOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.clock = o.clock ?? Date.now;
  }

  get currentState(): RecorderState {
    return this.state;
  }

  start(): void {
    this.stopping = false;
    this.setState('starting', 'starting ffmpeg');
    void this.spawnOnce();
    this.watchdog = setInterval(() => this.checkStall(), 1000);
  }

  /**
   * Stops ffmpeg gracefully (it closes the open segment), or kills it after 5 s. Always waits until the last
   * listed segment is indexed: under systemd the whole group gets SIGTERM, so ffmpeg may have exited already.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdog);
    const child = this.child;
    let timer: NodeJS.Timeout | undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    }
    await this.exited;
    await this.afterStop;
    clearTimeout(timer);
    this.setState('stopped', 'shutdown');
  }

  /** Kills ffmpeg at once (tests of crash recovery use SIGKILL from outside instead). */
  pid(): number | undefined {
    return this.child?.pid;
  }

  private setState(state: RecorderState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.o.events.state(state, detail);
  }

  private ensureDirs(): void {
    const now = this.clock();
    for (const t of [now, now + this.o.segmentSeconds * 3000]) mkdirSync(hourDir(this.o.root, this.o.camera, t), { recursive: true });
  }

  private async spawnOnce(): Promise<void> {
    let url: string;
    try {
      url = await resolveUrlHost(this.o.url);
    } catch (err) {
      this.o.logger.warn({ camera: this.o.camera, err: (err as Error).message }, 'cannot resolve the camera address');
      this.afterExit('offline');
      return;
    }
    if (this.stopping) return;
    this.ensureDirs();
    const args = recorderArgs(this.o.tools, {
      url,
      timeoutSeconds: this.o.socketTimeoutSeconds ?? 5,
      segmentSeconds: this.o.segmentSeconds,
      pattern: segmentPattern(this.o.root, this.o.camera),
      fastStart: this.fastStart,
    });
    this.spawnedAtMs = this.lastProgressMs = this.clock();
    this.segmentsThisRun = 0;
    this.lastDataMs = this.spawnedAtMs;
    this.lastTotalSize = -1;
    this.lastEndThisRun = undefined;
    this.stderrTail = '';
    this.killedForStall = false;
    const child = spawn(this.o.tools.ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    this.child = child;
    let pending = Promise.resolve();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // segments are indexed in order, one at a time
      pending = pending.then(() => this.onListedSegment(line));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.onStderrLine(line));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        void pending.then(() => this.onClose(code, signal)).then(resolve);
      });
    });
    child.on('error', (err) => this.o.logger.error({ camera: this.o.camera, err: err.message }, 'cannot start ffmpeg'));
  }

  private async onListedSegment(line: string): Promise<void> {
    const [name, start, end] = line.split(',');
    const durationMs = Math.round((Number(end) - Number(start)) * 1000);
    if (!name || !Number.isFinite(durationMs) || durationMs <= 0) return;
    const resolved = resolveListedSegment(this.o.root, this.o.camera, name, this.clock(), durationMs);
    if (!resolved) return;
    let bytes: number;
    try {
      bytes = (await stat(resolved.path)).size;
    } catch {
      this.o.logger.warn({ camera: this.o.camera, path: resolved.path }, 'listed segment not found on disk');
      return;
    }
    this.lastProgressMs = this.clock();
    this.segmentsThisRun++;
    // chained on the stream's own clock while it agrees with the file name (which is truncated to the second)
    const chained = this.lastEndThisRun;
    const startMs = chained !== undefined && chained >= resolved.startMs - 1000 && chained <= resolved.startMs + 2000 ? chained : resolved.startMs;
    this.lastEndThisRun = startMs + durationMs;
    this.o.events.segment({ camera: this.o.camera, path: resolved.path, startMs, endMs: startMs + durationMs, bytes });
    if (this.state !== 'recording') this.setState('recording', 'segments are being written');
    this.ensureDirs();
  }

  /** `-progress` lines (key=value) say whether data still flows; anything else is ffmpeg talking. */
  private onStderrLine(line: string): void {
    const eq = line.indexOf('=');
    if (eq > 0 && /^[a-z_]+$/.test(line.slice(0, eq))) {
      if (line.startsWith('total_size=')) {
        const size = Number(line.slice(11));
        if (size > this.lastTotalSize) {
          this.lastTotalSize = size;
          this.lastDataMs = this.clock();
        }
      }
      return;
    }
    this.stderrTail = (this.stderrTail + line + '\n').slice(-STDERR_KEEP);
  }

  private checkStall(): void {
    const child = this.child;
    if (!child || child.exitCode !== null || this.stopping) return;
    // no segment growth for 3× the segment time (or no segment at all after a start)
    if (this.clock() - Math.max(this.lastDataMs, this.lastProgressMs) > this.o.segmentSeconds * 3000) {
      this.killedForStall = true;
      this.setState('stalled', `no segment for ${this.o.segmentSeconds * 3} s`);
      child.kill('SIGKILL');
    }
  }

  private async onClose(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.child = undefined;
    const lastLine = this.stderrTail.trim().split('\n').slice(-1)[0] ?? '';
    if (this.fastStart && this.segmentsThisRun === 0 && /dimensions not set|Could not find codec parameters|unspecified (size|pixel format)/i.test(this.stderrTail)) {
      this.fastStart = false;
      this.o.logger.info({ camera: this.o.camera }, 'stream parameters are not in its SDP: probing the stream at each start');
    }
    let reason: GapReason;
    if (this.stopping) reason = 'shutdown';
    else if (this.killedForStall) reason = 'stalled';
    else {
      reason = classifyExit({
        stderr: this.stderrTail,
        reachable: await rtspReachable(this.o.url, 2000),
        recordedAnything: this.segmentsThisRun > 0 || this.lastTotalSize > 0,
        msSinceData: this.clock() - this.lastDataMs,
      });
    }
    if (!this.stopping) this.o.logger.debug({ camera: this.o.camera, code, signal, reason, stderr: lastLine }, 'ffmpeg exited');
    this.afterExit(reason, lastLine);
  }

  private afterExit(reason: GapReason, detail = ''): void {
    const settled = Promise.resolve(this.o.events.stopped(reason, this.clock())).catch((err: unknown) => {
      this.o.logger.error({ camera: this.o.camera, err: (err as Error).message }, 'after-stop handling failed');
    });
    this.afterStop = settled;
    if (this.stopping) return;
    if (reason !== 'stalled') this.setState('offline', detail || reason);
    const delay = this.backoff.next(this.clock() - this.spawnedAtMs);
    void settled.then(() => {
      if (this.stopping) return;
      if (reason === 'offline') void this.waitForCamera(delay);
      else this.restartTimer = setTimeout(() => void this.spawnOnce(), delay);
    });
  }

  /**
   * An offline camera is watched with a cheap RTSP OPTIONS request (every 0.5 s in the first minute, when most
   * outages end, then every 2 s) instead of an ffmpeg start (which costs
   * ~50 ms of CPU): the moment its port answers again, recording restarts, so the gap ends when the outage does.
   * While the port answers but ffmpeg still fails (a wrong password, a broken stream), the backoff applies.
   */
  private async waitForCamera(backoffMs: number): Promise<void> {
    const started = this.clock();
    let sawItDown = false;
    while (!this.stopping) {
      const up = await rtspReachable(this.o.url, 1000);
      if (this.stopping) return;
      if (up && (sawItDown || this.clock() - started >= backoffMs)) {
        if (sawItDown) this.backoff.reset();
        void this.spawnOnce();
        return;
      }
      if (!up) sawItDown = true;
      await new Promise<void>((resolve) => {
        const elapsed = this.clock() - started;
        const every = elapsed < 60_000 ? 500 : 2000;
        this.restartTimer = setTimeout(resolve, elapsed < backoffMs ? Math.min(every, backoffMs - elapsed) : every);
      });
    }
  }
}

/**
 * Does the camera answer RTSP? An OPTIONS request needs no login, and any RTSP reply (even 401) means the
 * camera is up; a connection that is refused, reset or silent means it is not. (Host names are resolved by Node.)
 */
export function rtspReachable(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === 'rtsps:' ? 322 : 554);
  const target = `${u.protocol}//${u.host}${u.pathname}`;
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write(`OPTIONS ${target} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: wardwatch\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.length >= 8) done(reply.startsWith('RTSP/'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
