// One looping ffmpeg per (scene, stream), shared by every camera showing that scene: it sends the
// cached file as RTP to a loopback UDP socket here, and each burst of packets is handed, framed
// once per interleaved channel, to every subscribed RTSP session. Restarted when ffmpeg dies. Keeps the
// timeline of keyframe arrivals (timeline.ts): the ground truth of when each frame was "captured".
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import type { Logger } from '../../shared/log.js';
import { KeyframeSpotter, rtpTimestamp } from '../../shared/rtsp/h264-rtp.js';
import { PacketBatch, type BatchSubscriber } from '../../shared/rtsp/rtp-batch.js';
import { parseVideoMedia, type VideoMedia } from '../../shared/rtsp/sdp.js';
import { RTP_CLOCK_HZ, Timeline, type TimelineView } from './timeline.js';

/** Holds an I-frame burst at 4 Mbit/s with room to spare (the kernel caps it at rmem_max). */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
/** Upper bound on the cached GOP (a 2 s GOP at 4 Mbit/s is ~1 MB). */
const MAX_GOP_BYTES = 8 * 1024 * 1024;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 10_000;

/** A reader of the feeder's batches (a playing track of an RTSP session). */
export type FeederSubscriber = BatchSubscriber;

export interface FeederOptions {
  ffmpegPath: string;
  file: string;
  loopSeconds: number;
  /** `jump` scene: add this many seconds to RTP timestamps at every loop wrap (cumulative) */
  timestampJumpSeconds?: number | undefined;
  logger: Logger;
  /** for log lines, e.g. "traffic/main" */
  name: string;
}

export class Feeder {
  private readonly subscribers = new Set<FeederSubscriber>();
  private readonly socket = dgram.createSocket('udp4');
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartDelayMs = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  private pending: Buffer[] = [];
  private pendingKeyframeAt = -1;
  private flushScheduled = false;
  private spotter = new KeyframeSpotter();
  /** packets since the last keyframe start, already handed out: a new reader starts with them */
  private gop: Buffer[] = [];
  private gopBytes = 0;
  // loop clock, from RTP timestamps of the current ffmpeg run
  private lastRawTs = 0;
  private mediaTicks = -1;
  private lastArrivalMs = 0;
  /** when the first packet of the current access unit arrived */
  private unitArrivalMs = 0;
  private readonly keyframeTimeline = new Timeline();
  /** how many times ffmpeg was (re)started, i.e. the number of the current run; tests and logs read it */
  runs = 0;
  packetsReceived = 0;
  media: VideoMedia | undefined;

  private constructor(private readonly options: FeederOptions) {}

  static async start(options: FeederOptions): Promise<Feeder> {
    const feeder = new Feeder(options);
    await feeder.bind();
    await feeder.spawnUntilSdp();
    return feeder;
  }

  get port(): number {
    return this.socket.address().port;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The scene (or served) file ffmpeg loops. */
  get file(): string {
    return this.options.file;
  }

  /** Keyframe arrivals per ffmpeg run: wall clock ↔ RTP ticks (cumulative since the run's first packet). */
  get timeline(): TimelineView {
    return this.keyframeTimeline;
  }

  /** Wall-clock ms at which the frame `ticks` into `run` (default: the current one) arrived here. */
  wallClockOfTicks(ticks: number, run = this.runs): number | undefined {
    return this.keyframeTimeline.wallClockOfTicks(ticks, run);
  }

  /** Adds a reader; it gets the current GOP at once (as go2rtc and MediaMTX do), so it starts at a keyframe without waiting up to a GOP. */
  subscribe(subscriber: FeederSubscriber): void {
    this.subscribers.add(subscriber);
    if (this.gop.length > 0) subscriber.deliver(new PacketBatch([...this.gop], 0));
  }

  unsubscribe(subscriber: FeederSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Where in the scene loop the stream is at `nowMs` (seconds in [0, loopSeconds)), once packets flow. */
  loopOffsetSeconds(nowMs = Date.now()): number | undefined {
    if (this.mediaTicks < 0) return undefined;
    const seconds = this.mediaTicks / RTP_CLOCK_HZ + (nowMs - this.lastArrivalMs) / 1000;
    const loop = this.options.loopSeconds;
    return ((seconds % loop) + loop) % loop;
  }

  /** Wall-clock ms at which the current loop began (loop offset 0). */
  loopStartedAtMs(nowMs = Date.now()): number | undefined {
    const offset = this.loopOffsetSeconds(nowMs);
    return offset === undefined ? undefined : nowMs - offset * 1000;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.subscribers.clear();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  /** Synchronous kill for process 'exit' handlers, where nothing async runs any more. */
  killNow(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGKILL');
  }

  private bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(0, '127.0.0.1', () => {
        this.socket.off('error', reject);
        try {
          this.socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
        } catch {
          // capped or refused: loopback still works, only bursts may drop
        }
        this.socket.on('message', (packet) => this.onPacket(packet));
        this.socket.on('error', (error) => this.options.logger.warn({ err: error, feeder: this.options.name }, 'feeder socket error'));
        resolve();
      });
    });
  }

