// The edge outbox: writing messages (inside the caller's transaction), reading the backlog in pages, and acks.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { monotonicFactory } from 'ulid';
import { CLIP_CHUNK_BYTES, topics, type ClipManifest } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';

const ulid = monotonicFactory();

/** A stable message id: written into the payload once, so every resend carries the same one. */
export function newMsgId(now = Date.now()): string {
  return ulid(now);
}

export interface OutboxRow {
  seq: number;
  topic: string;
  payload: Buffer;
  retain: number;
  clip_event_id: string | null;
  /** the payload's msgId: the hub names it in `cmd/ack` (null for a message without one) */
  msg_id: string | null;
}

export interface ClipUpload {
  event_id: string;
  camera: string;
  path: string;
  bytes: number;
  sha256: string;
  chunk_bytes: number;
  chunks: number;
  manifest_acked: number;
  next_chunk: number;
}

/** Statements over the outbox tables of one db. All writes are synchronous, so they join the caller's transaction. */
export class Outbox {
  private readonly insert;
  private readonly page;
  private readonly remove;
  private readonly count;
  private readonly insertClip;
  private readonly manifestAcked;
  private readonly clipProgress;
  private readonly clipDone;
  private readonly clipFailed;
  private readonly readyClips;
  private readonly dropManifest;
  private readonly settleOne;
  private readonly getState;
  private readonly putState;

