// One camera stream served to the city over RTSP: a reader of a live relay (the ward box pushes fragmented MP4 to the
// hub), its fragments cut into H.264 access units and RTP packets (stream copy), paced out at the frames' own rhythm
// to every playing session. Held by the connections that asked for it; ends a linger after the last lets go.
import { randomInt } from 'node:crypto';
import type { RelayReader } from '../live/relay.js';
import type { Logger } from '../../shared/log.js';
import type { RtspConnection, RtspStream } from '../../shared/rtsp/connection.js';
import { accessUnits, h264TrackOf, type AccessUnit, type H264Track } from '../../shared/rtsp/fmp4-h264.js';
import { H264Packetizer } from '../../shared/rtsp/h264-rtp.js';
import { PacketBatch, type BatchSubscriber } from '../../shared/rtsp/rtp-batch.js';
import { describeStream, h264Media } from '../../shared/rtsp/sdp.js';
import { pacer, type Paced } from './pacer.js';
import type { CityStream } from './paths.js';

const RTP_CLOCK_HZ = 90_000;
const PAYLOAD_TYPE = 96;
const NAL_SPS = 7;
/** The current GOP kept for a session that starts playing between keyframes: a bound, as the relay keeps one. */
const MAX_GOP_BYTES = 16 * 1024 * 1024;

export interface FeedHooks {
  /** a session started playing this feed / stopped (PAUSE, TEARDOWN, its connection closed) */
  played(feed: CityFeed, connection: RtspConnection): void;
  stopped(feed: CityFeed, connection: RtspConnection): void;
  /** the feed ended: its relay is to be closed */
  ended(feed: CityFeed, message: string): void;
}

const mod32 = (n: number): number => ((n % 2 ** 32) + 2 ** 32) % 2 ** 32;

export class CityFeed implements RtspStream, Paced {
  readonly key: string;
  private track: H264Track | undefined;
  private sdp: string | undefined;
  private readonly packetizer = new H264Packetizer({ payloadType: PAYLOAD_TYPE, ssrc: randomInt(2 ** 32), firstSeq: randomInt(2 ** 16) });
  /** added to the stream's own times (90 kHz): random at first, then set so a restarted stream's clock runs on */
  private rtpOffset = randomInt(2 ** 31);
  /** the latest frame's RTP time and the last duration (90 kHz, before the wrap); whether the next fragment must follow on */
  private lastRtpTime: number | undefined;
  private lastDuration = 0;
  private rebase = false;
  private gop: PacketBatch[] = [];
  private gopBytes = 0;
  private readonly subscribers = new Map<BatchSubscriber, RtspConnection>();
  private readonly holders = new Set<RtspConnection>();
  /** access units of the last fragment not yet sent, each with when it is due (ms) */
  private queue: { due: number; batch: PacketBatch }[] = [];
  private lingerTimer: NodeJS.Timeout | undefined;
  private waiters: ((problem: string | undefined) => void)[] = [];
  private leaveRelay: (() => void) | undefined;
  ended = false;
  endMessage: string | undefined;
  /** frames sent to playing sessions (tests, status) */
  framesOut = 0;
  private readonly lingerMs: number;
  private readonly logger: Logger;
  private readonly hooks: FeedHooks;

  constructor(
    readonly ward: string,
    readonly camera: string,
    readonly stream: CityStream,
    readonly relayId: string,
    /** who opened it (the relay's `requestedBy`) */
    readonly openedBy: string,
    o: { lingerMs: number; logger: Logger; hooks: FeedHooks },
  ) {
    ({ lingerMs: this.lingerMs, logger: this.logger, hooks: this.hooks } = o);
    this.key = `${ward}/${camera}/${stream}`;
    // a DESCRIBE that never comes back still lets the relay go
    this.lingerTimer = setTimeout(() => this.end('nobody read the stream'), this.lingerMs);
  }

  /** What the relay is told: init segment, fragments, its end. */
  readonly reader: RelayReader = {
    init: (init) => this.onInit(init),
    fragment: (bytes) => this.onFragment(bytes),
    end: (message) => this.end(message),
  };

  attach(leave: () => void): void {
    if (this.ended) leave();
    else this.leaveRelay = leave;
  }

