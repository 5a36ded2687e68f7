// Events in the edge db: every state change and the message that reports it are one transaction.
import { eventMessageSchema, topics, type AlertKind, type EventMessage } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import { newMsgId, type ClipDescription, type Outbox } from '../uplink/outbox.js';
import type { NormBox } from '../geometry.js';
import type { EventState } from './event-state.js';

/** An event as stored: its state (lifecycle.ts), its lifecycle state and what became of its snapshot and clip. */
export interface EventRow extends EventState {
  state: 'open' | 'ended';
  snapshotPath: string | null;
  clipState: 'pending' | 'done' | 'missing';
  clipPath: string | null;
  clipBytes: number | null;
  clipStartMs: number | null;
  clipEndMs: number | null;
}

interface RawRow extends Omit<EventRow, 'box' | 'zones' | 'rule'> {
  box: string;
  zones: string;
  ruleId: string | null;
  ruleKind: AlertKind | null;
}

const COLUMNS = `id, camera, label, score, top_score AS topScore, box, zones, start_ms AS start, last_seen_ms AS lastSeenMs,
  best_at_ms AS bestAtMs, end_ms AS "end", state, snapshot_path AS snapshotPath, clip_state AS clipState, clip_path AS clipPath,
  clip_bytes AS clipBytes, clip_start_ms AS clipStartMs, clip_end_ms AS clipEndMs, rule_id AS ruleId, rule_kind AS ruleKind`;

const parse = ({ ruleId, ruleKind, ...r }: RawRow): EventRow => ({
  ...r,
  box: JSON.parse(r.box) as NormBox,
  zones: JSON.parse(r.zones) as string[],
  ...(ruleId !== null && ruleKind !== null ? { rule: { id: ruleId, kind: ruleKind } } : {}),
});

/** The contract message for an event state (validated: a bug here must not reach the hub as a bad payload). */
export function eventMessage(type: EventMessage['type'], ev: EventState, ward: string, msgId: string, snapshot?: string): EventMessage {
  return eventMessageSchema.parse({
    msgId,
    type,
    event: {
      id: ev.id,
      ward,
      camera: ev.camera,
      label: ev.label,
      score: ev.score,
      topScore: ev.topScore,
      box: ev.box,
      zones: ev.zones,
      start: ev.start,
      end: type === 'end' ? ev.end : null,
      ...(ev.rule ? { rule: { id: ev.rule.id, kind: ev.rule.kind } } : {}),
      ...(snapshot !== undefined ? { snapshot } : {}),
    },
  });
}

export class EventStore {
  private readonly s;

