// Live view readers: one ffmpeg per camera stream, fanned out to every viewer; stopped a while after the last
// viewer leaves; a stream the browser cannot decode (H.265) re-encoded to H.264, one such stream box-wide.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { liveArgs } from '../../shared/ffmpeg/args.js';
import { resolveUrlHost } from '../../shared/ffmpeg/resolve.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { BoxSplitter, childBoxes, FragmentAssembler, videoCodecOf } from '../../shared/mp4-boxes.js';

export type LiveStreamName = 'main' | 'sub';

/** What a viewer is told, in order: an init segment (again after a reconnect), then fragments. */
export interface LiveViewer {
  /** `codec` is the MSE codec string; `transcoded` when the box re-encodes this stream */
  init(codec: string, bytes: Buffer, transcoded: boolean): void;
  fragment(bytes: Buffer, keyframe: boolean): void;
  /** the stream stopped or cannot be shown; `code` for the page's translated note */
  problem(code: 'reconnecting' | 'transcode-busy' | 'unsupported', message: string): void;
}

export interface LiveSource {
  camera: string;
  stream: LiveStreamName;
  url: string;
  /** tests: the url is a file, read looped at its own pace */
  loopFile?: boolean;
}

export interface LiveStreamsOptions {
  tools: FfmpegTools;
  logger: Logger;
  /** a reader with no viewers stops after this long (default 10 s): a viewer switching views reuses it */
  idleStopMs?: number;
  /** socket timeout of the RTSP reader (default 5 s) */
  timeoutSeconds?: number;
  /** re-encoded streams allowed at once, box-wide (default 1) */
  transcodeSlots?: number;
}

const RESTART_DELAYS_MS = [1_000, 2_000, 5_000, 10_000];

