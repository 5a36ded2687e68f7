// Operators' live views of ward cameras: a relay per view, opened with cmd/live (the ward connects out to the hub
// and pushes fragmented MP4), bounded per ward, audited, and torn down a while after its last viewer leaves.
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { monotonicFactory } from 'ulid';
import type { Audit } from '../../shared/audit/index.js';
import type { LiveCommand } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { bearerMatches, checkLive, relayUrl, type LiveCheck } from './policy.js';
import { Relay, type RelayInfo, type RelayReader } from './relay.js';

const ulid = monotonicFactory();
/** How long a ward has to connect after cmd/live. */
const CONNECT_TIMEOUT_MS = 30_000;
/** Why recent relays ended, for a viewer who connects after the end. */
const ENDED_KEPT = 64;

export interface LiveRelaysOptions {
  audit: Audit;
  /** sends a command to a box */
  publish: (box: string, name: 'live', payload: LiveCommand) => Promise<void>;
  /** what the hub knows of wards, their boxes and cameras (their status topics) */
  wards: {
    wardKnown(ward: string): Promise<boolean>;
    cameraKnown(ward: string, camera: string): Promise<boolean>;
    /** the box that records the camera */
    boxOf(ward: string, camera: string): Promise<string>;
    cameraOnline(ward: string, camera: string): Promise<boolean>;
  };
  maxRelaysPerWard: number;
  lingerMs: number;
  connectTimeoutMs?: number;
  /** http.publicUrl: the base a ward uses to reach the hub; without it, the operator's request's own origin */
  publicUrl?: string | undefined;
  clock: () => number;
  logger: Logger;
}

export interface LiveRequest {
  ward: string;
  camera: string;
  stream: 'main' | 'sub';
  by: string;
  ip: string | null;
  /** the origin the operator reached the hub at (e.g. http://10.0.0.5:8443), used without a publicUrl */
  origin: string;
}

export interface RelayView extends RelayInfo {
  viewers: number;
  edgeConnected: boolean;
}

export class LiveRelays {
  private readonly relays = new Map<string, Relay>();
  /** relay id → its token until the ward presents it (single use) */
  private readonly tokens = new Map<string, string>();
  private readonly endedMessages = new Map<string, string>();
  private readonly log: Logger;

  private readonly audit: Audit;
  private readonly publish: LiveRelaysOptions['publish'];
  private readonly wards: LiveRelaysOptions['wards'];
  private readonly maxRelaysPerWard: number;
  private readonly lingerMs: number;
  private readonly connectTimeoutMs: number | undefined;
  private readonly publicUrl: string | undefined;
  private readonly clock: () => number;

  constructor({ audit, publish, wards, maxRelaysPerWard, lingerMs, connectTimeoutMs, publicUrl, clock, logger }: LiveRelaysOptions) {
    this.audit = audit;
    this.publish = publish;
    this.wards = wards;
    this.maxRelaysPerWard = maxRelaysPerWard;
    this.lingerMs = lingerMs;
    this.connectTimeoutMs = connectTimeoutMs;
    this.publicUrl = publicUrl;
    this.clock = clock;
    this.log = logger.child({ part: 'live' });
  }

  /** Checks, audits and opens a relay, then sends cmd/live to the ward; refusals name the field. */
  async open(r: LiveRequest): Promise<{ ok: true; relayId: string } | Extract<LiveCheck, { ok: false }>> {
    const wardKnown = await this.wards.wardKnown(r.ward);
    const cameraKnown = await this.wards.cameraKnown(r.ward, r.camera);
    const wardOnline = await this.wards.cameraOnline(r.ward, r.camera);
    // counted after the reads, with nothing awaited before the relay is added: the limit holds
    const check = checkLive({
      wardKnown,
      cameraKnown,
      wardOnline,
      openForWard: [...this.relays.values()].filter((x) => x.info.ward === r.ward).length,
      maxRelaysPerWard: this.maxRelaysPerWard,
    });
    if (!check.ok) return check;
    const relayId = ulid(this.clock());
    const token = randomBytes(32).toString('base64url');
    const info: RelayInfo = { relayId, ward: r.ward, camera: r.camera, stream: r.stream, requestedBy: r.by };
    const relay = new Relay(info, { lingerMs: this.lingerMs, connectTimeoutMs: this.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, logger: this.log, onEnd: (x) => this.forget(x) });
    this.relays.set(relayId, relay);
    this.tokens.set(relayId, token);
    await this.audit.record({ actor: r.by, action: 'live.view', target: relayId, ip: r.ip, detail: { ward: r.ward, camera: r.camera, stream: r.stream, via: 'hub' } });
    const cmd: LiveCommand = { msgId: ulid(this.clock()), relayId, camera: r.camera, stream: r.stream, url: relayUrl(this.publicUrl ?? r.origin, relayId), token, requestedBy: r.by };
    try {
      await this.publish(await this.wards.boxOf(r.ward, r.camera), 'live', cmd);
    } catch (err) {
      relay.end('stopped');
      this.log.error({ err, relayId }, 'cmd/live could not be published');
      return { ok: false, status: 409, field: 'ward', code: 'NOT_SENT', error: 'the command could not be sent to the ward: try again' };
    }
    this.log.info({ relayId, ward: r.ward, camera: r.camera, stream: r.stream, by: r.by }, 'live relay opened');
    return { ok: true, relayId };
  }

  /** The ward's connection for a relay: taken once, with the relay's token; anything else is refused (false). */
  attachEdge(relayId: string, authorization: string | undefined, socket: WebSocket): boolean {
    const relay = this.relays.get(relayId);
    const token = this.tokens.get(relayId);
    if (!relay || token === undefined || !bearerMatches(authorization, token)) return false;
    this.tokens.delete(relayId); // single use
    return relay.attachEdge(socket);
  }

  /** An operator's viewer socket; a relay that is gone is explained and closed. */
  watch(relayId: string, socket: WebSocket): void {
    const relay = this.relays.get(relayId);
    if (relay) return relay.addViewer(socket);
    const message = this.endedMessages.get(relayId) ?? 'no such live view (it ended or never existed): start it again';
    socket.send(JSON.stringify({ type: 'problem', code: 'ended', message }));
    socket.close(1000, 'no such relay');
  }

  /** A reader in the hub (the city's RTSP) of a relay; its leave function, or undefined for a relay that is gone. */
  read(relayId: string, reader: RelayReader): (() => void) | undefined {
    return this.relays.get(relayId)?.addReader(reader);
  }

  list(): RelayView[] {
    return [...this.relays.values()].map((r) => ({ ...r.info, viewers: r.viewerCount, edgeConnected: r.edgeConnected }));
  }

  /** Ends one relay (an operator's "stop"), or every relay (the hub stops). */
  close(relayId?: string): void {
    for (const r of [...this.relays.values()]) if (relayId === undefined || r.info.relayId === relayId) r.end('stopped');
  }

  private forget(relay: Relay): void {
    this.relays.delete(relay.info.relayId);
    this.tokens.delete(relay.info.relayId);
    this.endedMessages.set(relay.info.relayId, relay.endMessage ?? 'the live view ended');
    if (this.endedMessages.size > ENDED_KEPT) this.endedMessages.delete(this.endedMessages.keys().next().value!);
  }
}
