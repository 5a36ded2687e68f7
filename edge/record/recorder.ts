// One camera's recorder: an ffmpeg that copies the main stream into segments, restarted on every exit with
// backoff, killed when it stalls (shared/ffmpeg/supervisor.ts runs that loop). It reports closed segments and every
// stop, so no gap goes unrecorded.
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { recorderArgs } from '../../shared/ffmpeg/args.js';
import type { FfmpegInstance } from '../../shared/ffmpeg/instance.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { resolveUrlHost } from '../../shared/ffmpeg/resolve.js';
import { FfmpegSupervisor, type AfterRun, type RunEnd, type RunPlan } from '../../shared/ffmpeg/supervisor.js';
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
  private readonly camera: string;
  /** main stream URL with credentials: handed to ffmpeg, never logged unredacted */
  private readonly url: string;
  private readonly root: string;
  private readonly segmentSeconds: number;
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly events: RecorderEvents;
  private readonly socketTimeoutSeconds: number;
  private readonly backoff: Backoff;
  private readonly clock: () => number;
  private readonly supervisor: FfmpegSupervisor;
  private state: RecorderState = 'stopped';
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
  /** this run's listed segments, indexed in order, one at a time */
  private indexing: Promise<void> = Promise.resolve();
  /** the service's handling of the last stop (indexing the last segment, the gap): stop() waits for it */
  private afterStop: Promise<void> = Promise.resolve();

  constructor({ camera, url, root, segmentSeconds, tools, logger, events, socketTimeoutSeconds = 5, backoff, clock }: RecorderOptions) {
    this.camera = camera;
    this.url = url;
    this.root = root;
    this.segmentSeconds = segmentSeconds;
    this.tools = tools;
    this.logger = logger;
    this.events = events;
    this.socketTimeoutSeconds = socketTimeoutSeconds;
    this.backoff = backoff ?? new Backoff();
    this.clock = clock ?? Date.now;
    this.supervisor = new FfmpegSupervisor({
      ffmpegPath: tools.ffmpeg.path,
      prepare: () => this.prepareRun(),
      onRun: (run) => this.onRun(run),
      onStderrLine: (line) => this.onStderrLine(line),
      onEnd: (end) => this.onEnd(end),
      policy: this.backoff,
      tailChars: STDERR_KEEP,
      // no segment growth for 3× the segment time (or no segment at all after a start)
      stall: { afterMs: segmentSeconds * 3000, onStall: () => this.setState('stalled', `no segment for ${segmentSeconds * 3} s`) },
      clock: this.clock,
      logger,
    });
  }

  get currentState(): RecorderState {
    return this.state;
  }

  start(): void {
    this.setState('starting', 'starting ffmpeg');
    this.supervisor.start();
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
    await this.supervisor.stop({ signal: 'SIGINT', killAfterMs: 5000 });
    await this.afterStop;
    this.setState('stopped', 'shutdown');
  }

  /** ffmpeg's pid, while it runs (tests of crash recovery kill it from outside). */
  pid(): number | undefined {
    return this.supervisor.pid;
  }

  private setState(state: RecorderState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.events.state(state, detail);
  }

  private ensureDirs(): void {
    const now = this.clock();
    for (const t of [now, now + this.segmentSeconds * 3000]) mkdirSync(hourDir(this.root, this.camera, t), { recursive: true });
  }

  /** Before each run: the camera's address (a failure ends the run unstarted: see onEnd), folders, this run's state. */
  private async prepareRun(): Promise<RunPlan> {
    const url = await resolveUrlHost(this.url);
    if (this.supervisor.stopping) return undefined;
    this.ensureDirs();
    const args = recorderArgs(this.tools, {
      url,
      timeoutSeconds: this.socketTimeoutSeconds,
      segmentSeconds: this.segmentSeconds,
      pattern: segmentPattern(this.root, this.camera),
      fastStart: this.fastStart,
    });
    this.segmentsThisRun = 0;
    this.lastDataMs = this.clock();
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
    this.indexing = Promise.resolve();
    return { args, env: { ...process.env, TZ: 'UTC' } };
  }

  private onRun(run: FfmpegInstance): void {
    createInterface({ input: run.stdout }).on('line', (line) => {
      // segments are indexed in order, one at a time
      this.indexing = this.indexing.then(() => this.onListedSegment(line));
    });
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
    const resolved = resolveListedSegment(this.root, this.camera, name, now, endStreamMs - startStreamMs);
    if (!resolved) return;
    let bytes: number;
    try {
      bytes = (await stat(resolved.path)).size;
    } catch {
      this.logger.warn({ camera: this.camera, path: resolved.path }, 'listed segment not found on disk');
      return;
    }
    this.supervisor.alive();
    const firstOfRun = this.segmentsThisRun++ === 0;
    const startMs = chained ?? mapped ?? resolved.startMs;
    const endMs = startMs + Math.round(endStreamMs - startStreamMs);
    this.lastEndThisRun = { streamMs: endStreamMs, wallMs: endMs };
    this.indexedOffsetMs ??= startMs - startStreamMs;
    this.runRows.push({ path: resolved.path, startStreamMs, endStreamMs, firstOfRun });
    if (this.runRows.length > RUN_ROWS) this.runRows.shift();
    this.events.segment({ camera: this.camera, path: resolved.path, startMs, endMs, bytes, firstOfRun });
    if (this.state !== 'recording') this.setState('recording', 'segments are being written');
    this.ensureDirs();
  }

  /** `-progress` lines (key=value) say whether data still flows (true: taken); anything else is ffmpeg talking. */
  private onStderrLine(line: string): boolean {
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
          this.supervisor.alive();
        }
      }
      return true;
    }
    return false;
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
      this.events.runStarted(this.streamClock.toWall(0)!);
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
      this.events.retimed(rows, this.runRows[0]!.firstOfRun);
      this.indexedOffsetMs = offset;
      if (this.lastEndThisRun) this.lastEndThisRun = { ...this.lastEndThisRun, wallMs: this.lastEndThisRun.wallMs + moved };
    } else {
      this.events.runStarted(Math.round(offset));
    }
    this.reportedStartMs = offset;
  }

  /** Where the segment being written began: after the last listed one, or at the run's first frame. */
  private openSegmentStart(): number | undefined {
    return this.lastEndThisRun?.wallMs ?? this.streamClock.toWall(0);
  }

  /** A run ended (or could not start): why, told to the service (a gap), and how to go on. */
  private async onEnd(end: RunEnd): Promise<AfterRun> {
    if (!end.started) {
      this.logger.warn({ camera: this.camera, err: end.error?.message }, 'cannot resolve the camera address');
      return this.afterExit('offline');
    }
    if (end.error) this.logger.error({ camera: this.camera, err: end.error.message }, 'cannot start ffmpeg');
    this.markClockReady(); // listed segments waiting for the clock take what there is
    await this.indexing;
    const { code, signal, stderr, lastLine } = end;
    const stopping = this.supervisor.stopping;
    if (this.fastStart && this.segmentsThisRun === 0 && /dimensions not set|Could not find codec parameters|unspecified (size|pixel format)/i.test(stderr)) {
      this.fastStart = false;
      this.logger.info({ camera: this.camera }, 'stream parameters are not in its SDP: probing the stream at each start');
    }
    // ffmpeg that exits on a signal (255) may have got the box's SIGTERM before the box did: wait for the box to say
    if (!stopping && !this.shuttingDown && (code === 255 || signal === 'SIGTERM' || signal === 'SIGINT')) await new Promise((r) => setTimeout(r, 300));
    let reason: GapReason;
    if (this.supervisor.stopping || this.shuttingDown) reason = 'shutdown';
    else if (end.endedBy === 'stall') reason = 'stalled';
    else {
      reason = classifyExit({
        stderr,
        reachable: await rtspReachable(this.url, 2000),
        recordedAnything: this.segmentsThisRun > 0 || this.lastTotalSize > 0,
        msSinceData: this.clock() - this.lastDataMs,
      });
    }
    if (!this.supervisor.stopping) this.logger.debug({ camera: this.camera, code, signal, reason, stderr: lastLine }, 'ffmpeg exited');
    return this.afterExit(reason, lastLine, this.openSegmentStart());
  }

  private afterExit(reason: GapReason, detail = '', openSegmentStartMs?: number): AfterRun {
    const settled = Promise.resolve(this.events.stopped(reason, openSegmentStartMs)).catch((err: unknown) => {
      this.logger.error({ camera: this.camera, err: (err as Error).message }, 'after-stop handling failed');
    });
    this.afterStop = settled;
    if (this.supervisor.stopping || this.shuttingDown) return 'idle';
    if (reason !== 'stalled') this.setState('offline', detail || reason);
    return {
      restartWhen: async (delay) => {
        await settled;
        if (this.supervisor.stopping) return false;
        if (reason === 'offline') return this.waitForCamera(delay);
        await this.supervisor.sleep(delay);
        return !this.supervisor.stopping;
      },
    };
  }

  /**
   * An offline camera is watched with a cheap RTSP OPTIONS request (every 0.5 s in the first minute, when most
   * outages end, then every 2 s) instead of an ffmpeg start (which costs
   * ~50 ms of CPU): the moment its port answers again, recording restarts, so the gap ends when the outage does.
   * While the port answers but ffmpeg still fails (a wrong password, a broken stream), the backoff applies.
   * True: start ffmpeg now; false: the recorder stopped meanwhile.
   */
  private async waitForCamera(backoffMs: number): Promise<boolean> {
    const started = this.clock();
    let sawItDown = false;
    while (!this.supervisor.stopping) {
      const up = await rtspReachable(this.url, 1000);
      if (this.supervisor.stopping) return false;
      if (up && (sawItDown || this.clock() - started >= backoffMs)) {
        if (sawItDown) this.backoff.reset();
        return true;
      }
      if (!up) sawItDown = true;
      const elapsed = this.clock() - started;
      const every = elapsed < 60_000 ? 500 : 2000;
      await this.supervisor.sleep(elapsed < backoffMs ? Math.min(every, backoffMs - elapsed) : every);
    }
    return false;
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