class LiveReader {
  readonly viewers = new Set<LiveViewer>();
  private child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  private init: { codec: string; bytes: Buffer } | undefined;
  /** the latest fragment that starts at a keyframe, and those after it: what a new viewer starts with */
  private gop: Buffer[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private starting = false;
  transcoding = false;
  private blocked: { code: 'transcode-busy' | 'unsupported'; message: string } | undefined;

  constructor(
    readonly source: LiveSource,
    private readonly owner: LiveStreams,
    private readonly o: Required<Omit<LiveStreamsOptions, 'tools' | 'logger'>> & Pick<LiveStreamsOptions, 'tools' | 'logger'>,
  ) {}

  get key(): string {
    return `${this.source.camera}/${this.source.stream}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  add(viewer: LiveViewer): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.viewers.add(viewer);
    if (this.blocked) {
      viewer.problem(this.blocked.code, this.blocked.message);
      return;
    }
    if (this.init) {
      viewer.init(this.init.codec, this.init.bytes, this.transcoding);
      for (const f of this.gop) viewer.fragment(f, f === this.gop[0]);
    }
    if (!this.child && !this.restartTimer && !this.starting) this.spawn();
  }

  remove(viewer: LiveViewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size || this.idleTimer) return;
    this.idleTimer = setTimeout(() => this.stop(), this.o.idleStopMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.restartTimer);
    this.kill();
    this.owner.forget(this);
  }

  private kill(): void {
    const child = this.child;
    this.child = undefined;
    if (this.transcoding) this.owner.releaseTranscode(this);
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }

  private spawn(transcode = this.transcoding): void {
    if (transcode && !this.owner.claimTranscode(this)) {
      const holder = this.owner.transcodeHolder();
      this.block('transcode-busy', `camera ${this.source.camera} sends H.265, which the browser cannot play; the box converts one such stream at a time and is converting ${holder ?? 'another camera'} now`);
      return;
    }
    this.transcoding = transcode;
    this.init = undefined;
    this.gop = [];
    this.starting = true;
    // the bundled 2018 ffmpeg crashes on host names: resolve them here
    const resolved = this.source.loopFile ? Promise.resolve(this.source.url) : resolveUrlHost(this.source.url);
    resolved.then(
      (url) => {
        this.starting = false;
        if (this.stopped) return;
        this.launch(url, transcode);
      },
      (err: Error) => {
        this.starting = false;
        this.o.logger.warn({ camera: this.source.camera, err: err.message }, 'cannot resolve the camera address for live view');
        if (this.transcoding) this.owner.releaseTranscode(this);
        this.scheduleRestart();
      },
    );
  }

  private launch(url: string, transcode: boolean): void {
    const args = liveArgs(this.o.tools, { url, timeoutSeconds: this.o.timeoutSeconds, transcode, loopFile: this.source.loopFile === true });
    const child = spawn(this.o.tools.ffmpeg.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const splitter = new BoxSplitter();
    const assembler = new FragmentAssembler();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-1000)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      try {
        const out = assembler.push(splitter.push(chunk));
        if (out.init) this.onInit(out.init);
        for (const f of out.fragments) this.onFragment(f.bytes, f.keyframe);
      } catch (err) {
        this.o.logger.warn({ camera: this.source.camera, stream: this.source.stream, err: (err as Error).message }, 'live stream unreadable; restarting its reader');
        this.kill();
        this.scheduleRestart();
      }
    });
    child.on('error', (err) => this.o.logger.error({ err: err.message }, 'cannot run ffmpeg for live view'));
    child.on('close', (code, signal) => {
      if (this.child !== child) return; // killed on purpose
      this.child = undefined;
      if (this.transcoding) this.owner.releaseTranscode(this);
      this.o.logger.info({ camera: this.source.camera, stream: this.source.stream, code, signal, stderr: stderr.trim().slice(-300) }, 'live reader stopped');
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    if (this.stopped || !this.viewers.size) {
      if (!this.stopped) this.stop();
      return;
    }
    for (const v of this.viewers) v.problem('reconnecting', `camera ${this.source.camera} stopped sending; reconnecting`);
    const delay = RESTART_DELAYS_MS[Math.min(this.failures, RESTART_DELAYS_MS.length - 1)]!;
    this.failures++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped && this.viewers.size) this.spawn();
    }, delay);
  }

  waitingForTranscode(): boolean {
    return this.blocked?.code === 'transcode-busy' && this.viewers.size > 0 && !this.stopped;
  }

  retry(): void {
    this.blocked = undefined;
    if (!this.child && !this.restartTimer && !this.starting) this.spawn(true);
  }

  private block(code: 'transcode-busy' | 'unsupported', message: string): void {
    this.blocked = { code, message };
    for (const v of this.viewers) v.problem(code, message);
  }

  private onInit(bytes: Buffer): void {
    const moov = childBoxes(bytes, 0).find((b) => b.type === 'moov');
    const codec = moov && videoCodecOf(moov.bytes);
    if (!codec || codec.kind === 'other') {
      this.kill();
      this.block('unsupported', `camera ${this.source.camera} sends ${codec?.mime ?? 'no video'}, which the review page cannot show`);
      return;
    }
    if (codec.kind === 'h265' && !this.transcoding) {
      this.o.logger.info({ camera: this.source.camera, stream: this.source.stream }, 'H.265 live stream: converting to H.264 for the browser');
      this.kill();
      this.spawn(true);
      return;
    }
    this.init = { codec: codec.mime, bytes };
    for (const v of this.viewers) v.init(codec.mime, bytes, this.transcoding);
  }

  private onFragment(bytes: Buffer, keyframe: boolean): void {
    this.failures = 0;
    if (keyframe) this.gop = [bytes];
    else if (this.gop.length) this.gop.push(bytes);
    for (const v of this.viewers) v.fragment(bytes, keyframe);
  }
}

export class LiveStreams {
  private readonly readers = new Map<string, LiveReader>();
  private readonly transcoders = new Set<LiveReader>();
  private readonly o: Required<Omit<LiveStreamsOptions, 'tools' | 'logger'>> & Pick<LiveStreamsOptions, 'tools' | 'logger'>;

  constructor(options: LiveStreamsOptions) {
    this.o = { idleStopMs: 10_000, timeoutSeconds: 5, transcodeSlots: 1, ...options };
  }

  /** Adds a viewer to the camera stream's reader (starting it when needed); returns the way to leave. */
  watch(source: LiveSource, viewer: LiveViewer): () => void {
    const key = `${source.camera}/${source.stream}`;
    let reader = this.readers.get(key);
    if (!reader) {
      reader = new LiveReader(source, this, this.o);
      this.readers.set(key, reader);
    }
    reader.add(viewer);
    const r = reader;
    return () => r.remove(viewer);
  }

  /** Readers now running, for status and tests: `camera/stream` → viewers. */
  running(): { key: string; viewers: number; transcoding: boolean }[] {
    return [...this.readers.values()].filter((r) => r.running).map((r) => ({ key: r.key, viewers: r.viewers.size, transcoding: r.transcoding }));
  }

  stop(): void {
    for (const r of [...this.readers.values()]) r.stop();
  }

  /** @internal */
  forget(reader: LiveReader): void {
    if (this.readers.get(reader.key) === reader) this.readers.delete(reader.key);
  }

  /** @internal x264 costs a large share of a core: only `transcodeSlots` streams at once, box-wide */
  claimTranscode(reader: LiveReader): boolean {
    if (!this.transcoders.has(reader) && this.transcoders.size >= this.o.transcodeSlots) return false;
    this.transcoders.add(reader);
    return true;
  }

  /** @internal a freed slot goes to a stream whose viewers were told to wait */
  releaseTranscode(reader: LiveReader): void {
    if (!this.transcoders.delete(reader)) return;
    const waiting = [...this.readers.values()].find((r) => r !== reader && r.waitingForTranscode());
    waiting?.retry();
  }

  /** @internal */
  transcodeHolder(): string | undefined {
    return [...this.transcoders][0]?.source.camera;
  }
}
