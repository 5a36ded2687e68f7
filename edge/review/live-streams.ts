// Live view readers: one ffmpeg per camera stream (run by shared/ffmpeg/supervisor.ts), fanned out to every viewer;
// stopped a while after the last viewer leaves; a stream the browser cannot decode (H.265) re-encoded to H.264, one
// such stream box-wide.
import { liveArgs } from '../../shared/ffmpeg/args.js';
import type { FfmpegInstance } from '../../shared/ffmpeg/instance.js';
import { DelaySteps } from '../../shared/ffmpeg/restart-policy.js';
import { FfmpegSupervisor, type AfterRun, type RunEnd, type RunPlan } from '../../shared/ffmpeg/supervisor.js';
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

/** What a reader does once the run it killed on purpose has ended. */
type AfterKill = 'restart' | 'now' | 'idle';

class LiveReader {
  readonly viewers = new Set<LiveViewer>();
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly idleStopMs: number;
  private readonly timeoutSeconds: number;
  private readonly supervisor: FfmpegSupervisor;
  /** restart waits in a row; back to the first with each fragment */
  private readonly delays = new DelaySteps(RESTART_DELAYS_MS);
  /** the run whose output is fanned out (cleared when it is killed on purpose: its last bytes are not) */
  private run: FfmpegInstance | undefined;
  private init: { codec: string; bytes: Buffer } | undefined;
  /** the latest fragment that starts at a keyframe, and those after it: what a new viewer starts with */
  private gop: Buffer[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private afterKill: AfterKill = 'restart';
  /** the next run re-encodes (H.265 found, or a freed slot) */
  private wantTranscode = false;
  transcoding = false;
  private blocked: { code: 'transcode-busy' | 'unsupported'; message: string } | undefined;

  constructor(
    readonly source: LiveSource,
    private readonly owner: LiveStreams,
    { tools, logger, idleStopMs, timeoutSeconds }: { tools: FfmpegTools; logger: Logger; idleStopMs: number; timeoutSeconds: number },
  ) {
    this.tools = tools;
    this.logger = logger;
    this.idleStopMs = idleStopMs;
    this.timeoutSeconds = timeoutSeconds;
    this.supervisor = new FfmpegSupervisor({
      ffmpegPath: tools.ffmpeg.path,
      prepare: () => this.prepareRun(),
      onRun: (run) => this.onRun(run),
      onEnd: (end) => this.onEnd(end),
      policy: this.delays,
      tailChars: 1000,
      logger,
    });
  }

  get key(): string {
    return `${this.source.camera}/${this.source.stream}`;
  }

  get running(): boolean {
    return this.run !== undefined;
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
    this.supervisor.start(); // nothing when it runs or waits to restart
  }

  remove(viewer: LiveViewer): void {
    this.viewers.delete(viewer);
    if (this.viewers.size || this.idleTimer) return;
    this.idleTimer = setTimeout(() => this.stop(), this.idleStopMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    this.release();
    void this.supervisor.stop();
    this.owner.forget(this);
  }

  /** Stops fanning out the current run and frees its transcode slot; `after` says what comes once it has ended. */
  private kill(after: AfterKill): void {
    this.release();
    this.afterKill = after;
    this.supervisor.kill();
  }

  private release(): void {
    this.run = undefined;
    if (this.transcoding) this.owner.releaseTranscode(this);
  }

  /** Before each run: a transcode slot when it re-encodes (or the viewers are told to wait), the camera's address. */
  private async prepareRun(): Promise<RunPlan> {
    if (this.stopped || !this.viewers.size) return undefined;
    const transcode = this.wantTranscode || this.transcoding;
    this.wantTranscode = false;
    if (transcode && !this.owner.claimTranscode(this)) {
      const holder = this.owner.transcodeHolder();
      this.block('transcode-busy', `camera ${this.source.camera} sends H.265, which the browser cannot play; the box converts one such stream at a time and is converting ${holder ?? 'another camera'} now`);
      return undefined;
    }
    this.transcoding = transcode;
    this.init = undefined;
    this.gop = [];
    // the bundled 2018 ffmpeg crashes on host names: resolve them here (a failure ends the run unstarted: see onEnd)
    const url = this.source.loopFile ? this.source.url : await resolveUrlHost(this.source.url);
    if (this.stopped) return undefined;
    return { args: liveArgs(this.tools, { url, timeoutSeconds: this.timeoutSeconds, transcode, loopFile: this.source.loopFile === true }) };
  }

  private onRun(run: FfmpegInstance): void {
    this.run = run;
    this.afterKill = 'restart';
    const splitter = new BoxSplitter();
    const assembler = new FragmentAssembler();
    run.stdout.on('data', (chunk: Buffer) => {
      if (this.run !== run) return;
      try {
        const out = assembler.push(splitter.push(chunk));
        if (out.init) this.onInit(out.init);
        for (const f of out.fragments) this.onFragment(f.bytes, f.keyframe);
      } catch (err) {
        this.logger.warn({ camera: this.source.camera, stream: this.source.stream, err: (err as Error).message }, 'live stream unreadable; restarting its reader');
        this.kill('restart');
      }
    });
  }

  private onEnd(end: RunEnd): AfterRun {
    if (this.stopped || end.endedBy === 'stop') return 'idle';
    if (end.endedBy === 'kill') return this.afterKill === 'restart' ? this.restartOrStop() : this.afterKill;
    if (!end.started) {
      this.logger.warn({ camera: this.source.camera, err: end.error?.message }, 'cannot resolve the camera address for live view');
    } else {
      if (end.error) this.logger.error({ err: end.error.message }, 'cannot run ffmpeg for live view');
      this.logger.info({ camera: this.source.camera, stream: this.source.stream, code: end.code, signal: end.signal, stderr: end.stderr.trim().slice(-300) }, 'live reader stopped');
    }
    this.release();
    return this.restartOrStop();
  }

  /** Viewers left: the reader stops; viewers wait: they are told, and it restarts after the next delay. */
  private restartOrStop(): AfterRun {
    if (this.stopped || !this.viewers.size) {
      if (!this.stopped) this.stop();
      return 'idle';
    }
    for (const v of this.viewers) v.problem('reconnecting', `camera ${this.source.camera} stopped sending; reconnecting`);
    return 'restart';
  }

  waitingForTranscode(): boolean {
    return this.blocked?.code === 'transcode-busy' && this.viewers.size > 0 && !this.stopped;
  }

  retry(): void {
    this.blocked = undefined;
    this.wantTranscode = true;
    this.supervisor.start();
  }

  private block(code: 'transcode-busy' | 'unsupported', message: string): void {
    this.blocked = { code, message };
    for (const v of this.viewers) v.problem(code, message);
  }

  private onInit(bytes: Buffer): void {
    const moov = childBoxes(bytes, 0).find((b) => b.type === 'moov');
    const codec = moov && videoCodecOf(moov.bytes);
    if (!codec || codec.kind === 'other') {
      this.kill('idle');
      this.block('unsupported', `camera ${this.source.camera} sends ${codec?.mime ?? 'no video'}, which the review page cannot show`);
      return;
    }
    if (codec.kind === 'h265' && !this.transcoding) {
      this.logger.info({ camera: this.source.camera, stream: this.source.stream }, 'H.265 live stream: converting to H.264 for the browser');
      this.wantTranscode = true;
      this.kill('now');
      return;
    }
    this.init = { codec: codec.mime, bytes };
    for (const v of this.viewers) v.init(codec.mime, bytes, this.transcoding);
  }

  private onFragment(bytes: Buffer, keyframe: boolean): void {
    this.delays.reset();
    if (keyframe) this.gop = [bytes];
    else if (this.gop.length) this.gop.push(bytes);
    for (const v of this.viewers) v.fragment(bytes, keyframe);
  }
}

export class LiveStreams {
  private readonly readers = new Map<string, LiveReader>();
  private readonly transcoders = new Set<LiveReader>();
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly idleStopMs: number;
  private readonly timeoutSeconds: number;
  private readonly transcodeSlots: number;

  constructor({ tools, logger, idleStopMs = 10_000, timeoutSeconds = 5, transcodeSlots = 1 }: LiveStreamsOptions) {
    this.tools = tools;
    this.logger = logger;
    this.idleStopMs = idleStopMs;
    this.timeoutSeconds = timeoutSeconds;
    this.transcodeSlots = transcodeSlots;
  }

  /** Adds a viewer to the camera stream's reader (starting it when needed); returns the way to leave. */
  watch(source: LiveSource, viewer: LiveViewer): () => void {
    const key = `${source.camera}/${source.stream}`;
    let reader = this.readers.get(key);
    if (!reader) {
      reader = new LiveReader(source, this, { tools: this.tools, logger: this.logger, idleStopMs: this.idleStopMs, timeoutSeconds: this.timeoutSeconds });
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
    if (!this.transcoders.has(reader) && this.transcoders.size >= this.transcodeSlots) return false;
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
