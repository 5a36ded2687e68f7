// One RTSP client connection: the request state machine (OPTIONS, DESCRIBE, SETUP over TCP interleaved, PLAY,
// PAUSE, TEARDOWN, GET/SET_PARAMETER), Digest checks, and the tracks that copy a stream's packet batches onto the
// socket. What a URL names, and who may read it, is the service's business (a fake camera, the hub).
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { authenticate, challenge, type DigestPolicy } from './digest.js';
import { formatResponse, RtspParseError, RtspReader, type RtspRequest } from './message.js';
import type { BatchSubscriber, PacketBatch } from './rtp-batch.js';

/** A reader this far behind gets frames dropped up to the next keyframe, as a camera would. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** Wrong credentials on one connection before it is closed (a client guessing passwords). */
const MAX_WRONG_CREDENTIALS = 5;

const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

/** One stream a URL names: its session description and its packets. */
export interface RtspStream {
  /** two URLs naming the same stream (with and without the track) share one track of a session */
  readonly key: string;
  /** the SDP answered to DESCRIBE, or undefined if the stream cannot be described yet (404) */
  describe(): string | undefined;
  subscribe(subscriber: BatchSubscriber, connection: RtspConnection): void;
  unsubscribe(subscriber: BatchSubscriber, connection: RtspConnection): void;
  /** while true no video packet leaves (a hung encoder); readers resume at the next keyframe */
  readonly paused?: boolean;
}

export type Resolved =
  | { ok: true; stream: RtspStream; /** the URL names the track (`…/trackID=0`) */ track: boolean; /** Content-Base: what track URLs are relative to */ base: string }
  | { ok: false; status: number; /** a sentence for the client, e.g. why it is refused */ body?: string };

/** What a connection needs from its server. */
export interface RtspService {
  /** the `Server:` header */
  readonly serverName: string;
  /** undefined: no authentication */
  readonly auth: DigestPolicy | undefined;
  readonly sessionTimeoutSeconds: number;
  /**
   * Optional: the last word on a checked credential (a login throttle): a refusal (its reason) is answered 403 and the
   * connection closed. Not asked for requests without credentials (the challenge) or with a stale nonce.
   */
  admit?(attempt: { user: string; verdict: 'ok' | 'wrong'; connection: RtspConnection }): Promise<string | undefined>;
  /** The stream a URL names, for this connection's user: asked on DESCRIBE, SETUP and PLAY. */
  resolve(url: string, method: 'DESCRIBE' | 'SETUP' | 'PLAY', connection: RtspConnection): Resolved | Promise<Resolved>;
}

/** One SETUP'd stream of a session: copies batches to the socket once PLAY started it. */
class Track implements BatchSubscriber {
  /** a new or resumed reader starts at a keyframe */
  waitingForKeyframe = true;

  constructor(
    readonly stream: RtspStream,
    readonly channel: number,
    private readonly socket: Socket,
  ) {}

  deliver(batch: PacketBatch): void {
    if (this.stream.paused || this.socket.destroyed) {
      this.waitingForKeyframe = true;
      return;
    }
    let from = 0;
    if (this.waitingForKeyframe) {
      if (batch.keyframeAt < 0) return;
      from = batch.keyframeAt;
    }
    if (this.socket.writableLength > MAX_QUEUED_BYTES) {
      this.waitingForKeyframe = true;
      return;
    }
    this.waitingForKeyframe = false;
    this.socket.write(batch.framed(this.channel, from));
  }
}

export class RtspConnection {
  private readonly reader = new RtspReader();
  private sessionId: string | undefined;
  private readonly tracks = new Map<string, Track>();
  private isPlaying = false;
  private wrongCredentials = 0;
  /** requests are answered one after the other, though resolving a URL may wait (the hub opening a relay) */
  private queue: Promise<void> = Promise.resolve();
  private isClosed = false;
  /** last time the client showed life (any request, or RTCP over the interleaved channel) */
  lastActivityMs = Date.now();
  /** the user the last request authenticated as (undefined without authentication) */
  user: string | undefined;
  readonly remoteAddress: string | null;

  constructor(
    private readonly socket: Socket,
    private readonly service: RtspService,
    private readonly onClose: (connection: RtspConnection) => void,
  ) {
    this.remoteAddress = socket.remoteAddress?.replace(/^::ffff:/, '') ?? null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // a reader vanishing is normal life for a server
    socket.on('close', () => {
      this.isClosed = true;
      this.stopTracks();
      this.tracks.clear();
      this.onClose(this);
    });
  }

  /** The local address the client reached (the hub tells a ward box to connect back to the same one). */
  get localAddress(): string | undefined {
    return this.socket.localAddress?.replace(/^::ffff:/, '');
  }

  /** the socket closed (the client left, or the server closed it) */
  get closed(): boolean {
    return this.isClosed;
  }

  get playing(): boolean {
    return this.isPlaying;
  }

  /** The streams of this session (SETUP'd, playing or not). */
  streams(): RtspStream[] {
    return [...this.tracks.values()].map((t) => t.stream);
  }