  /** Resolves once the stream can be described (undefined), or with the reason it cannot. */
  ready(timeoutMs: number): Promise<string | undefined> {
    if (this.sdp) return Promise.resolve(undefined);
    if (this.ended) return Promise.resolve(this.endMessage ?? 'the live view ended');
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(`the ward box sent no video within ${Math.round(timeoutMs / 1000)} s (is it online, and is the camera?)`);
      }, timeoutMs);
      const done = (problem: string | undefined) => {
        clearTimeout(timer);
        resolve(problem);
      };
      this.waiters.push(done);
    });
  }

  describe(): string | undefined {
    return this.sdp;
  }

  get playing(): number {
    return this.subscribers.size;
  }

  /** A connection uses this feed (DESCRIBE or SETUP): it is kept until every such connection let go. */
  hold(connection: RtspConnection): void {
    if (this.ended) return;
    this.holders.add(connection);
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
  }

  release(connection: RtspConnection): void {
    if (!this.holders.delete(connection) || this.holders.size || this.ended) return;
    this.lingerTimer = setTimeout(() => this.end('linger'), this.lingerMs);
  }

  subscribe(subscriber: BatchSubscriber, connection: RtspConnection): void {
    if (this.ended) return connection.close();
    this.subscribers.set(subscriber, connection);
    this.hooks.played(this, connection);
    for (const batch of this.gop) subscriber.deliver(batch);
  }

  unsubscribe(subscriber: BatchSubscriber, connection: RtspConnection): void {
    if (this.subscribers.delete(subscriber)) this.hooks.stopped(this, connection);
  }

  /** Ends the feed: sessions are closed (a player sees the stream end), the relay is let go. */
  end(message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.endMessage = message;
    pacer.remove(this);
    this.queue = [];
    clearTimeout(this.lingerTimer);
    for (const w of this.waiters) w(message);
    this.waiters = [];
    for (const connection of new Set([...this.subscribers.values(), ...this.holders])) connection.close();
    this.holders.clear();
    this.leaveRelay?.();
    this.logger.info({ ward: this.ward, camera: this.camera, stream: this.stream, relayId: this.relayId, frames: this.framesOut, reason: message }, 'city rtsp feed ended');
    this.hooks.ended(this, message);
  }

  private onInit(init: Buffer): void {
    try {
      this.track = h264TrackOf(init);
    } catch (err) {
      return this.end((err as Error).message);
    }
    const media = h264Media(this.track.sps[0]!, this.track.pps, PAYLOAD_TYPE);
    this.sdp = describeStream(media, { sessionId: String(randomInt(1, 2 ** 47)), name: `${this.ward} ${this.camera} ${this.stream}` });
    this.gop = [];
    this.gopBytes = 0;
    // a second init segment: the box's reader started again, its times from 0; players must not see time go back
    this.rebase = this.lastRtpTime !== undefined;
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
  }

  private onFragment(bytes: Buffer): void {
    const track = this.track;
    if (!track) return;
    let units: AccessUnit[];
    try {
      units = accessUnits(bytes, track);
    } catch (err) {
      this.logger.warn({ relayId: this.relayId, err: (err as Error).message }, 'city rtsp: a fragment could not be read; skipped');
      return;
    }
    if (!units.length) return;
    // the last fragment's frames still queued go now: its successor is here
    this.sendDue(Infinity);
    const now = Date.now();
    const first = units[0]!.dts;
    const ticks = (t: number) => Math.round((t * RTP_CLOCK_HZ) / track.timescale);
    if (this.rebase && this.lastRtpTime !== undefined) {
      this.rtpOffset = this.lastRtpTime + this.lastDuration - ticks(units[0]!.pts);
      this.rebase = false;
    }
    for (const unit of units) {
      const nals = unit.keyframe && !unit.nals.some((n) => (n[0]! & 0x1f) === NAL_SPS) ? [...track.sps, ...track.pps, ...unit.nals] : unit.nals;
      const time = ticks(unit.pts) + this.rtpOffset;
      // the latest presentation time (B-frames come out of order)
      if (this.lastRtpTime === undefined || time > this.lastRtpTime) this.lastRtpTime = time;
      this.lastDuration = ticks(unit.duration);
      const timestamp = mod32(time);
      const batch = new PacketBatch(this.packetizer.packetize(nals, timestamp), unit.keyframe ? 0 : -1);
      this.queue.push({ due: now + ((unit.dts - first) * 1000) / track.timescale, batch });
    }
    if (this.sendDue(now)) pacer.add(this);
  }

  /** Sends the frames due by `now` (the pacer asks every tick); true while some are still waiting. */
  sendDue(now: number): boolean {
    let sent = 0;
    while (sent < this.queue.length && this.queue[sent]!.due <= now) this.send(this.queue[sent++]!.batch);
    if (sent) this.queue = this.queue.slice(sent);
    return this.queue.length > 0;
  }

  private send(batch: PacketBatch): void {
    const size = batch.packets.reduce((n, p) => n + p.length, 0);
    if (batch.keyframeAt >= 0 || this.gopBytes + size > MAX_GOP_BYTES) {
      this.gop = batch.keyframeAt >= 0 ? [batch] : [];
      this.gopBytes = batch.keyframeAt >= 0 ? size : 0;
    } else if (this.gop.length) {
      this.gop.push(batch);
      this.gopBytes += size;
    }
    if (this.subscribers.size) this.framesOut += 1;
    for (const subscriber of this.subscribers.keys()) subscriber.deliver(batch);
  }
}
