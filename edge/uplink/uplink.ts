// The uplink: one MQTT connection to the hub that drains the outbox (QoS 1, a window in flight, delete on PUBACK)
// and sends clip chunks once their manifest is acknowledged. The database is the only queue: nothing is kept in
// memory beyond the window, so a days-long outage costs disk, not RAM, and a restart loses nothing.
import { open, type FileHandle } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import type { Outbox, OutboxRow } from './outbox.js';

export interface UplinkOptions {
  outbox: Outbox;
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
  private readonly backoff: Backoff;
  private readonly counters = { published: 0, acked: 0, chunksAcked: 0, connects: 0 };

  constructor(private readonly o: UplinkOptions) {
    this.window = o.window ?? 128;
    this.chunkWindow = o.chunkWindow ?? 16;
    this.backoff = o.backoff ?? new Backoff();
  }

  start(): void {
    this.connect();
    // rows written by other code paths are picked up at once through notify(); this poll is the safety net
    this.pollTimer = setInterval(() => this.pump(), 500);
  }

  /** Call after enqueueing, to publish without waiting for the poll. */
  notify(): void {
    setImmediate(() => this.pump());
  }

  stats(): UplinkStats {
    return { connected: this.connected, inFlight: this.inFlight, ...this.counters };
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
    this.flushAcks();
    await this.closeClips();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  private connect(): void {
    if (this.stopped) return;
    const generation = ++this.generation;
    const client = mqtt.connect(this.o.url, {
      clientId: `ward-${this.o.ward}`,
      username: this.o.username,
      password: this.o.password,
      protocolVersion: 4,
      clean: true,
      // we reconnect ourselves, from the database: a fresh client each time, no in-memory resend queue
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(this.o.ca ? { ca: this.o.ca, rejectUnauthorized: true } : {}),
      will: { topic: topics.wardStatus(this.o.ward), payload: Buffer.from(JSON.stringify({ state: 'offline', ward: this.o.ward })), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', () => {
      if (generation !== this.generation) return;
      this.connected = true;
      this.connectedAt = Date.now();
      this.counters.connects++;
      this.o.logger.info({ url: this.o.url, backlog: this.o.outbox.depth() }, 'connected to the hub');
      client.subscribe(topics.commandFilter(this.o.ward), { qos: 1 });
      this.sendStatus();
      clearInterval(this.statusTimer);
      this.statusTimer = setInterval(() => this.sendStatus(), this.o.statusEveryMs ?? 30_000);
      this.pump();
    });
    client.on('message', (topic, payload) => {
      const name = topic.split('/').pop();
      if (name && this.o.onCommand) this.o.onCommand(name, payload);
    });
    client.on('error', (err) => {
      if (generation === this.generation) this.o.logger.warn({ err: err.message }, 'hub connection error');
    });
    client.on('close', () => {
      if (generation !== this.generation) return;
      this.onDisconnect();
    });
  }

  private onDisconnect(): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.generation++; // acks of the old connection no longer count: those rows will be sent again
    clearInterval(this.statusTimer);
    const old = this.client;
    this.client = undefined;
    old?.end(true);
    this.flushAcks();
    this.inFlight = 0;
    this.chunksInFlight = 0;
    this.cursor = 0;
    void this.closeClips();
    if (this.stopped) return;
    const delay = this.backoff.next(wasConnected ? Date.now() - this.connectedAt : 0);
    if (wasConnected) this.o.logger.warn({ retryInMs: delay, backlog: this.o.outbox.depth() }, 'lost the hub connection');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private sendStatus(): void {
    if (this.o.status) this.publishRetained(topics.wardStatus(this.o.ward), this.o.status());
  }

  private pump(): void {
    if (!this.connected || this.stopped) return;
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
    const generation = this.generation;
    if (!client) return;
    const chunkShare = Math.max(4, Math.floor(this.window / 4));
    const rowRoom = this.window - this.inFlight - (this.clips.size || this.hasClipsWaiting() ? chunkShare : 0);
    if (rowRoom > 0) {
      for (const row of this.o.outbox.next(this.cursor, rowRoom)) {
        this.cursor = row.seq;
        this.inFlight++;
        this.counters.published++;
        client.publish(row.topic, row.payload, { qos: 1, retain: row.retain === 1 }, (err) => {
          if (generation !== this.generation) return;
          this.inFlight--;
          if (err) return; // the connection is going down; the row stays and is sent again
          this.counters.acked++;
          this.ackedRows.push({ seq: row.seq, clip_event_id: row.clip_event_id });
          this.scheduleFlush();
          this.pump();
        });
      }
    }
    await this.fillChunks(client, generation);
  }

  private hasClipsWaiting(): boolean {
    return this.o.outbox.clipsToSend(1).length > 0;
  }

  private async fillChunks(client: MqttClient, generation: number): Promise<void> {
    if (this.clips.size === 0) {
      for (const c of this.o.outbox.clipsToSend(2)) {
        this.clips.set(c.event_id, { eventId: c.event_id, path: c.path, chunks: c.chunks, chunkBytes: c.chunk_bytes, bytes: c.bytes, nextToSend: c.next_chunk, acked: new Set(), ackedBelow: c.next_chunk });
      }
    }
    for (const clip of this.clips.values()) {
      if (!clip.file) {
        try {
          clip.file = await open(clip.path, 'r');
        } catch (err) {
          this.o.logger.error({ eventId: clip.eventId, path: clip.path, err: (err as Error).message }, 'clip file is gone; its upload failed');
          this.o.outbox.failClip(clip.eventId, `cannot read ${clip.path}: ${(err as Error).message}`);
          this.clips.delete(clip.eventId);
          continue;
        }
      }
      while (this.inFlight < this.window && this.chunksInFlight < this.chunkWindow && clip.nextToSend < clip.chunks && generation === this.generation) {
        const index = clip.nextToSend++;
        const length = Math.min(clip.chunkBytes, clip.bytes - index * clip.chunkBytes);
        const buffer = Buffer.allocUnsafe(length);
        this.inFlight++;
        this.chunksInFlight++;
        const { bytesRead } = await clip.file.read(buffer, 0, length, index * clip.chunkBytes);
        if (generation !== this.generation) return;
        if (bytesRead !== length) {
          this.inFlight--;
          this.chunksInFlight--;
          this.o.outbox.failClip(clip.eventId, `clip file shorter than its manifest (${clip.path})`);
          this.clips.delete(clip.eventId);
          break;
        }
        this.counters.published++;
        client.publish(topics.clipChunk(this.o.ward, clip.eventId, index), buffer, { qos: 1 }, (err) => {
          if (generation !== this.generation) return;
          this.inFlight--;
          this.chunksInFlight--;
          if (err) return;
          this.counters.chunksAcked++;
          this.chunkAcked(clip, index);
          this.pump();
        });
      }
    }
  }

  private chunkAcked(clip: ClipCursor, index: number): void {
    clip.acked.add(index);
    while (clip.acked.delete(clip.ackedBelow)) clip.ackedBelow++;
    if (clip.ackedBelow === clip.chunks) {
      this.finishedClips.push(clip.eventId);
      this.clipProgress.delete(clip.eventId);
      void clip.file?.close();
      this.clips.delete(clip.eventId);
      this.o.logger.info({ eventId: clip.eventId, bytes: clip.bytes }, 'clip delivered to the hub');
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
    this.o.outbox.acknowledge(rows, progress, finished);
  }

  private async closeClips(): Promise<void> {
    const clips = [...this.clips.values()];
    this.clips = new Map();
    await Promise.all(clips.map((c) => c.file?.close().catch(() => undefined)));
  }
}
