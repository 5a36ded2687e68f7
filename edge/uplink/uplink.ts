// The uplink: one MQTT connection to the hub that drains the outbox (QoS 1, a window in flight) and sends clip chunks
// once their manifest is acknowledged. A row leaves on the hub's confirmation: its `cmd/ack`, or the PUBACK of a hub
// whose broker sends it after the commit (`cmd/delivery` says which; delivery-policy.ts decides). The database is the
// only queue: nothing is kept in
// memory beyond the window, so a days-long outage costs disk, not RAM, and a restart loses nothing.
import { open, type FileHandle } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeCommand, topics, type AckCommand, type DeliveryConfirmation } from '../../shared/contract/index.js';
import { boxLogin } from '../../shared/config/box-id.js';
import type { Logger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import { explainHubError, formatHubProblem, type HubTarget } from './hub-problem.js';
import { leavesOutbox, resendDue, RESEND_DEFAULTS, storedConfirmation, type ResendTiming } from './delivery-policy.js';
import type { Outbox, OutboxRow } from './outbox.js';

/** uplink_state key of what the hub said in `cmd/delivery` */
const CONFIRM_STATE = 'hubConfirm';
/** clip chunks of one clip sent but not yet confirmed by a `cmd/ack` (each 256 KiB held by the broker, not here) */
const CHUNKS_AWAITING_PER_CLIP = 64;

export interface UplinkOptions {
  outbox: Outbox;
  /** the box id (shared/config/box-id.ts): its topics, the `ward` of its Will and its client id ward-<id> */
  ward: string;
  /** mqtt://host:port or mqtts://host:port (host as an address) */
  url: string;
  username: string;
  password: string;
  ca?: Buffer | undefined;
  logger: Logger;
  /** messages in flight at once */
  window?: number;
  /** clip chunks in flight at once (within the window): each holds 256 KiB of memory until its PUBACK */
  chunkWindow?: number;
  /** box status published (retained) on connect and every statusEveryMs */
  status?: () => object;
  statusEveryMs?: number;
  /** commands from the hub (`cmd/<name>`) */
  onCommand?: (name: string, payload: Buffer) => void;
  backoff?: Backoff;
  /** edge.yaml's names for this connection, so a failure names the key to fix (default: from `url`); `ward`: the box's ward when it has a box.id */
  hubKeys?: { tokenSecret?: string; caFile?: string | undefined; ward?: string | undefined };
  /** messages the broker took (PUBACK) that may wait for the hub's `cmd/ack` at once (default 4096) */
  awaitWindow?: number;
  /** when what the hub has not confirmed is sent again (default: after 30 s, doubling up to 10 min) */
  resend?: ResendTiming;
  /** a box that never heard the hub's `cmd/delivery` waits this long after subscribing before it sends (default 1000) */
  deliveryWaitMs?: number;
}

interface ClipCursor {
  eventId: string;
  path: string;
  chunks: number;
  chunkBytes: number;
  bytes: number;
  nextToSend: number;
  /** chunks acknowledged at or above `ackedBelow` */
  acked: Set<number>;
  ackedBelow: number;
  file?: FileHandle;
}

export interface UplinkStats {
  connected: boolean;
  published: number;
  acked: number;
  chunksAcked: number;
  connects: number;
  inFlight: number;
  /** taken by the broker, waiting for the hub's `cmd/ack` */
  awaitingHub: number;
  /** how the hub confirms delivery (`cmd/delivery`); undefined: it never said (PUBACK, as old hubs) */
  confirm: DeliveryConfirmation | undefined;
  resends: number;
}

export class Uplink {
  private client: MqttClient | undefined;
  private generation = 0;
  private connected = false;
  private stopped = false;
  private cursor = 0;
  private inFlight = 0;
  private chunksInFlight = 0;
  private pumping = false;
  /** a pump was asked for while one ran: run again, or acks that came meanwhile would wait for the poll */
  private pumpAgain = false;
  private readonly window: number;
  private readonly chunkWindow: number;
  private readonly ackedRows: Pick<OutboxRow, 'seq' | 'clip_event_id'>[] = [];
  private readonly clipProgress = new Map<string, number>();
  private readonly finishedClips: string[] = [];
  private clips = new Map<string, ClipCursor>();
  private flushTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectedAt = 0;
  /** bumped when the window starts over (a new connection, or a resend): PUBACKs of an older round do not count */
  private round = 0;
  /** may rows go out on this connection: after the SUBACK, and once the hub's `cmd/delivery` came or was waited for */
  private ready = false;
  private readyTimer: NodeJS.Timeout | undefined;
  private confirm: DeliveryConfirmation | undefined;
  /** rows (by msgId) and chunks (`<eventId>/<n>`) the broker took, waiting for the hub's `cmd/ack`: key → since */
  private readonly awaiting = new Map<string, number>();
  /** acked by the hub before their PUBACK reached us (the broker delivers to the hub and acks us at once) */
  private readonly ackedEarly = new Set<string>();
  private resendAttempt = 0;
  private readonly awaitWindow: number;
  /** the last connection problem logged: logged again only when it changes (not on every retry) */
  private lastProblem: string | undefined;
  private readonly backoff: Backoff;
  private readonly counters = { published: 0, acked: 0, chunksAcked: 0, connects: 0, resends: 0 };

  private readonly outbox: Outbox;
  private readonly ward: string;
  private readonly url: string;
  private readonly username: string;
  private readonly password: string;
  private readonly ca: Buffer | undefined;
  private readonly logger: Logger;
  private readonly status: (() => object) | undefined;
  private readonly statusEveryMs: number | undefined;
  private readonly onCommand: ((name: string, payload: Buffer) => void) | undefined;
  private readonly hubKeys: UplinkOptions['hubKeys'];
  private readonly resend: ResendTiming | undefined;
  private readonly deliveryWaitMs: number | undefined;

  constructor({ outbox, ward, url, username, password, ca, logger, window, chunkWindow, status, statusEveryMs, onCommand, backoff, hubKeys, awaitWindow, resend, deliveryWaitMs }: UplinkOptions) {
    this.outbox = outbox;
    this.ward = ward;
    this.url = url;
    this.username = username;
    this.password = password;
    this.ca = ca;
    this.logger = logger;
    this.status = status;
    this.statusEveryMs = statusEveryMs;
    this.onCommand = onCommand;
    this.hubKeys = hubKeys;
    this.resend = resend;
    this.deliveryWaitMs = deliveryWaitMs;
    this.window = window ?? 128;
    this.chunkWindow = chunkWindow ?? 16;
    this.backoff = backoff ?? new Backoff();
    this.awaitWindow = awaitWindow ?? 4096;
    this.confirm = storedConfirmation(outbox.state(CONFIRM_STATE));
  }

  start(): void {
    this.connect();
    // rows written by other code paths are picked up at once through notify(); this poll is the safety net
    this.pollTimer = setInterval(() => {
      this.checkResend();
      this.pump();
    }, 500);
  }

  /** Call after enqueueing, to publish without waiting for the poll. */
  notify(): void {
    setImmediate(() => this.pump());
  }

  stats(): UplinkStats {
    return { connected: this.connected, inFlight: this.inFlight, awaitingHub: this.awaiting.size, confirm: this.confirm, ...this.counters };
  }

  /** Publishes retained status directly (not through the outbox: only the latest status matters). */
  publishRetained(topic: string, payload: object): void {
    if (this.connected) this.client?.publish(topic, JSON.stringify(payload), { qos: 1, retain: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.statusTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.readyTimer);
    this.flushAcks();
    await this.closeClips();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  private connect(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const client = mqtt.connect(this.url, {
      clientId: boxLogin(this.ward),
      username: this.username,
      password: this.password,
      protocolVersion: 4,
      clean: true,
      // we reconnect ourselves, from the database: a fresh client each time, no in-memory resend queue
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(this.ca ? { ca: this.ca, rejectUnauthorized: true } : {}),
      will: { topic: topics.wardStatus(this.ward), payload: Buffer.from(JSON.stringify({ state: 'offline', ward: this.ward })), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      if (generation !== this.generation) return;
      this.connected = true;
      this.connectedAt = Date.now();
      this.counters.connects++;
      this.logger.info({ url: this.url, backlog: this.outbox.depth() }, this.lastProblem ? 'connected to the hub (the problem before is gone)' : 'connected to the hub');
      this.lastProblem = undefined;
      this.ready = false;
      // rows wait for the SUBACK: the hub's retained `cmd/delivery` comes with it and says when a row may leave
      client.subscribe(topics.commandFilter(this.ward), { qos: 1 }, () => {
        if (generation !== this.generation) return;
        if (this.confirm !== undefined) this.setReady();
        else this.readyTimer = setTimeout(() => this.setReady(), this.deliveryWaitMs ?? 1000);
      });
      this.sendStatus();
      clearInterval(this.statusTimer);
      this.statusTimer = setInterval(() => this.sendStatus(), this.statusEveryMs ?? 30_000);
      this.pump();
    });
    client.on('message', (topic, payload) => {
      const name = topic.split('/').pop();
      if (generation !== this.generation) return;
      if (name === 'ack' || name === 'delivery') this.deliveryCommand(name, payload);
      else if (name && this.onCommand) this.onCommand(name, payload);
    });
    client.on('error', (err) => {
      if (generation === this.generation) this.reportProblem(err);
    });
    client.on('close', () => {
      if (generation !== this.generation) return;
      this.onDisconnect();
    });
  }

  private target(): HubTarget {
    const u = new URL(this.url);
    return { host: u.hostname, port: Number(u.port), tls: u.protocol === 'mqtts:', caFile: this.hubKeys?.caFile, tokenSecret: this.hubKeys?.tokenSecret ?? 'hub-token', box: this.ward, ward: this.hubKeys?.ward };
  }

  /** A failed connection names the edge.yaml key to fix; the same problem again (every retry) is not logged again. */
  private reportProblem(err: Error): void {
    const problem = explainHubError(err as Error & { code?: unknown }, this.target());
    const text = formatHubProblem(problem);
    if (text === this.lastProblem) return;
    this.lastProblem = text;
    this.logger.warn({ err: err.message, problem: problem.kind, key: problem.key, fix: problem.fix }, `hub connection: ${text}`);
  }

  private onDisconnect(): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.generation++; // acks of the old connection no longer count: those rows will be sent again
    clearInterval(this.statusTimer);
    clearTimeout(this.readyTimer);
    this.ready = false;
    const old = this.client;
    this.client = undefined;
    old?.end(true);
    this.startOver();
    if (this.stopped) return;
    const delay = this.backoff.next(wasConnected ? Date.now() - this.connectedAt : 0);
    if (wasConnected) this.logger.warn({ retryInMs: delay, backlog: this.outbox.depth() }, 'lost the hub connection');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** The window starts over from the oldest row: everything not confirmed yet is sent again (the hub ignores repeats). */
  private startOver(): void {
    this.round++;
    this.flushAcks();
    this.inFlight = 0;
    this.chunksInFlight = 0;
    this.cursor = 0;
    this.awaiting.clear();
    this.ackedEarly.clear();
    void this.closeClips();
  }

  private setReady(): void {
    clearTimeout(this.readyTimer);
    if (this.ready || !this.connected) return;
    this.ready = true;
    this.pump();
  }

  /** `cmd/ack` and `cmd/delivery`: validated like every command; a bad one is logged and ignored. */
  private deliveryCommand(name: string, payload: Buffer): void {
    const decoded = decodeCommand(name, payload);
    if (!decoded.ok) {
      this.logger.warn({ command: name, reason: decoded.reason }, `command from the hub ignored: ${decoded.reason}`);
      return;
    }
    const cmd = decoded.command;
    if (cmd.name === 'ack') this.hubAck(cmd.payload);
    else if (cmd.name === 'delivery') {
      const changed = cmd.payload.confirm !== this.confirm;
      if (changed) {
        this.logger.info({ confirm: cmd.payload.confirm }, cmd.payload.confirm === 'ack' ? "the hub confirms each message (cmd/ack): rows leave the outbox on the hub's ack" : "the hub's broker confirms each message after its commit: rows leave the outbox on PUBACK");
        this.outbox.setState(CONFIRM_STATE, cmd.payload.confirm);
        const wasAck = this.confirm === 'ack';
        this.confirm = cmd.payload.confirm;
        // what waited for an ack that will not come any more is sent again, under the new rule
        if (wasAck) this.startOver();
      }
      this.setReady();
    }
  }

  /** The hub committed these: their rows leave the outbox, their chunks count as delivered. */
  private hubAck(ack: AckCommand): void {
    this.flushAcks();
    const settled = this.outbox.settle(ack.msgIds);
    this.counters.acked += settled;
    // bounded: entries of rows sent in an earlier round never meet their PUBACK
    if (this.ackedEarly.size > 2 * this.awaitWindow) this.ackedEarly.clear();
    const confirmed = (key: string) => {
      if (!this.awaiting.delete(key)) this.ackedEarly.add(key);
    };
    for (const id of ack.msgIds) confirmed(id);
    for (const { eventId, n } of ack.chunks ?? []) {
      const clip = this.clips.get(eventId);
      for (const index of n) {
        confirmed(`${eventId}/${index}`);
        if (clip && index >= clip.ackedBelow && leavesOutbox(this.confirm, true, 'hubAck')) {
          this.counters.chunksAcked++;
          this.chunkAcked(clip, index);
        }
      }
    }
    this.resendAttempt = 0;
    this.pump();
  }

  /** Sends again what the broker took but the hub has not confirmed for too long (delivery-policy.ts). */
  private checkResend(): void {
    if (!this.connected || this.stopped || this.awaiting.size === 0) return;
    const oldest = this.awaiting.values().next().value;
    if (!resendDue(Date.now(), oldest, this.resendAttempt, this.resend ?? RESEND_DEFAULTS)) return;
    this.logger.warn({ waiting: this.awaiting.size, attempt: this.resendAttempt + 1 }, "the hub has not confirmed messages the broker took: sending them again");
    this.resendAttempt++;
    this.counters.resends++;
    this.startOver();
    this.pump();
  }

  private sendStatus(): void {
    if (this.status) this.publishRetained(topics.wardStatus(this.ward), this.status());
  }

  private pump(): void {
    if (!this.connected || !this.ready || this.stopped) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.pumpAgain = false;
    void this.fill().finally(() => {
      this.pumping = false;
      if (this.pumpAgain) this.pump();
    });
  }

  /** Fills the window: outbox rows first, but chunks always get a share so clips are not starved by events. */
  private async fill(): Promise<void> {
    const client = this.client;
    const round = this.round;
    if (!client) return;
    const chunkShare = Math.max(4, Math.floor(this.window / 4));
    const rowRoom = Math.min(this.window - this.inFlight - (this.clips.size || this.hasClipsWaiting() ? chunkShare : 0), this.awaitWindow - this.awaiting.size);
    if (rowRoom > 0) {
      for (const row of this.outbox.next(this.cursor, rowRoom)) {
        this.cursor = row.seq;
        this.inFlight++;
        this.counters.published++;
        client.publish(row.topic, row.payload, { qos: 1, retain: row.retain === 1 }, (err) => {
          if (round !== this.round) return;
          this.inFlight--;
          if (err) return; // the connection is going down; the row stays and is sent again
          if (leavesOutbox(this.confirm, row.msg_id !== null, 'puback')) {
            this.counters.acked++;
            this.ackedRows.push({ seq: row.seq, clip_event_id: row.clip_event_id });
            this.scheduleFlush();
          } else if (!this.ackedEarly.delete(row.msg_id!)) this.awaiting.set(row.msg_id!, Date.now());
          this.pump();
        });
      }
    }
    await this.fillChunks(client, round);
  }

  private hasClipsWaiting(): boolean {
    return this.outbox.clipsToSend(1).length > 0;
  }

  private async fillChunks(client: MqttClient, round: number): Promise<void> {
    if (this.clips.size === 0) {
      for (const c of this.outbox.clipsToSend(2)) {
        this.clips.set(c.event_id, { eventId: c.event_id, path: c.path, chunks: c.chunks, chunkBytes: c.chunk_bytes, bytes: c.bytes, nextToSend: c.next_chunk, acked: new Set(), ackedBelow: c.next_chunk });
      }
    }
    for (const clip of this.clips.values()) {
      if (!clip.file) {
        try {
          clip.file = await open(clip.path, 'r');
        } catch (err) {
          this.logger.error({ eventId: clip.eventId, path: clip.path, err: (err as Error).message }, 'clip file is gone; its upload failed');
          this.outbox.failClip(clip.eventId, `cannot read ${clip.path}: ${(err as Error).message}`);
          this.clips.delete(clip.eventId);
          continue;
        }
      }
      const waitsForAcks = this.confirm === 'ack';
      while (this.inFlight < this.window && this.chunksInFlight < this.chunkWindow && clip.nextToSend < clip.chunks && round === this.round && (!waitsForAcks || clip.nextToSend - clip.ackedBelow < CHUNKS_AWAITING_PER_CLIP)) {
        const index = clip.nextToSend++;
        const length = Math.min(clip.chunkBytes, clip.bytes - index * clip.chunkBytes);
        const buffer = Buffer.allocUnsafe(length);
        this.inFlight++;
        this.chunksInFlight++;
        const { bytesRead } = await clip.file.read(buffer, 0, length, index * clip.chunkBytes);
        if (round !== this.round) return;
        if (bytesRead !== length) {
          this.inFlight--;
          this.chunksInFlight--;
          this.outbox.failClip(clip.eventId, `clip file shorter than its manifest (${clip.path})`);
          this.clips.delete(clip.eventId);
          break;
        }
        this.counters.published++;
        client.publish(topics.clipChunk(this.ward, clip.eventId, index), buffer, { qos: 1 }, (err) => {
          if (round !== this.round) return;
          this.inFlight--;
          this.chunksInFlight--;
          if (err) return;
          if (leavesOutbox(this.confirm, true, 'puback')) {
            this.counters.chunksAcked++;
            this.chunkAcked(clip, index);
          } else if (index >= clip.ackedBelow && !this.ackedEarly.delete(`${clip.eventId}/${index}`)) this.awaiting.set(`${clip.eventId}/${index}`, Date.now());
          this.pump();
        });
      }
    }
  }

  private chunkAcked(clip: ClipCursor, index: number): void {
    clip.acked.add(index);
    while (clip.acked.delete(clip.ackedBelow)) clip.ackedBelow++;
    // a `cmd/ack` may confirm chunks this round has not sent again yet
    clip.nextToSend = Math.max(clip.nextToSend, clip.ackedBelow);
    if (clip.ackedBelow === clip.chunks) {
      this.finishedClips.push(clip.eventId);
      this.clipProgress.delete(clip.eventId);
      void clip.file?.close();
      this.clips.delete(clip.eventId);
      this.logger.info({ eventId: clip.eventId, bytes: clip.bytes }, 'clip delivered to the hub');
      // at once, so the next fill does not read this clip back from the database as still pending
      this.flushAcks();
      return;
    }
    this.clipProgress.set(clip.eventId, clip.ackedBelow);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.ackedRows.length >= 512) this.flushAcks();
    else this.flushTimer ??= setTimeout(() => this.flushAcks(), 10);
  }

  /** Deletes acknowledged rows in one transaction: batching keeps thousands of acks a second cheap. */
  private flushAcks(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (!this.ackedRows.length && !this.clipProgress.size && !this.finishedClips.length) return;
    const rows = this.ackedRows.splice(0);
    const finished = this.finishedClips.splice(0);
    const progress = new Map(this.clipProgress);
    this.clipProgress.clear();
    this.outbox.acknowledge(rows, progress, finished);
  }

  private async closeClips(): Promise<void> {
    const clips = [...this.clips.values()];
    this.clips = new Map();
    await Promise.all(clips.map((c) => c.file?.close().catch(() => undefined)));
  }
}