  private args(): string[] {
    // connect=1: once this process is gone ffmpeg's sends fail and it exits instead of looping forever;
    // skip_rtcp: no sender reports to port+1, which may belong to someone else
    const url = `rtp://127.0.0.1:${this.port}?localaddr=127.0.0.1&connect=1`;
    return [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-stream_loop', '-1', '-i', this.options.file,
      '-map', '0:v:0', '-c', 'copy', '-f', 'rtp', '-rtpflags', 'skip_rtcp', url,
    ];
  }

  /** Starts ffmpeg; resolves once it printed the SDP (so DESCRIBE can answer). */
  private spawnUntilSdp(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.ffmpegPath, this.args(), { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      this.runs += 1;
      this.keyframeTimeline.startRun(this.runs, Date.now());
      this.mediaTicks = -1;
      this.spotter = new KeyframeSpotter();
      this.gop = [];
      this.gopBytes = 0;
      const startedAt = Date.now();
      let stdout = '';
      let stderr = '';
      let settled = false;
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        if (settled) return;
        stdout += text;
        // ffmpeg prints "SDP:\n…" with the fmtp line last
        if (/a=fmtp:[^\n]*\n/.test(stdout)) {
          settled = true;
          try {
            this.media ??= parseVideoMedia(stdout.slice(stdout.indexOf('SDP:') + 4));
            resolve();
          } catch (error) {
            reject(error as Error);
          }
        }
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (text: string) => {
        stderr = (stderr + text).slice(-2000);
      });
      child.on('error', (error) => {
        if (!settled) {
          settled = true;
          reject(error);
        }
      });
      child.on('exit', (code, signal) => {
        if (!settled) {
          settled = true;
          reject(new Error(`feeder ffmpeg for ${this.options.name} exited (${code ?? signal}) before its SDP: ${stderr.trim()}`));
          return;
        }
        if (this.stopping) return;
        // it ran for a while: a fresh failure, not a crash loop
        if (Date.now() - startedAt > 30_000) this.restartDelayMs = RESTART_MIN_MS;
        this.options.logger.warn({ feeder: this.options.name, code, signal, stderr: stderr.trim(), retryMs: this.restartDelayMs }, 'feeder ffmpeg exited; restarting');
        this.restartTimer = setTimeout(() => {
          this.spawnUntilSdp().catch((error: unknown) =>
            this.options.logger.error({ err: error, feeder: this.options.name }, 'feeder restart failed'),
          );
        }, this.restartDelayMs);
        this.restartDelayMs = Math.min(this.restartDelayMs * 2, RESTART_MAX_MS);
      });
    });
  }

  private onPacket(packet: Buffer): void {
    if (packet.length < 12) return;
    this.packetsReceived += 1;
    const ts = rtpTimestamp(packet);
    const now = Date.now();
    if (this.mediaTicks < 0 || ts !== this.lastRawTs) this.unitArrivalMs = now;
    if (this.mediaTicks < 0) this.mediaTicks = 0;
    else this.mediaTicks += (ts - this.lastRawTs) | 0; // signed 32-bit difference: survives wrap-around
    this.lastRawTs = ts;
    this.lastArrivalMs = now;
    const jump = this.options.timestampJumpSeconds;
    if (jump) {
      const loops = Math.floor(this.mediaTicks / (RTP_CLOCK_HZ * this.options.loopSeconds));
      if (loops > 0) packet.writeUInt32BE((ts + loops * jump * RTP_CLOCK_HZ) % 2 ** 32, 4);
    }
    const back = this.spotter.keyframeStart(packet);
    if (back !== undefined) this.keyframeTimeline.markKeyframe(this.mediaTicks, this.unitArrivalMs);
    // the access unit may have begun in a batch already handed out: then this batch starts the keyframe
    if (back !== undefined && this.pendingKeyframeAt < 0) this.pendingKeyframeAt = Math.max(0, this.pending.length - back);
    this.pending.push(packet);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = new PacketBatch(this.pending, this.pendingKeyframeAt);
    this.pending = [];
    this.pendingKeyframeAt = -1;
    this.rememberGop(batch);
    for (const subscriber of this.subscribers) subscriber.deliver(batch);
  }

  private rememberGop(batch: PacketBatch): void {
    const fresh = batch.keyframeAt >= 0 ? batch.packets.slice(batch.keyframeAt) : batch.packets;
    if (batch.keyframeAt >= 0) {
      this.gop = [];
      this.gopBytes = 0;
    } else if (this.gop.length === 0) {
      return; // no keyframe seen yet in this run
    }
    for (const packet of fresh) {
      this.gop.push(packet);
      this.gopBytes += packet.length;
    }
    if (this.gopBytes > MAX_GOP_BYTES) {
      this.gop = [];
      this.gopBytes = 0;
    }
  }
}
