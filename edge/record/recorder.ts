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
import { StreamClock } from '../stream-clock.js';
import { hourDir, resolveListedSegment, segmentPattern } from './paths.js';
import type { GapReason } from './store.js';

export type RecorderState = 'starting' | 'recording' | 'stalled' | 'offline' | 'stopped';

export interface ClosedSegment {
  camera: string;
  path: string;
  startMs: number;
  endMs: number;
  bytes: number;
  /** the first segment of an ffmpeg run: it starts where the gap before it ended */
  firstOfRun: boolean;
}

export interface RecorderEvents {
  segment(seg: ClosedSegment): void;
  /** this run's first frame was taken at `firstFrameMs` (box clock): the gap before it ends there */
  runStarted(firstFrameMs: number): void;
  /**
   * The run's clock found a faster arrival: its segments so far were indexed late (a box starting up reads
   * ffmpeg's reports late). Their times, all moved by the same amount; the first of the run first.
   */
  retimed(rows: readonly { path: string; startMs: number; endMs: number }[], firstOfRun: boolean): void;
  /**
   * Recording stopped (ffmpeg exited, was killed, or the box stops); awaited before a restart. `openSegmentStartMs`:
   * where the segment ffmpeg was writing began (it was not listed; a kill leaves it on disk).
   */
  stopped(reason: GapReason, openSegmentStartMs: number | undefined): Promise<void> | void;
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
/** a run's rows kept for retiming (a mapping improves in a run's first seconds, not hours later) */
const RUN_ROWS = 50;
/** the clock must have moved back this much (ms) before a run's rows are retimed */
const RETIME_MS = 15;

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
  /** this run's stream times on the box's clock (from `-progress` reports: stream time and when it came) */
  private streamClock = new StreamClock();
  private runStartReported = false;
  /** `frame=` of the report being read, and the first report's frames and stream time: the frame interval */
  private framesWritten = NaN;
  /** newer builds print out_time_us and out_time_ms (both microseconds): one is enough */
  private outTimeKey: 'out_time_us=' | 'out_time_ms=' | undefined;
  /** resolved once the stream clock can map (two reports and the frame interval), or when ffmpeg has gone */
  private clockReady: Promise<void> = Promise.resolve();
  private markClockReady: () => void = () => undefined;
  private firstReport: { frames: number; streamMs: number } | undefined;
  /** end of the last listed segment of this run, in stream and box time: the next one starts there */
  private lastEndThisRun: { streamMs: number; wallMs: number } | undefined;
  /** this run's indexed segments (the latest RUN_ROWS), and the box time of stream time 0 they were indexed with */
  private runRows: { path: string; startStreamMs: number; endStreamMs: number; firstOfRun: boolean }[] = [];
  private indexedOffsetMs: number | undefined;
  /** the run's first frame time last said (runStarted) */
  private reportedStartMs: number | undefined;
  /** the box is shutting down: an ffmpeg that exits now (the signal reached its group too) is not a crash */
  private shuttingDown = false;
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