  constructor(
    readonly db: Db,
    readonly ward: string,
    private readonly clock: () => number = Date.now,
  ) {
    this.insert = db.prepare('INSERT INTO outbox (topic, payload, retain, clip_event_id, created_at, msg_id) VALUES (?, ?, ?, ?, ?, ?)');
    this.page = db.prepare('SELECT seq, topic, payload, retain, clip_event_id, msg_id FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
    this.settleOne = db.prepare('DELETE FROM outbox WHERE msg_id = ? RETURNING clip_event_id');
    this.getState = db.prepare('SELECT value FROM uplink_state WHERE key = ?').pluck();
    this.putState = db.prepare('INSERT INTO uplink_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.remove = db.prepare('DELETE FROM outbox WHERE seq = ?');
    this.count = db.prepare('SELECT count(*) AS n FROM outbox').pluck();
    this.insertClip = db.prepare(
      `INSERT OR IGNORE INTO clip_uploads (event_id, camera, path, bytes, sha256, chunk_bytes, chunks, created_at)
       VALUES (@event_id, @camera, @path, @bytes, @sha256, @chunk_bytes, @chunks, @created_at)`,
    );
    this.manifestAcked = db.prepare('UPDATE clip_uploads SET manifest_acked = 1 WHERE event_id = ?');
    this.clipProgress = db.prepare('UPDATE clip_uploads SET next_chunk = max(next_chunk, ?) WHERE event_id = ?');
    this.clipDone = db.prepare('DELETE FROM clip_uploads WHERE event_id = ?');
    this.clipFailed = db.prepare("UPDATE clip_uploads SET state = 'failed', error = ? WHERE event_id = ?");
    this.dropManifest = db.prepare('DELETE FROM outbox WHERE clip_event_id = ?');
    this.readyClips = db.prepare(
      "SELECT * FROM clip_uploads WHERE state = 'pending' AND manifest_acked = 1 AND next_chunk < chunks ORDER BY created_at, event_id LIMIT ?",
    );
  }

  /** Queues a JSON message. Call inside the transaction that makes the state change it reports. */
  enqueue(topic: string, message: object, options: { retain?: boolean } = {}): void {
    const msgId = (message as { msgId?: unknown }).msgId;
    this.insert.run(topic, Buffer.from(JSON.stringify(message)), options.retain ? 1 : 0, null, this.clock(), typeof msgId === 'string' ? msgId : null);
  }

  depth(): number {
    return this.count.get() as number;
  }

  /** The next rows after `afterSeq`, oldest first; the backlog is read in pages, never all at once. */
  next(afterSeq: number, limit: number): OutboxRow[] {
    return this.page.all(afterSeq, limit) as OutboxRow[];
  }

  /** Deletes acknowledged rows (and lets a clip's chunks go when its manifest was acknowledged), in one transaction. */
  acknowledge(rows: readonly Pick<OutboxRow, 'seq' | 'clip_event_id'>[], chunkProgress: ReadonlyMap<string, number>, finishedClips: readonly string[]): void {
    this.db.transaction(() => {
      for (const row of rows) {
        this.remove.run(row.seq);
        if (row.clip_event_id) this.manifestAcked.run(row.clip_event_id);
      }
      for (const [eventId, next] of chunkProgress) this.clipProgress.run(next, eventId);
      for (const eventId of finishedClips) this.clipDone.run(eventId);
    })();
  }

  /**
   * Deletes the rows the hub confirmed by msgId (`cmd/ack`), in one transaction; a confirmed clip manifest lets its
   * chunks go. Ids no longer here (confirmed before, or never ours) are skipped. Returns how many rows left.
   */
  settle(msgIds: readonly string[]): number {
    return this.db.transaction(() => {
      let settled = 0;
      for (const id of msgIds) {
        const row = this.settleOne.get(id) as { clip_event_id: string | null } | undefined;
        if (!row) continue;
        settled++;
        if (row.clip_event_id) this.manifestAcked.run(row.clip_event_id);
      }
      return settled;
    })();
  }

  /** A value the uplink keeps across restarts (what the hub said about delivery). */
  state(key: string): string | undefined {
    return this.getState.get(key) as string | undefined;
  }

  setState(key: string, value: string): void {
    this.putState.run(key, value);
  }

  /** Clips whose manifest the hub has, and that still have chunks to send. */
  clipsToSend(limit: number): ClipUpload[] {
    return this.readyClips.all(limit) as ClipUpload[];
  }

  failClip(eventId: string, reason: string): void {
    this.clipFailed.run(reason, eventId);
  }

  /**
   * Takes a clip out of the outbox: its manifest if it has not left yet, and its chunks still to send (a clip
   * nobody wants any more). Call inside the transaction that records why. True when there was something to drop.
   */
  dropClip(eventId: string): boolean {
    const manifest = this.dropManifest.run(eventId).changes;
    return this.clipDone.run(eventId).changes + manifest > 0;
  }

  /**
   * Queues a clip: its manifest goes through the outbox like any message; its chunks follow once the manifest
   * is acknowledged, read from the file at send time (the backlog stays on disk). Hash the file first
   * (`describeClip`), then call this inside the transaction that records the clip.
   */
  enqueueClip(clip: ClipDescription & { eventId: string; camera: string; start: number; end: number; requestId?: string }): ClipManifest {
    const chunks = Math.ceil(clip.bytes / CLIP_CHUNK_BYTES);
    const manifest: ClipManifest = {
      msgId: newMsgId(this.clock()),
      eventId: clip.eventId,
      camera: clip.camera,
      contentType: 'video/mp4',
      bytes: clip.bytes,
      sha256: clip.sha256,
      chunkBytes: CLIP_CHUNK_BYTES,
      chunks,
      start: clip.start,
      end: clip.end,
      // a clip an operator asked for (cmd/retrieve) travels under its request id
      ...(clip.requestId !== undefined ? { requestId: clip.requestId } : {}),
    };
    const added = this.insertClip.run({
      event_id: clip.eventId,
      camera: clip.camera,
      path: clip.path,
      bytes: clip.bytes,
      sha256: clip.sha256,
      chunk_bytes: CLIP_CHUNK_BYTES,
      chunks,
      created_at: this.clock(),
    });
    if (added.changes === 1) {
      this.insert.run(topics.clipManifest(this.ward, clip.eventId), Buffer.from(JSON.stringify(manifest)), 0, clip.eventId, this.clock(), manifest.msgId);
    }
    return manifest;
  }
}

export interface ClipDescription {
  path: string;
  bytes: number;
  sha256: string;
}

/** Size and sha256 of a clip file, streamed (a clip can be hundreds of MB). */
export async function describeClip(path: string): Promise<ClipDescription> {
  const { size } = await stat(path);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return { path, bytes: size, sha256: hash.digest('hex') };
}