  /** Closes the connection: `reset` sends RST (a camera dropping off the network), else FIN. */
  close(reset = false): void {
    this.stopTracks();
    if (reset) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  idleSeconds(nowMs: number): number {
    return (nowMs - this.lastActivityMs) / 1000;
  }

  private onData(chunk: Buffer): void {
    this.lastActivityMs = Date.now();
    let inputs;
    try {
      inputs = this.reader.push(chunk);
    } catch (error) {
      if (error instanceof RtspParseError) {
        this.socket.end(formatResponse(400, undefined, {}, undefined, this.service.serverName));
        this.socket.destroySoon();
        return;
      }
      throw error;
    }
    for (const input of inputs) {
      // interleaved input is the client's RTCP receiver reports: only proof of life
      if (input.kind === 'request') {
        const request = input.request;
        this.queue = this.queue.then(() => (this.isClosed ? undefined : this.handle(request))).catch(() => this.close());
      }
    }
  }

  private send(status: number, request: RtspRequest, headers: Record<string, string> = {}, body?: string): void {
    if (this.socket.destroyed) return;
    this.socket.write(formatResponse(status, request.headers.get('cseq'), headers, body, this.service.serverName));
  }

  /** A refusal with its sentence as a text body (RTSP clients log it; ffmpeg shows the status line). */
  private refuse(request: RtspRequest, status: number, body: string | undefined): void {
    this.send(status, request, body ? { 'Content-Type': 'text/plain; charset=utf-8' } : {}, body === undefined ? undefined : `${body}\r\n`);
  }

  private sessionHeader(): Record<string, string> {
    return this.sessionId ? { Session: `${this.sessionId};timeout=${this.service.sessionTimeoutSeconds}` } : {};
  }

  private async handle(request: RtspRequest): Promise<void> {
    const { method } = request;
    if (method === 'OPTIONS') {
      this.send(200, request, { Public: PUBLIC_METHODS, ...this.sessionHeader() });
      return;
    }
    const auth = this.service.auth;
    if (auth) {
      const { verdict, username } = await authenticate(auth, method, request.headers.get('authorization'), Date.now());
      if (this.service.admit && (verdict === 'ok' || verdict === 'wrong')) {
        const refusal = await this.service.admit({ user: username ?? '', verdict, connection: this });
        if (refusal !== undefined) {
          this.refuse(request, 403, refusal);
          this.socket.destroySoon();
          return;
        }
      }
      if (verdict !== 'ok') {
        if (verdict === 'wrong' && ++this.wrongCredentials >= MAX_WRONG_CREDENTIALS) {
          this.refuse(request, 401, 'too many wrong credentials on this connection');
          this.socket.destroySoon();
          return;
        }
        this.send(401, request, { 'WWW-Authenticate': challenge(auth, Date.now(), verdict === 'stale') });
        return;
      }
      this.user = username;
    }
    const given = request.headers.get('session')?.split(';')[0]?.trim();
    if (given !== undefined && given !== this.sessionId) {
      this.send(454, request);
      return;
    }
    switch (method) {
      case 'DESCRIBE':
        return this.describe(request);
      case 'SETUP':
        return this.setup(request);
      case 'PLAY':
        return this.play(request);
      case 'PAUSE':
        this.stopTracks();
        return this.send(200, request, this.sessionHeader());
      case 'TEARDOWN':
        this.stopTracks();
        this.tracks.clear();
        this.send(200, request, this.sessionHeader());
        this.sessionId = undefined;
        return;
      case 'GET_PARAMETER':
      case 'SET_PARAMETER':
        return this.send(200, request, this.sessionHeader());
      default:
        return this.send(501, request, { Public: PUBLIC_METHODS });
    }
  }

  private async describe(request: RtspRequest): Promise<void> {
    const target = await this.service.resolve(request.url, 'DESCRIBE', this);
    if (!target.ok) return this.refuse(request, target.status, target.body);
    if (target.track) return this.send(404, request);
    const sdp = target.stream.describe();
    if (sdp === undefined) return this.send(404, request);
    this.send(200, request, { 'Content-Base': target.base, 'Content-Type': 'application/sdp' }, sdp);
  }

  private async setup(request: RtspRequest): Promise<void> {
    const target = await this.service.resolve(request.url, 'SETUP', this);
    if (!target.ok) return this.refuse(request, target.status, target.body);
    if (this.isPlaying) return this.send(455, request);
    const transport = request.headers.get('transport') ?? '';
    // real cameras also offer UDP; this server sends interleaved TCP only, and ffmpeg falls back to it on 461
    if (!/RTP\/AVP\/TCP/i.test(transport)) return this.send(461, request);
    const asked = /interleaved=(\d+)/.exec(transport)?.[1];
    const used = new Set([...this.tracks.values()].map((t) => t.channel));
    let channel = asked !== undefined ? Number(asked) : 0;
    if (asked === undefined) while (used.has(channel)) channel += 2;
    if (channel > 254 || used.has(channel)) return this.send(461, request);
    this.sessionId ??= randomBytes(6).toString('hex').toUpperCase();
    this.tracks.set(target.stream.key, new Track(target.stream, channel, this.socket));
    this.send(200, request, {
      Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`,
      ...this.sessionHeader(),
    });
  }

  private async play(request: RtspRequest): Promise<void> {
    if (!this.sessionId || this.tracks.size === 0) return this.send(454, request);
    const target = await this.service.resolve(request.url, 'PLAY', this);
    if (!target.ok) return this.refuse(request, target.status, target.body);
    if (this.isClosed) return;
    this.send(200, request, { Range: 'npt=0.000-', ...this.sessionHeader() });
    if (this.isPlaying) return;
    this.isPlaying = true;
    for (const track of this.tracks.values()) {
      track.waitingForKeyframe = true;
      track.stream.subscribe(track, this);
    }
  }

  private stopTracks(): void {
    if (!this.isPlaying) return;
    this.isPlaying = false;
    for (const track of this.tracks.values()) track.stream.unsubscribe(track, this);
  }
}
