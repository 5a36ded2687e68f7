// One live relay: the single edge WebSocket that pushes a camera's fragmented MP4, fanned out to the operators'
// viewer sockets and to readers in the hub (the city's RTSP). A new viewer or reader gets the init segment, then
// fragments from the latest keyframe on.
import type { RawData, WebSocket } from 'ws';
import { childBoxes, fragmentStartsWithKeyframe } from '../../shared/mp4-boxes.js';
import type { Logger } from '../../shared/log.js';

/** A viewer further behind than this skips fragments until the next keyframe (a slow operator link). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** Fragments kept for a viewer who joins between keyframes: a bound, in case a stream has no keyframes. */
const MAX_GOP_BYTES = 16 * 1024 * 1024;

export interface RelayInfo {
  relayId: string;
  ward: string;
  camera: string;
  stream: 'main' | 'sub';
  requestedBy: string;
}

interface Viewer {
  needKeyframe: boolean;
}

/** A reader in the hub (not a WebSocket): told the init segment, each fragment, and the end. It keeps up or drops. */
export interface RelayReader {
  init(init: Buffer, note: string): void;
  fragment(bytes: Buffer, keyframe: boolean): void;
  end(message: string): void;
}

type EndReason = 'linger' | 'edge-closed' | 'edge-timeout' | 'stopped';

const toBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

export class Relay {
  private edge: WebSocket | undefined;
  private tokenUsed = false;
  private initNote: string | undefined;
  private pendingNote: string | undefined;
  private init: Buffer | undefined;
  private gop: Buffer[] = [];
  private gopBytes = 0;
  private readonly viewers = new Map<WebSocket, Viewer>();
  private readonly readers = new Set<RelayReader>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /** the ward's last problem note (e.g. it refused the camera): the reason a late viewer is told */
  private lastProblem: string | undefined;
  /** why the relay ended, for viewers who come late */
  endMessage: string | undefined;
  /** bytes received from the ward (for status and the bench) */
  bytesIn = 0;

  /** how long the relay stays up after its last viewer leaves */
  private readonly lingerMs: number;
  private readonly logger: Logger;
  private readonly onEnd: (relay: Relay, reason: EndReason) => void;

  constructor(
    readonly info: RelayInfo,
    { lingerMs, connectTimeoutMs, logger, onEnd }: { lingerMs: number; connectTimeoutMs: number; logger: Logger; onEnd: (relay: Relay, reason: EndReason) => void },
  ) {
    this.lingerMs = lingerMs;
    this.logger = logger;
    this.onEnd = onEnd;
    // nobody may come: the operator's page closes before it connects, or the ward never gets the command
    this.lingerTimer = setTimeout(() => this.end('linger'), lingerMs);
    this.connectTimer = setTimeout(() => this.end('edge-timeout'), connectTimeoutMs);
  }

  get viewerCount(): number {
    return this.viewers.size + this.readers.size;
  }

  get edgeConnected(): boolean {
    return this.edge !== undefined;
  }

  /** Takes the ward's socket when the token has not been used yet; the caller checked the token. */
  attachEdge(socket: WebSocket): boolean {
    if (this.ended || this.tokenUsed) return false;
    this.tokenUsed = true;
    this.edge = socket;
    clearTimeout(this.connectTimer);
    socket.on('message', (data, isBinary) => this.fromEdge(toBuffer(data), isBinary));
    socket.on('close', () => this.end('edge-closed'));
    socket.on('error', () => socket.terminate());
    return true;
  }

  addViewer(socket: WebSocket): void {
    if (this.ended) {
      socket.close(1000, 'relay ended');
      return;
    }
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const viewer: Viewer = { needKeyframe: true };
    this.viewers.set(socket, viewer);
    socket.on('close', () => this.removeViewer(socket));
    socket.on('error', () => socket.terminate());
    if (this.init && this.initNote) {
      socket.send(this.initNote);
      socket.send(this.init);
      for (const f of this.gop) this.sendFragment(socket, viewer, f, f === this.gop[0]);
    }
  }

