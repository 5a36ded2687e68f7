// One fake IP camera: an RTSP server on 127.0.0.1:<OS port> serving /main and /sub from shared
// feeders, Digest auth, session timeouts, and the faults tests inject (freeze, drop, restart). The RTSP protocol
// is the product's (shared/rtsp/); the camera says what its URLs name.
import { randomInt } from 'node:crypto';
import net from 'node:net';
import type { Logger } from '../../shared/log.js';
import { RtspConnection, type Resolved, type RtspService, type RtspStream } from '../../shared/rtsp/connection.js';
import { createDigestPolicy, type Credentials, type DigestPolicy } from '../../shared/rtsp/digest.js';
import { describeStream } from '../../shared/rtsp/sdp.js';
import type { Feeder } from './feeder.js';
import type { GroundTruth, StreamFormat, StreamName } from './scenes.js';

export interface CameraStream {
  feeder: Feeder;
  format: StreamFormat;
}

/** `Truth` is undefined for a camera serving a file (nothing is known about what it shows). */
export interface CameraOptions<Truth extends GroundTruth | undefined = GroundTruth> {
  id: string;
  streams: Record<StreamName, CameraStream>;
  groundTruth: Truth;
  /** undefined: no authentication (some tests want it off) */
  credentials: Credentials | undefined;
  /** a session with no request and no RTCP for this long is dropped */
  sessionTimeoutSeconds: number;
  logger: Logger;
}

export class FakeCamera<Truth extends GroundTruth | undefined = GroundTruth> implements RtspService {
  readonly id: string;
  readonly auth: DigestPolicy | undefined;
  readonly sessionTimeoutSeconds: number;
  readonly serverName = 'Wardwatch fake camera';
  readonly sdpSessionId = String(randomInt(1, 2 ** 47));
  readonly groundTruth: Truth;
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly connections = new Set<RtspConnection>();
  private readonly sweeper: NodeJS.Timeout;
  private droppedUntilMs = 0;
  private dropTimer: NodeJS.Timeout | undefined;
  private isFrozen = false;
  private readonly mounts: Record<StreamName, RtspStream>;

  private constructor(private readonly options: CameraOptions<Truth>) {
    this.id = options.id;
    this.groundTruth = options.groundTruth;
    this.sessionTimeoutSeconds = options.sessionTimeoutSeconds;
    this.auth = options.credentials ? createDigestPolicy(options.credentials) : undefined;
    this.sweeper = setInterval(() => this.dropIdleSessions(), Math.min(5_000, (this.sessionTimeoutSeconds * 1000) / 4));
    this.sweeper.unref();
    this.mounts = { main: this.mount('main'), sub: this.mount('sub') };
  }

  static async start<Truth extends GroundTruth | undefined>(options: CameraOptions<Truth>): Promise<FakeCamera<Truth>> {
    const camera = new FakeCamera(options);
    await new Promise<void>((resolve, reject) => {
      camera.server.once('error', reject);
      camera.server.listen(0, '127.0.0.1', () => resolve());
    });
    return camera;
  }

  get port(): number {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error(`camera ${this.id} is not listening`);
    return address.port;
  }

  get frozen(): boolean {
    return this.isFrozen;
  }

  /** Connections currently open (playing or not). */
  get connectionCount(): number {
    return this.connections.size;
  }

  stream(name: StreamName): { feeder: Feeder; fps: number } {
    const { feeder, format } = this.options.streams[name];
    return { feeder, fps: format.fps };
  }

  get mainUrl(): string {
    return this.url('main');
  }

  get subUrl(): string {
    return this.url('sub');
  }

  url(stream: StreamName): string {
    return `rtsp://127.0.0.1:${this.port}/${stream}`;
  }

  urlWithCredentials(stream: StreamName): string {
    const c = this.options.credentials;
    if (!c) return this.url(stream);
    return `rtsp://${encodeURIComponent(c.username)}:${encodeURIComponent(c.password)}@127.0.0.1:${this.port}/${stream}`;
  }

  /** Scene loop offset (seconds) shown on `stream` at `nowMs`; undefined until packets flow. */
  loopOffsetSeconds(nowMs = Date.now(), stream: StreamName = 'main'): number | undefined {
    return this.options.streams[stream].feeder.loopOffsetSeconds(nowMs);
  }

  /** Wall-clock ms when the current scene loop began on `stream`. */
  loopStartedAtMs(nowMs = Date.now(), stream: StreamName = 'main'): number | undefined {
    return this.options.streams[stream].feeder.loopStartedAtMs(nowMs);
  }

  /** `rtsp://host:port/<stream>[/trackID=0]`; anything else is 404. */
  resolve(url: string): Resolved {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, status: 404 };
    }
    const [stream, track, ...rest] = parsed.pathname.split('/').filter(Boolean);
    if ((stream !== 'main' && stream !== 'sub') || rest.length > 0) return { ok: false, status: 404 };
    if (track !== undefined && track !== 'trackID=0') return { ok: false, status: 404 };
    return { ok: true, stream: this.mounts[stream], track: track !== undefined, base: `${parsed.protocol}//${parsed.host}/${stream}/` };
  }

  private mount(name: StreamName): RtspStream {
    const { feeder, fps } = this.stream(name);
    const frozen = () => this.frozen;
    return {
      key: name,
      get paused() {
        return frozen();
      },
      describe: () => (feeder.media ? describeStream(feeder.media, { sessionId: this.sdpSessionId, fps, name: `${this.id} ${name}` }) : undefined),
      subscribe: (subscriber) => feeder.subscribe(subscriber),
      unsubscribe: (subscriber) => feeder.unsubscribe(subscriber),
    };
  }

  /** Sockets stay open, RTSP still answers, but no video packet leaves (a hung encoder). */
  freeze(): void {
    this.isFrozen = true;
  }

  /** Video resumes at the next keyframe. */
  unfreeze(): void {
    this.isFrozen = false;
  }

  /** Off the network for `seconds`: open connections get RST, new ones are reset on accept. */
  drop(seconds: number): Promise<void> {
    this.droppedUntilMs = Date.now() + seconds * 1000;
    for (const connection of this.connections) connection.close(true);
    clearTimeout(this.dropTimer);
    return new Promise((resolve) => {
      this.dropTimer = setTimeout(() => {
        this.droppedUntilMs = 0;
        resolve();
      }, seconds * 1000);
    });
  }

  /** Like a quick reboot: every session closed, new connections welcome at once. */
  restart(): void {
    for (const connection of this.connections) connection.close(false);
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    clearTimeout(this.dropTimer);
    for (const connection of this.connections) connection.close(true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    if (Date.now() < this.droppedUntilMs) {
      socket.on('error', () => undefined);
      socket.resetAndDestroy();
      return;
    }
    const connection = new RtspConnection(socket, this, (closed) => this.connections.delete(closed));
    this.connections.add(connection);
  }

  private dropIdleSessions(): void {
    const now = Date.now();
    for (const connection of this.connections) {
      if (connection.idleSeconds(now) > this.sessionTimeoutSeconds) {
        this.options.logger.debug({ camera: this.id }, 'session timed out');
        connection.close(false);
      }
    }
  }
}
