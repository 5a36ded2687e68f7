// One camera's frame source: an ffmpeg that decodes the sub stream to raw RGB frames, restarted on every exit
// with backoff, killed when it stalls; frames are filled from stdout chunks into pooled buffers.
import { spawn, type ChildProcess } from 'node:child_process';
import { frameReaderArgs } from '../../shared/ffmpeg/args.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { resolveUrlHost } from '../../shared/ffmpeg/resolve.js';
import type { Logger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import type { RgbFrame } from './detector.js';
import { FrameTimes, parseShowinfo } from './frame-times.js';

/** A decoded frame, stamped with the time it was taken (box clock; see frame-times.ts). Give `data` back to the pool when done. */
export interface Frame extends RgbFrame {
  camera: string;
  timestampMs: number;
  /** when its last byte reached us */
  arrivedMs: number;
  /** frame number since the source started (across ffmpeg restarts) */
  seq: number;
}

/**
 * Frame buffers of one size, reused: 32 cameras at 5 fps would otherwise allocate ~110 MB/s of
 * 640×360 frames for the garbage collector. A buffer that comes back from the detector worker is a
 * new view on the same (transferred) memory, so the pool takes views, not identities.
 */
export class FramePool {
  private readonly free: Uint8Array[] = [];
  /** buffers made so far (a growing number means frames are not given back) */
  allocated = 0;

  constructor(
    readonly frameBytes: number,
    private readonly keep = 4,
  ) {}

  take(): Uint8Array {
    const buf = this.free.pop();
    if (buf !== undefined) return buf;
    this.allocated++;
    // its own ArrayBuffer (never a slice of Node's shared pool), so it can be transferred to a worker
    return new Uint8Array(new ArrayBuffer(this.frameBytes));
  }

  give(buf: Uint8Array): void {
    if (buf.byteLength !== this.frameBytes || buf.byteOffset !== 0 || buf.buffer.byteLength !== this.frameBytes) return;
    if (this.free.length < this.keep) this.free.push(buf);
  }

  get available(): number {
    return this.free.length;
  }
}

/** frames waiting for their time: more than this before any time came means ffmpeg is not printing times */
const PAIRING_SLACK = 16;
/** once times do come, frames wait for theirs up to this many */
const PAIRING_LIMIT = 32;

export type FrameSourceState = 'starting' | 'running' | 'stalled' | 'offline' | 'stopped';

export interface FrameSourceOptions {
  camera: string;
  /** sub stream URL with credentials: handed to ffmpeg only */
  url: string;
  fps: number;
  width: number;
  height: number;
  tools: FfmpegTools;
  logger: Logger;
  /** called for every whole frame; the receiver owns `frame.data` and gives it back to `pool` */
  onFrame: (frame: Frame) => void;
  /** ffmpeg was (re)started: the picture may have jumped (motion backgrounds reset) */
  onRestart?: () => void;
  onState?: (state: FrameSourceState, detail: string) => void;
  pool?: FramePool;
  /** RTSP socket timeout handed to ffmpeg */
  socketTimeoutSeconds?: number;
  /** no frame for this long → ffmpeg is killed and restarted; default max(10 s, 10 frame intervals) */
  stallMs?: number;
  backoff?: Backoff;
  clock?: () => number;
}

export class FrameSource {
  readonly pool: FramePool;
  private child: ChildProcess | undefined;
  private state: FrameSourceState = 'stopped';
  private stopping = true;
  private current: Uint8Array | undefined;
  private filled = 0;
  private seq = 0;
  private spawnedAtMs = 0;
  private lastFrameMs = 0;
  private stderrTail = '';
  private stderrLine = '';
  /** this run's frame times: the pts `showinfo` printed and the frames that came, paired in order */
  private times: FrameTimes<Uint8Array> | undefined;
  private timeBaseMs = 0;
  private pts: number[] = [];
  private untimed: { data: Uint8Array; arrivedMs: number }[] = [];
  private warnedUntimed = false;
  private sawTimes = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly backoff: Backoff;
  private readonly clock: () => number;
  private readonly frameBytes: number;
  private readonly stallMs: number;
  /** frames and restarts since start, for status; stale: old frames a (re)connect brought, not fed on */
  frames = 0;
  restarts = 0;
  stale = 0;

  constructor(private readonly o: FrameSourceOptions) {
    this.frameBytes = o.width * o.height * 3;
    this.pool = o.pool ?? new FramePool(this.frameBytes);
    if (this.pool.frameBytes !== this.frameBytes) throw new RangeError(`frame pool holds ${this.pool.frameBytes}-byte frames, camera ${o.camera} needs ${this.frameBytes}`);
    this.backoff = o.backoff ?? new Backoff();
    this.clock = o.clock ?? Date.now;
    this.stallMs = o.stallMs ?? Math.max(10_000, 10_000 / o.fps);
  }

  get currentState(): FrameSourceState {
    return this.state;
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.setState('starting', 'starting ffmpeg');
    void this.spawnOnce();
    this.watchdog = setInterval(() => this.checkStall(), 1000);
  }

  /** Kills ffmpeg (a decoder has nothing to flush) and waits for it to go. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.watchdog);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await this.exited;
    this.setState('stopped', 'shutdown');
  }

  private setState(state: FrameSourceState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.o.onState?.(state, detail);
  }

  private async spawnOnce(): Promise<void> {
    let url: string;
    try {
      url = await resolveUrlHost(this.o.url);
    } catch (err) {
      this.o.logger.warn({ camera: this.o.camera, err: (err as Error).message }, 'cannot resolve the camera address');
      this.scheduleRestart('cannot resolve the camera address');
      return;
    }
    if (this.stopping) return;
    const args = frameReaderArgs(this.o.tools, {
      url,
      timeoutSeconds: this.o.socketTimeoutSeconds ?? 5,
      fps: this.o.fps,
      width: this.o.width,
      height: this.o.height,
    });
    this.spawnedAtMs = this.lastFrameMs = this.clock();
    this.stderrTail = '';
    this.stderrLine = '';
    this.filled = 0;
    this.times = undefined;
    this.timeBaseMs = 0;
    this.pts = [];
    const child = spawn(this.o.tools.ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.o.onRestart?.();
    child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.onStderr(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.onClose(code, signal);
        resolve();
      });
    });
    child.on('error', (err) => this.o.logger.error({ camera: this.o.camera, err: err.message }, 'cannot start ffmpeg for detection'));
  }

  /** Copies stdout chunks into the frame being filled (one memcpy per chunk part, never per pixel). */
  private onData(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current === undefined) {
        this.current = this.pool.take();
        this.filled = 0;
      }
      const n = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      this.current.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.frameBytes) {
        const data = this.current;
        this.current = undefined;
        this.filled = 0;
        const now = this.clock();
        this.lastFrameMs = now;
        this.frames++;
        if (this.state !== 'running') {
          this.backoff.reset();
          this.setState('running', 'frames are arriving');
        }
        this.untimed.push({ data, arrivedMs: now });
        this.pairFrames();
      }
    }
  }

  /** `showinfo` lines carry the frames' times; anything else is ffmpeg talking (kept for the exit's reason). */
  private onStderr(text: string): void {
    const lines = (this.stderrLine + text).split('\n');
    this.stderrLine = lines.pop() ?? '';
    for (const line of lines) {
      const info = parseShowinfo(line);
      if (info?.kind === 'config') {
        this.timeBaseMs = info.timeBase * 1000;
        this.times ??= new FrameTimes(info.frameIntervalMs);
      } else if (info?.kind === 'frame') {
        this.sawTimes = true;
        if (this.timeBaseMs) this.pts.push(info.pts * this.timeBaseMs);
        if (this.pts.length > PAIRING_LIMIT) this.pts.shift();
      } else if (line.trim()) {
        this.stderrTail = (this.stderrTail + line + '\n').slice(-2048);
      }
    }
    this.pairFrames();
  }

  /** Frames and their times come on two pipes: pair them in order, then let FrameTimes say which are live. */
  private pairFrames(): void {
    while (this.untimed.length && this.pts.length) {
      const frame = this.untimed.shift()!;
      this.times ??= new FrameTimes();
      const { keep, drop } = this.times.accept({ item: frame.data, arrivedMs: frame.arrivedMs, streamMs: this.pts.shift()! });
      for (const data of drop) this.pool.give(data);
      this.stale += drop.length;
      for (const k of keep) this.emit(k.item, k.takenMs, frame.arrivedMs);
    }
    // an ffmpeg that prints no frame times (another build, another log format) must not pile frames up
    while (this.untimed.length > (this.sawTimes ? PAIRING_LIMIT : PAIRING_SLACK)) {
      const frame = this.untimed.shift()!;
      if (this.sawTimes) {
        this.pool.give(frame.data); // times come, just slowly: this one is lost
        this.stale++;
        continue;
      }
      if (!this.warnedUntimed) {
        this.warnedUntimed = true;
        this.o.logger.warn({ camera: this.o.camera }, 'ffmpeg prints no frame times: frames are stamped when they arrive');
      }
      this.emit(frame.data, frame.arrivedMs, frame.arrivedMs);
    }
  }

  private emit(data: Uint8Array, takenMs: number, arrivedMs: number): void {
    this.o.onFrame({ camera: this.o.camera, data, width: this.o.width, height: this.o.height, timestampMs: takenMs, arrivedMs, seq: this.seq++ });
  }

  private checkStall(): void {
    const child = this.child;
    if (!child || child.exitCode !== null || this.stopping) return;
    if (this.clock() - this.lastFrameMs > this.stallMs) {
      this.setState('stalled', `no frame for ${Math.round(this.stallMs / 1000)} s`);
      child.kill('SIGKILL');
    }
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    this.child = undefined;
    // a partly filled frame is the start of a picture that will never finish; frames never shown live are not fed
    this.filled = 0;
    for (const data of [...this.untimed.map((f) => f.data), ...(this.times?.release() ?? [])]) this.pool.give(data);
    this.untimed = [];
    if (this.stopping) return;
    const lastLine = this.stderrTail.trim().split('\n').slice(-1)[0] ?? '';
    this.o.logger.debug({ camera: this.o.camera, code, signal, stderr: lastLine }, 'detect ffmpeg exited');
    this.scheduleRestart(lastLine || `ffmpeg exited (${signal ?? code})`);
  }

  /** Restart on every exit: a camera that vanishes makes ffmpeg exit 0, silently. */
  private scheduleRestart(detail: string): void {
    if (this.stopping) return;
    if (this.state !== 'stalled') this.setState('offline', detail);
    const delay = this.backoff.next(this.clock() - this.spawnedAtMs);
    this.restarts++;
    this.restartTimer = setTimeout(() => void this.spawnOnce(), delay);
  }
}