  /** Adds a reader in the hub; returns its leave function (the last one leaving starts the linger). */
  addReader(reader: RelayReader): () => void {
    if (this.ended) {
      reader.end(this.endMessage ?? 'the live view ended');
      return () => undefined;
    }
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.readers.add(reader);
    if (this.init && this.initNote) {
      reader.init(this.init, this.initNote);
      for (const f of this.gop) reader.fragment(f, f === this.gop[0]);
    }
    return () => {
      if (!this.readers.delete(reader) || this.viewerCount || this.ended) return;
      this.lingerTimer = setTimeout(() => this.end('linger'), this.lingerMs);
    };
  }

  /** Ends the relay: the ward's socket is closed (which stops its reader), viewers are told why. */
  end(reason: EndReason): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.lingerTimer);
    clearTimeout(this.connectTimer);
    const message =
      reason === 'edge-timeout' ? 'the ward box did not connect for the live view (is it online and able to reach the hub over http?)'
      : reason === 'edge-closed' ? (this.lastProblem ?? 'the ward box ended the live view')
      : 'the live view was closed';
    this.endMessage = message;
    for (const socket of this.viewers.keys()) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'problem', code: 'ended', message }));
      socket.close(1000, 'relay ended');
    }
    this.viewers.clear();
    for (const reader of this.readers) reader.end(message);
    this.readers.clear();
    if (this.edge && this.edge.readyState !== this.edge.CLOSED) this.edge.close(1000, 'relay ended');
    this.logger.info({ relayId: this.info.relayId, ward: this.info.ward, camera: this.info.camera, reason, bytesIn: this.bytesIn }, 'live relay ended');
    this.onEnd(this, reason);
  }

  private removeViewer(socket: WebSocket): void {
    if (!this.viewers.delete(socket) || this.viewerCount || this.ended) return;
    this.lingerTimer = setTimeout(() => this.end('linger'), this.lingerMs);
  }

  private fromEdge(data: Buffer, isBinary: boolean): void {
    this.bytesIn += data.length;
    if (!isBinary) return this.note(data.toString('utf8'));
    if (this.pendingNote) {
      // the binary message after an init note is the init segment (ftyp+moov)
      this.initNote = this.pendingNote;
      this.pendingNote = undefined;
      this.init = data;
      this.gop = [];
      this.gopBytes = 0;
      for (const [socket, viewer] of this.viewers) {
        if (socket.readyState !== socket.OPEN) continue;
        socket.send(this.initNote);
        socket.send(data);
        viewer.needKeyframe = true;
      }
      for (const reader of this.readers) reader.init(data, this.initNote);
      return;
    }
    if (!this.init) return; // a fragment before any init segment cannot be played
    const moof = childBoxes(data, 0)[0];
    if (moof?.type !== 'moof') {
      this.logger.warn({ relayId: this.info.relayId, box: moof?.type }, 'live relay: a message from the ward is not a media fragment; ending');
      this.end('edge-closed');
      return;
    }
    const keyframe = fragmentStartsWithKeyframe(moof.bytes);
    if (keyframe || this.gopBytes + data.length > MAX_GOP_BYTES) {
      this.gop = keyframe ? [data] : [];
      this.gopBytes = keyframe ? data.length : 0;
    } else if (this.gop.length) {
      this.gop.push(data);
      this.gopBytes += data.length;
    }
    for (const [socket, viewer] of this.viewers) this.sendFragment(socket, viewer, data, keyframe);
    for (const reader of this.readers) reader.fragment(data, keyframe);
  }

  private note(text: string): void {
    let note: { type?: unknown };
    try {
      note = JSON.parse(text) as { type?: unknown };
    } catch {
      return;
    }
    if (note.type === 'init') this.pendingNote = text;
    else if (note.type === 'problem') {
      const message = (note as { message?: unknown }).message;
      if (typeof message === 'string') this.lastProblem = message.slice(0, 500);
      for (const socket of this.viewers.keys()) if (socket.readyState === socket.OPEN) socket.send(text);
    }
  }

  private sendFragment(socket: WebSocket, viewer: Viewer, bytes: Buffer, keyframe: boolean): void {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      viewer.needKeyframe = true;
      return;
    }
    if (viewer.needKeyframe && !keyframe) return;
    viewer.needKeyframe = false;
    socket.send(bytes);
  }
}
