// Where one forwarded subject — an incident, or a recording retrieved from a ward — stands with each target: its
// rows on their way (the outbox), delivered and refused for good (dead letters), oldest first. The forwarder owns
// these tables (outbox.ts); the API's incident and retrieval views read them through here.
import type { Sql } from '../../shared/sql/sql.js';
import type { ForwardSubject } from './outbox.js';

export interface ForwardHistoryEntry {
  key: string;
  target: string;
  state: 'pending' | 'delivered' | 'dead';
  cause: 'rule' | 'share';
  sharedBy: string | null;
  unblurred: boolean;
  attempts: number;
  /** pending: when it was queued; delivered or dead: when it was settled (hub clock, ms) */
  at: number;
  /** pending: the last attempt's error, if any; dead: why it was refused; delivered: null */
  reason: string | null;
}

type Row = Omit<ForwardHistoryEntry, 'unblurred'> & { unblurred: number };

export type ForwardHistory = (subject: { kind: ForwardSubject; id: string }) => Promise<ForwardHistoryEntry[]>;

const HISTORY = `
  SELECT key, target, 'pending' AS state, cause, shared_by AS "sharedBy", unblurred, attempts, created_at AS at, last_error AS reason
    FROM forward_outbox WHERE incident_id = ? AND subject = ?
  UNION ALL SELECT key, target, 'delivered', cause, shared_by, unblurred, attempts, delivered_at, NULL
    FROM forward_delivered WHERE incident_id = ? AND subject = ?
  UNION ALL SELECT key, target, 'dead', cause, shared_by, unblurred, attempts, dead_at, reason
    FROM forward_dead WHERE incident_id = ? AND subject = ?
  ORDER BY at, key`;

export function createForwardHistory(sql: Sql): ForwardHistory {
  return async ({ kind, id }) => (await sql.all<Row>(HISTORY, [id, kind, id, kind, id, kind])).map((r) => ({ ...r, unblurred: r.unblurred === 1 }));
}
