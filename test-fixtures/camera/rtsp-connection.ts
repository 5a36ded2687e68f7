// One RTSP client connection to a fake camera: the request state machine (OPTIONS, DESCRIBE,
// SETUP over TCP interleaved, PLAY, PAUSE, TEARDOWN, GET/SET_PARAMETER), Digest checks, and the
// tracks that copy feeder packets onto the socket.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { challenge, verify, type DigestPolicy } from './digest.js';
import type { Feeder, FeederSubscriber, PacketBatch } from './feeder.js';
import { formatResponse, RtspParseError, RtspReader, type RtspRequest } from './rtsp-message.js';
import type { StreamName } from './scenes.js';
import { describeStream } from './sdp.js';

/** A reader this far behind gets frames dropped up to the next keyframe, as a camera would. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

const PUBLIC_METHODS = 'OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER';

/** What a connection needs from its camera. */
export interface CameraSide {
  readonly id: string;
  readonly frozen: boolean;
  readonly auth: DigestPolicy | undefined;
  readonly sessionTimeoutSeconds: number;
  /** SDP `o=` id, stable for the camera's life */
  readonly sdpSessionId: string;
  stream(name: StreamName): { feeder: Feeder; fps: number };
}

/** One SETUP'd stream of a session: copies packets to the socket once PLAY started it. */
class Track implements FeederSubscriber {
  /** a new or resumed reader starts at a keyframe */
  waitingForKeyframe = true;

  constructor(
    readonly stream: StreamName,
    readonly channel: number,
    private readonly socket: Socket,
    private readonly camera: CameraSide,
  ) {}

  deliver(batch: PacketBatch): void {
    if (this.camera.frozen || this.socket.destroyed) {
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

interface StreamPath {
  stream: StreamName;
  track: string | undefined;
  /** `rtsp://host:port/<stream>/`: the Content-Base track URLs are relative to */
  base: string;
}

function parseStreamPath(url: string): StreamPath | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const [stream, track, ...rest] = parsed.pathname.split('/').filter(Boolean);
  if ((stream !== 'main' && stream !== 'sub') || rest.length > 0) return undefined;
  if (track !== undefined && track !== 'trackID=0') return undefined;
  return { stream, track, base: `${parsed.protocol}//${parsed.host}/${stream}/` };
}

export class RtspConnection {
  private readonly reader = new RtspReader();
  private sessionId: string | undefined;
  private readonly tracks = new Map<StreamName, Track>();
  private playing = false;
  /** last time the client showed life (any request, or RTCP over the interleaved channel) */
  lastActivityMs = Date.now();

  constructor(
    private readonly socket: Socket,
    private readonly camera: CameraSide,
    private readonly onClose: (connection: RtspConnection) => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined); // a reader vanishing is normal life for a camera
    socket.on('close', () => {
      this.stopTracks();
      this.onClose(this);
    });
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
        this.socket.end(formatResponse(400, undefined, {}));
        return;
      }
      throw error;
    }
    for (const input of inputs) {
      // interleaved input is the client's RTCP receiver reports: only proof of life
      if (input.kind === 'request') this.handle(input.request);
    }
  }

  private send(status: number, request: RtspRequest, headers: Record<string, string> = {}, body?: string): void {
    if (this.socket.destroyed) return;
    this.socket.write(formatResponse(status, request.headers.get('cseq'), headers, body));
  }

  private sessionHeader(): Record<string, string> {
    return this.sessionId ? { Session: `${this.sessionId};timeout=${this.camera.sessionTimeoutSeconds}` } : {};
  }

  private handle(request: RtspRequest): void {
    const { method } = request;
    if (method === 'OPTIONS') {
      this.send(200, request, { Public: PUBLIC_METHODS, ...this.sessionHeader() });
      return;
    }
    const auth = this.camera.auth;
    if (auth) {
      const verdict = verify(auth, method, request.headers.get('authorization'), Date.now());
      if (verdict !== 'ok') {
        this.send(401, request, { 'WWW-Authenticate': challenge(auth, Date.now(), verdict === 'stale') });
        return;
      }
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

  private describe(request: RtspRequest): void {
    const target = parseStreamPath(request.url);
    if (!target || target.track) return this.send(404, request);
    const { feeder, fps } = this.camera.stream(target.stream);
    if (!feeder.media) return this.send(404, request);
    const sdp = describeStream(feeder.media, { sessionId: this.camera.sdpSessionId, fps, name: `${this.camera.id} ${target.stream}` });
    this.send(200, request, { 'Content-Base': target.base, 'Content-Type': 'application/sdp' }, sdp);
  }

  private setup(request: RtspRequest): void {
    const target = parseStreamPath(request.url);
    if (!target) return this.send(404, request);
    if (this.playing) return this.send(455, request);
    const transport = request.headers.get('transport') ?? '';
    // real cameras also offer UDP; ours serve interleaved TCP only, and ffmpeg falls back to it on 461
    if (!/RTP\/AVP\/TCP/i.test(transport)) return this.send(461, request);
    const asked = /interleaved=(\d+)/.exec(transport)?.[1];
    const used = new Set([...this.tracks.values()].map((t) => t.channel));
    let channel = asked !== undefined ? Number(asked) : 0;
    if (asked === undefined) while (used.has(channel)) channel += 2;
    if (channel > 254 || used.has(channel)) return this.send(461, request);
    this.sessionId ??= randomBytes(6).toString('hex').toUpperCase();
    this.tracks.set(target.stream, new Track(target.stream, channel, this.socket, this.camera));
    this.send(200, request, {
      Transport: `RTP/AVP/TCP;unicast;interleaved=${channel}-${channel + 1}`,
      ...this.sessionHeader(),
    });
  }

  private play(request: RtspRequest): void {
    if (!this.sessionId || this.tracks.size === 0) return this.send(454, request);
    this.send(200, request, { Range: 'npt=0.000-', ...this.sessionHeader() });
    this.playing = true;
    for (const track of this.tracks.values()) {
      track.waitingForKeyframe = true;
      this.camera.stream(track.stream).feeder.subscribe(track);
    }
  }

  private stopTracks(): void {
    this.playing = false;
    for (const track of this.tracks.values()) this.camera.stream(track.stream).feeder.unsubscribe(track);
  }
}
