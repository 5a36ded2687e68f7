// Answers cmd/live on the ward box: connects out to the hub's relay WebSocket (boxes sit behind NAT) with the
// single-use token and pushes the camera's live stream into it (stream copy, the review page's readers); stops
// watching when the socket closes. A refusal is sent to the hub as a problem note, so the operator reads why.
import WebSocket from 'ws';
import type { LocalAudit } from '../../shared/audit/index.js';
import { decodeCommand, type LiveCommand } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import type { LiveStreams } from '../review/live-streams.js';
import { socketViewer } from '../review/routes-live.js';
import { decideLive, type LiveCamera } from './live-policy.js';

export interface LiveRelayServiceOptions {
  live: Pick<LiveStreams, 'watch'>;
  ward: string;
  cameras: readonly LiveCamera[];
  audit: LocalAudit;
  /** the hub's CA (hub.caFile) for wss:// */
  ca?: Buffer | undefined;
  logger: Logger;
  maxRelays?: number;
}

/** The hub sends nothing but control frames; a bound keeps a wrong peer from growing memory. */
const MAX_INBOUND_BYTES = 64 * 1024;
/**
 * Frames from a WebSocket client are masked (RFC 6455 §5.3) so that a browser's script cannot steer what a
 * caching proxy on its path reads; the box is no browser, and masking 4 Mbit/s costs a copy and an XOR of every
 * byte. With an all-zero key `ws` sends the bytes as they are (its documented `generateMask` option).
 */
const zeroMask = (mask: Buffer): void => void mask.fill(0);
/** A hub gone without closing (a dropped link) must not keep a camera reader running: ping, and give up unanswered. */
const PING_EVERY_MS = 15_000;

export class LiveRelayService {
  private readonly log: Logger;
  private readonly sockets = new Map<string, WebSocket>();

  private readonly live: Pick<LiveStreams, 'watch'>;
  private readonly ward: string;
  private readonly cameras: readonly LiveCamera[];
  private readonly audit: LocalAudit;
  private readonly ca: Buffer | undefined;
  private readonly maxRelays: number | undefined;

  constructor({ live, ward, cameras, audit, ca, logger, maxRelays }: LiveRelayServiceOptions) {
    this.live = live;
    this.ward = ward;
    this.cameras = cameras;
    this.audit = audit;
    this.ca = ca;
    this.maxRelays = maxRelays;
    this.log = logger.child({ part: 'live-relay' });
  }

  /** A `cmd/live` from the hub (the uplink's onCommand). Never throws. */
  command(name: string, payload: Buffer): void {
    const decoded = decodeCommand(name, payload);
    if (!decoded.ok) {
      this.log.warn({ command: name, reason: decoded.reason }, `command from the hub ignored: ${decoded.reason}`);
      return;
    }
    if (decoded.command.name === 'live') this.start(decoded.command.payload);
  }

  /** Relays running now (relay ids). */
  open(): string[] {
    return [...this.sockets.keys()];
  }

  stop(): void {
    for (const s of this.sockets.values()) s.close(1001, 'ward box stopping');
    this.sockets.clear();
  }

  private start(cmd: LiveCommand): void {
    if (this.sockets.has(cmd.relayId)) return; // QoS 1 may deliver a command twice
    const decision = decideLive(cmd, { ward: this.ward, cameras: this.cameras, open: this.open(), ...(this.maxRelays !== undefined ? { maxRelays: this.maxRelays } : {}) });
    let socket: WebSocket;
    try {
      socket = new WebSocket(cmd.url, { headers: { authorization: `Bearer ${cmd.token}` }, maxPayload: MAX_INBOUND_BYTES, handshakeTimeout: 10_000, generateMask: zeroMask, ...(this.ca ? { ca: this.ca } : {}) });
    } catch (err) {
      this.log.warn({ relayId: cmd.relayId, err: (err as Error).message }, 'cannot connect to the hub for a live view');
      return;
    }
    this.sockets.set(cmd.relayId, socket);
    let leave: (() => void) | undefined;
    let answered = true;
    const ping = setInterval(() => {
      if (!answered) return socket.terminate();
      answered = false;
      if (socket.readyState === socket.OPEN) socket.ping();
    }, PING_EVERY_MS);
    ping.unref();
    socket.on('pong', () => (answered = true));
    socket.on('open', () => {
      if (!decision.ok) {
        this.log.warn({ relayId: cmd.relayId, camera: cmd.camera, reason: decision.reason }, `live view refused: ${decision.reason}`);
        socket.send(JSON.stringify({ type: 'problem', code: 'refused', message: decision.reason }));
        socket.close(1008, 'refused');
        return;
      }
      const camera = decision.camera;
      this.audit.recordNow({ actor: `hub:${cmd.requestedBy}`, action: 'live.view', target: camera.id, ip: null, detail: { stream: cmd.stream, relayId: cmd.relayId, via: 'hub' } });
      this.log.info({ relayId: cmd.relayId, camera: camera.id, stream: cmd.stream, by: cmd.requestedBy }, 'live view to the hub started');
      leave = this.live.watch({ camera: camera.id, stream: cmd.stream, url: cmd.stream === 'main' ? camera.mainUrl : camera.subUrl, loopFile: camera.loopFile === true }, socketViewer(socket));
    });
    socket.on('close', () => {
      clearInterval(ping);
      leave?.();
      leave = undefined;
      if (this.sockets.get(cmd.relayId) === socket) this.sockets.delete(cmd.relayId);
      this.log.info({ relayId: cmd.relayId, camera: cmd.camera }, 'live view to the hub ended');
    });
    socket.on('error', (err) => this.log.warn({ relayId: cmd.relayId, err: err.message }, 'live view to the hub: socket error'));
  }
}