  /** `outbox` only when the box has a hub: without one, events are kept for the review page alone. */
  constructor(
    readonly db: Db,
    private readonly ward: string,
    private readonly outbox: Outbox | undefined,
    private readonly clock: () => number = Date.now,
  ) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO events (id, camera, label, score, top_score, box, zones, start_ms, last_seen_ms, best_at_ms, state, rule_id, rule_kind, updated_at)
         VALUES (@id, @camera, @label, @score, @topScore, @box, @zones, @start, @lastSeenMs, @bestAtMs, 'open', @ruleId, @ruleKind, @now)`,
      ),
      update: db.prepare(
        `UPDATE events SET score = @score, top_score = @topScore, box = @box, zones = @zones, last_seen_ms = @lastSeenMs,
           best_at_ms = @bestAtMs, updated_at = @now WHERE id = @id AND state = 'open'`,
      ),
      end: db.prepare(
        `UPDATE events SET score = @score, top_score = @topScore, box = @box, zones = @zones, last_seen_ms = @lastSeenMs,
           best_at_ms = @bestAtMs, end_ms = @end, state = 'ended', snapshot_path = @snapshotPath, updated_at = @now
         WHERE id = @id AND state = 'open'`,
      ),
      clip: db.prepare(
        `UPDATE events SET clip_state = @clipState, clip_path = @clipPath, clip_bytes = @clipBytes, clip_start_ms = @clipStartMs,
           clip_end_ms = @clipEndMs, updated_at = @now WHERE id = @id`,
      ),
      get: db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`),
      expired: db.prepare(
        `SELECT id, clip_path AS clipPath, snapshot_path AS snapshotPath FROM events WHERE camera = ? AND state = 'ended' AND end_ms < ?
           AND (clip_path IS NOT NULL OR snapshot_path IS NOT NULL) ORDER BY end_ms LIMIT ?`,
      ),
      forget: db.prepare("UPDATE events SET clip_path = NULL, snapshot_path = NULL, clip_state = CASE WHEN clip_state = 'done' THEN 'missing' ELSE clip_state END, updated_at = ? WHERE id = ?"),
      unfinished: db.prepare(`SELECT ${COLUMNS} FROM events WHERE state = 'open' OR clip_state = 'pending' ORDER BY start_ms`),
      ofCamera: db.prepare(`SELECT ${COLUMNS} FROM events WHERE camera = ? AND start_ms < ? AND (end_ms IS NULL OR end_ms >= ?) ORDER BY start_ms`),
    };
  }

  start(ev: EventState): void {
    this.db.transaction(() => {
      this.s.insert.run({ ...this.columns(ev), now: this.clock() });
      this.send('start', ev);
    })();
  }

  update(ev: EventState): void {
    this.db.transaction(() => {
      if (this.s.update.run({ ...this.columns(ev), now: this.clock() }).changes === 1) this.send('update', ev);
    })();
  }

  /** Ends the event; its snapshot (JPEG file written already, and its base64) rides on the end message. */
  end(ev: EventState, snapshot?: { path: string; base64: string }): boolean {
    return this.db.transaction(() => {
      const changed = this.s.end.run({ ...this.columns(ev), end: ev.end ?? ev.lastSeenMs, snapshotPath: snapshot?.path ?? null, now: this.clock() }).changes === 1;
      if (changed) this.send('end', { ...ev, end: ev.end ?? ev.lastSeenMs }, snapshot?.base64);
      return changed;
    })();
  }

  /**
   * Records the event's clip, runs `alsoInTransaction` (the segment protection) and queues the clip for the
   * hub, all in one transaction: a clip is either known, protected and queued, or none of these.
   */
  clipDone(id: string, clip: ClipDescription & { start: number; end: number; camera: string }, alsoInTransaction: () => void): void {
    this.db.transaction(() => {
      this.s.clip.run({ id, clipState: 'done', clipPath: clip.path, clipBytes: clip.bytes, clipStartMs: clip.start, clipEndMs: clip.end, now: this.clock() });
      alsoInTransaction();
      this.outbox?.enqueueClip({ ...clip, eventId: id });
    })();
  }

  /** Alerts that ended before `beforeMs` and still have their clip or snapshot on the box (oldest first). */
  expired(camera: string, beforeMs: number, limit = 500): { id: string; clipPath: string | null; snapshotPath: string | null }[] {
    return this.s.expired.all(camera, beforeMs, limit) as { id: string; clipPath: string | null; snapshotPath: string | null }[];
  }

  /** Their files are gone (retention): the row stays, for the record, without them. */
  forgetFiles(id: string): void {
    this.s.forget.run(this.clock(), id);
  }

  clipMissing(id: string): void {
    this.s.clip.run({ id, clipState: 'missing', clipPath: null, clipBytes: null, clipStartMs: null, clipEndMs: null, now: this.clock() });
  }

  get(id: string): EventRow | undefined {
    const r = this.s.get.get(id) as RawRow | undefined;
    return r && parse(r);
  }

  /** Open events and ended ones still waiting for their clip: the work a restart must pick up. */
  unfinished(): EventRow[] {
    return (this.s.unfinished.all() as RawRow[]).map(parse);
  }

  /** Events of a camera overlapping [fromMs, toMs). */
  inRange(camera: string, fromMs: number, toMs: number): EventRow[] {
    return (this.s.ofCamera.all(camera, toMs, fromMs) as RawRow[]).map(parse);
  }

  private columns(ev: EventState) {
    return {
      id: ev.id,
      camera: ev.camera,
      label: ev.label,
      score: ev.score,
      topScore: ev.topScore,
      box: JSON.stringify(ev.box),
      zones: JSON.stringify(ev.zones),
      start: ev.start,
      lastSeenMs: ev.lastSeenMs,
      bestAtMs: ev.bestAtMs,
      ruleId: ev.rule?.id ?? null,
      ruleKind: ev.rule?.kind ?? null,
    };
  }

  private send(type: EventMessage['type'], ev: EventState, snapshot?: string): void {
    if (this.outbox === undefined) return;
    this.outbox.enqueue(topics.events(this.ward), eventMessage(type, ev, this.ward, newMsgId(this.clock()), snapshot));
  }
}

/** An event row as the lifecycle's state (to finish events found unfinished after a restart). */
export function rowToState(r: EventRow): EventState {
  return { id: r.id, camera: r.camera, label: r.label, score: r.score, topScore: r.topScore, box: r.box, bestAtMs: r.bestAtMs, zones: r.zones, start: r.start, lastSeenMs: r.lastSeenMs, end: r.end, ...(r.rule ? { rule: r.rule } : {}) };
}