  /** The box is about to stop: what ffmpeg does from now on (it may get the same SIGTERM) is the shutdown. */
  beginShutdown(): void {
    this.shuttingDown = true;
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
    this.runRows = [];
    this.indexedOffsetMs = undefined;
    this.reportedStartMs = undefined;
    this.streamClock = new StreamClock();
    this.runStartReported = false;
    this.firstReport = undefined;
    this.outTimeKey = undefined;
    this.clockReady = new Promise((resolve) => (this.markClockReady = resolve));
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
        this.markClockReady(); // listed segments waiting for the clock take what there is
        void pending.then(() => this.onClose(code, signal)).then(resolve);
      });
    });
    child.on('error', (err) => this.o.logger.error({ camera: this.o.camera, err: err.message }, 'cannot start ffmpeg'));
  }

  private async onListedSegment(line: string): Promise<void> {
    // the camera's cached GOP makes the first segment close before ffmpeg's first progress report: wait for the
    // clock (about a second), or a first segment would be indexed by its file name, up to 2 s off
    await this.clockReady;
    const [name, start, end] = line.split(',');
    const startStreamMs = Number(start) * 1000;
    const endStreamMs = Number(end) * 1000;
    if (!name || !Number.isFinite(startStreamMs) || !(endStreamMs > startStreamMs)) return;
    // the segment's own frames say when it was: its first frame's stream time on the box's clock; one that
    // follows the last listed segment of this run starts exactly where that one ended
    const chained = this.lastEndThisRun && Math.abs(this.lastEndThisRun.streamMs - startStreamMs) < 1 ? this.lastEndThisRun.wallMs : undefined;
    this.retimeIfFaster();
    const mapped = this.streamClock.toWall(startStreamMs);
    const now = this.clock();
    const resolved = resolveListedSegment(this.o.root, this.o.camera, name, now, endStreamMs - startStreamMs);
    if (!resolved) return;
    let bytes: number;
    try {
      bytes = (await stat(resolved.path)).size;
    } catch {
      this.o.logger.warn({ camera: this.o.camera, path: resolved.path }, 'listed segment not found on disk');
      return;
    }
    this.lastProgressMs = now;
    const firstOfRun = this.segmentsThisRun++ === 0;
    const startMs = chained ?? mapped ?? resolved.startMs;
    const endMs = startMs + Math.round(endStreamMs - startStreamMs);
    this.lastEndThisRun = { streamMs: endStreamMs, wallMs: endMs };
    this.indexedOffsetMs ??= startMs - startStreamMs;
    this.runRows.push({ path: resolved.path, startStreamMs, endStreamMs, firstOfRun });
    if (this.runRows.length > RUN_ROWS) this.runRows.shift();
    this.o.events.segment({ camera: this.o.camera, path: resolved.path, startMs, endMs, bytes, firstOfRun });
    if (this.state !== 'recording') this.setState('recording', 'segments are being written');
    this.ensureDirs();
  }

  /** `-progress` lines (key=value) say whether data still flows; anything else is ffmpeg talking. */
  private onStderrLine(line: string): void {
    const eq = line.indexOf('=');
    if (eq > 0 && /^[a-z_]+$/.test(line.slice(0, eq))) {
      // out_time_us (out_time_ms in older builds, in microseconds too): the stream time written so far
      if (line.startsWith('out_time_us=') || line.startsWith('out_time_ms=')) {
        this.outTimeKey ??= line.startsWith('out_time_us=') ? 'out_time_us=' : 'out_time_ms=';
        if (line.startsWith(this.outTimeKey)) this.onStreamTime(Number(line.slice(12)) / 1000);
      }
      else if (line.startsWith('frame=')) this.framesWritten = Number(line.slice(6));
      else if (line.startsWith('total_size=')) {
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

  private onStreamTime(streamMs: number): void {
    if (!Number.isFinite(streamMs) || streamMs < 0) return;
    this.streamClock.observe(this.clock(), streamMs);
    // stream time over frames written, between two reports: the frame interval (see StreamClock)
    const frames = this.framesWritten;
    if (Number.isFinite(frames) && frames > 0) {
      if (!this.firstReport) this.firstReport = { frames, streamMs };
      else if (frames - this.firstReport.frames >= 5) this.streamClock.setFrameInterval((streamMs - this.firstReport.streamMs) / (frames - this.firstReport.frames));
    }
    // two reports in, the clock can map: listed segments may be indexed, and where this run began is said, so a
    // kill before its first segment is listed still leaves the gap's end on record
    if (!this.runStartReported && this.streamClock.samples >= 2 && this.streamClock.frameIntervalMs !== undefined) {
      this.markClockReady();
      this.runStartReported = true;
      this.o.events.runStarted(this.streamClock.toWall(0)!);
      this.reportedStartMs = this.streamClock.offsetMs;
    }
    this.retimeIfFaster();
  }

  /**
   * The clock maps stream time 0 earlier than it did when this run's segments were indexed: a faster arrival showed
   * that the reports it went by had been read late. The run's rows move back together (they stay contiguous), and
   * so does where the run began. A later mapping (a camera clock drifting) is not followed within a run: the rows
   * stay chained, so no hole opens between them.
   */
  private retimeIfFaster(): void {
    const offset = this.streamClock.offsetMs;
    if (offset === undefined || !this.runStartReported) return;
    const was = this.indexedOffsetMs ?? this.reportedStartMs;
    if (was === undefined || offset > was - RETIME_MS) return;
    const moved = Math.round(offset - was);
    if (this.runRows.length) {
      const rows = this.runRows.map((r) => ({ path: r.path, startMs: Math.round(offset + r.startStreamMs), endMs: Math.round(offset + r.endStreamMs) }));
      this.o.events.retimed(rows, this.runRows[0]!.firstOfRun);
      this.indexedOffsetMs = offset;
      if (this.lastEndThisRun) this.lastEndThisRun = { ...this.lastEndThisRun, wallMs: this.lastEndThisRun.wallMs + moved };
    } else {
      this.o.events.runStarted(Math.round(offset));
    }
    this.reportedStartMs = offset;
  }

  /** Where the segment being written began: after the last listed one, or at the run's first frame. */
  private openSegmentStart(): number | undefined {
    return this.lastEndThisRun?.wallMs ?? this.streamClock.toWall(0);
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
    // ffmpeg that exits on a signal (255) may have got the box's SIGTERM before the box did: wait for the box to say
    if (!this.stopping && !this.shuttingDown && (code === 255 || signal === 'SIGTERM' || signal === 'SIGINT')) await new Promise((r) => setTimeout(r, 300));
    let reason: GapReason;
    if (this.stopping || this.shuttingDown) reason = 'shutdown';
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
    this.afterExit(reason, lastLine, this.openSegmentStart());
  }

  private afterExit(reason: GapReason, detail = '', openSegmentStartMs?: number): void {
    const settled = Promise.resolve(this.o.events.stopped(reason, openSegmentStartMs)).catch((err: unknown) => {
      this.o.logger.error({ camera: this.o.camera, err: (err as Error).message }, 'after-stop handling failed');
    });
    this.afterStop = settled;
    if (this.stopping || this.shuttingDown) return;
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
