// Events for the review page, read from the events table (edge/events/schema.ts): filters and keyset paging.
import type { AlertKind } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';

export interface ReviewEvent {
  id: string;
  camera: string;
  label: string;
  topScore: number;
  start: number;
  end: number | null;
  state: 'open' | 'ended';
  hasSnapshot: boolean;
  clip: 'pending' | 'done' | 'missing';
  clipStartMs: number | null;
  clipEndMs: number | null;
  /** the alert rule that raised it (absent on the per-object events of older versions) */
  rule?: { id: string; kind: AlertKind };
}

export interface EventFilter {
  camera?: string | undefined;
  label?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  /** events older than this id (ULIDs sort by time) */
  before?: string | undefined;
  limit?: number | undefined;
}

/** A row as selected: the event with its file paths instead of what the page may know of them. */
type Row = Omit<ReviewEvent, 'hasSnapshot' | 'clip' | 'rule'> & {
  snapshotPath: string | null;
  clipState: ReviewEvent['clip'];
  clipPath: string | null;
  ruleId: string | null;
  ruleKind: AlertKind | null;
};

const COLUMNS = `id, camera, label, top_score AS topScore, start_ms AS start, end_ms AS "end", state, snapshot_path AS snapshotPath,
  clip_state AS clipState, clip_path AS clipPath, clip_start_ms AS clipStartMs, clip_end_ms AS clipEndMs, rule_id AS ruleId, rule_kind AS ruleKind`;

export class EventsQuery {
  constructor(private readonly db: Db) {}

  list(f: EventFilter): ReviewEvent[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, v: string | number | undefined) => {
      if (v === undefined) return;
      where.push(sql);
      params.push(v);
    };
    add('camera = ?', f.camera);
    add('label = ?', f.label);
    add('COALESCE(end_ms, last_seen_ms) >= ?', f.fromMs);
    add('start_ms < ?', f.toMs);
    add('id < ?', f.before);
    const sql = `SELECT ${COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.db
      .prepare<(string | number)[], Row>(sql)
      .all(...params, Math.min(Math.max(f.limit ?? 50, 1), 500))
      .map((r) => this.toEvent(r));
  }

  get(id: string): (ReviewEvent & { snapshotPath: string | null; clipPath: string | null }) | undefined {
    const r = this.db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM events WHERE id = ?`).get(id);
    return r && { ...this.toEvent(r), snapshotPath: r.snapshotPath, clipPath: r.clipPath };
  }

  labels(): string[] {
    return this.db.prepare<[], { label: string }>('SELECT DISTINCT label FROM events ORDER BY label').all().map((r) => r.label);
  }

  private toEvent(r: Row): ReviewEvent {
    const { snapshotPath, clipState, clipPath: _path, ruleId, ruleKind, ...event } = r;
    return { ...event, hasSnapshot: snapshotPath !== null, clip: clipState, ...(ruleId !== null && ruleKind !== null && { rule: { id: ruleId, kind: ruleKind } }) };
  }
}
