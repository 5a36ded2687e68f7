// One camera's frame source: an ffmpeg that decodes the sub stream to raw RGB frames, restarted on every exit
// with backoff, killed when it stalls (shared/ffmpeg/supervisor.ts runs that loop); frames are filled from stdout
// chunks into pooled buffers and paired with the times ffmpeg prints.
import { frameReaderArgs } from '../../shared/ffmpeg/args.js';
import type { FfmpegInstance } from '../../shared/ffmpeg/instance.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { resolveUrlHost } from '../../shared/ffmpeg/resolve.js';
import { FfmpegSupervisor, type AfterRun, type RunEnd, type RunPlan } from '../../shared/ffmpeg/supervisor.js';
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
  private readonly camera: string;
  /** sub stream URL with credentials: handed to ffmpeg only */
  private readonly url: string;
  private readonly fps: number;
  private readonly width: number;
  private readonly height: number;
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onRestart: (() => void) | undefined;
  private readonly onState: ((state: FrameSourceState, detail: string) => void) | undefined;
  private readonly socketTimeoutSeconds: number;
  private readonly backoff: Backoff;
  private readonly clock: () => number;
  private readonly frameBytes: number;
  private readonly stallMs: number;
  private readonly supervisor: FfmpegSupervisor;
  private state: FrameSourceState = 'stopped';
  private stopping = true;
  private current: Uint8Array | undefined;
  private filled = 0;
  private seq = 0;
  /** this run's frame times: the pts `showinfo` printed and the frames that came, paired in order */
  private times: FrameTimes<Uint8Array> | undefined;
  private timeBaseMs = 0;
  private pts: number[] = [];
  private untimed: { data: Uint8Array; arrivedMs: number }[] = [];
  private warnedUntimed = false;
  private sawTimes = false;
  /** frames and restarts since start, for status; stale: old frames a (re)connect brought, not fed on */
  frames = 0;
  restarts = 0;
  stale = 0;

  constructor({ camera, url, fps, width, height, tools, logger, onFrame, onRestart, onState, pool, socketTimeoutSeconds = 5, stallMs, backoff, clock }: FrameSourceOptions) {
    this.camera = camera;
    this.url = url;
    this.fps = fps;
    this.width = width;
    this.height = height;
    this.tools = tools;
    this.logger = logger;
    this.onFrame = onFrame;
    this.onRestart = onRestart;
    this.onState = onState;
    this.socketTimeoutSeconds = socketTimeoutSeconds;
    this.frameBytes = width * height * 3;
    this.pool = pool ?? new FramePool(this.frameBytes);
    if (this.pool.frameBytes !== this.frameBytes) throw new RangeError(`frame pool holds ${this.pool.frameBytes}-byte frames, camera ${camera} needs ${this.frameBytes}`);
    this.backoff = backoff ?? new Backoff();
    this.clock = clock ?? Date.now;
    this.stallMs = stallMs ?? Math.max(10_000, 10_000 / fps);
    this.supervisor = new FfmpegSupervisor({
      ffmpegPath: tools.ffmpeg.path,
      prepare: () => this.prepareRun(),
      onRun: (run) => this.onRun(run),
      onStderrLine: (line) => this.onStderrLine(line),
      onEnd: (end) => this.onEnd(end),
      policy: this.backoff,
      tailChars: 2048,
      stall: { afterMs: this.stallMs, onStall: () => this.setState('stalled', `no frame for ${Math.round(this.stallMs / 1000)} s`) },
      clock: this.clock,
      logger,
    });
  }

  get currentState(): FrameSourceState {
    return this.state;
  }

  pid(): number | undefined {
    return this.supervisor.pid;
  }

  start(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.setState('starting', 'starting ffmpeg');
    this.supervisor.start();
  }

  /** Kills ffmpeg (a decoder has nothing to flush) and waits for it to go. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.supervisor.stop();
    this.setState('stopped', 'shutdown');
  }

  private setState(state: FrameSourceState, detail: string): void {
    if (state === this.state) return;
    this.state = state;
    this.onState?.(state, detail);
  }

  /** Before each run: the camera's address (a failure ends the run unstarted: see onEnd) and this run's state. */
  private async prepareRun(): Promise<RunPlan> {
    const url = await resolveUrlHost(this.url);
    if (this.stopping) return undefined;
    const args = frameReaderArgs(this.tools, {
      url,
      timeoutSeconds: this.socketTimeoutSeconds,
      fps: this.fps,
      width: this.width,
      height: this.height,
    });
    this.filled = 0;
    this.times = undefined;
    this.timeBaseMs = 0;
    this.pts = [];
    return { args };
  }

  private onRun(run: FfmpegInstance): void {
    this.onRestart?.();
    run.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
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
        this.supervisor.alive();
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

  /** `showinfo` lines carry the frames' times (true: taken); anything else is ffmpeg talking (kept for the exit's reason). */
  private onStderrLine(line: string): boolean {
    const info = parseShowinfo(line);
    if (info?.kind === 'config') {
      this.timeBaseMs = info.timeBase * 1000;
      this.times ??= new FrameTimes(info.frameIntervalMs);
    } else if (info?.kind === 'frame') {
      this.sawTimes = true;
      if (this.timeBaseMs) this.pts.push(info.pts * this.timeBaseMs);
      if (this.pts.length > PAIRING_LIMIT) this.pts.shift();
    } else {
      return false;
    }
    this.pairFrames();
    return true;
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
        this.logger.warn({ camera: this.camera }, 'ffmpeg prints no frame times: frames are stamped when they arrive');
      }
      this.emit(frame.data, frame.arrivedMs, frame.arrivedMs);
    }
  }

  private emit(data: Uint8Array, takenMs: number, arrivedMs: number): void {
    this.onFrame({ camera: this.camera, data, width: this.width, height: this.height, timestampMs: takenMs, arrivedMs, seq: this.seq++ });
  }

  /** A run ended (or could not start): its frames in hand go back to the pool, and it restarts. */
  private onEnd(end: RunEnd): AfterRun {
    if (!end.started) {
      this.logger.warn({ camera: this.camera, err: end.error?.message }, 'cannot resolve the camera address');
      return this.scheduleRestart('cannot resolve the camera address');
    }
    if (end.error) this.logger.error({ camera: this.camera, err: end.error.message }, 'cannot start ffmpeg for detection');
    // a partly filled frame is the start of a picture that will never finish; frames never shown live are not fed
    this.filled = 0;
    for (const data of [...this.untimed.map((f) => f.data), ...(this.times?.release() ?? [])]) this.pool.give(data);
    this.untimed = [];
    if (this.stopping) return 'idle';
    const { code, signal, lastLine } = end;
    this.logger.debug({ camera: this.camera, code, signal, stderr: lastLine }, 'detect ffmpeg exited');
    return this.scheduleRestart(lastLine || `ffmpeg exited (${signal ?? code})`);
  }

  /** Restart on every exit (after the backoff): a camera that vanishes makes ffmpeg exit 0, silently. */
  private scheduleRestart(detail: string): AfterRun {
    if (this.stopping) return 'idle';
    if (this.state !== 'stalled') this.setState('offline', detail);
    this.restarts++;
    return 'restart';
  }
}
