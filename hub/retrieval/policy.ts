// Retrieval policy (pure): whether an operator's request may go to a ward, how ward answers move a request on,
// and what state and progress the operator sees.
import type { RetrievalStatus } from '../../shared/contract/index.js';
import type { StoredRetrievalState } from '../store/retrieval-schema.js';

export interface RequestCheckInput {
  from: number;
  to: number;
  now: number;
  /** cameras the ward has reported (in a status or an event): those the operator page lists */
  cameraKnown: boolean;
  wardKnown: boolean;
  openByOperator: number;
  maxRetrieveMinutes: number;
  maxOpenPerOperator: number;
}

export type RequestCheck = { ok: true } | { ok: false; status: 400 | 429; field: string; code: string; error: string };

const refuse = (status: 400 | 429, field: string, code: string, error: string): RequestCheck => ({ ok: false, status, field, code, error });

/** What the hub can check before it bothers a ward. What only the ward knows (recorded or not) it answers itself. */
export function checkRequest(r: RequestCheckInput): RequestCheck {
  if (!r.wardKnown) return refuse(400, 'ward', 'UNKNOWN_WARD', 'no such ward: use a ward id listed under wards in hub.yaml');
  if (!r.cameraKnown) return refuse(400, 'camera', 'UNKNOWN_CAMERA', 'this ward has never reported this camera: pick one of the ward\'s cameras (see /api/wards)');
  if (r.to <= r.from) return refuse(400, 'to', 'BAD_RANGE', 'must be later than from');
  if (r.from >= r.now) return refuse(400, 'from', 'BAD_RANGE', 'is in the future: nothing is recorded there yet');
  const maxMs = r.maxRetrieveMinutes * 60_000;
  if (r.to - r.from > maxMs) {
    return refuse(400, 'to', 'RANGE_TOO_LONG', `the range is ${Math.ceil((r.to - r.from) / 60_000)} minutes; at most ${r.maxRetrieveMinutes} minutes per request (remoteAccess.maxRetrieveMinutes): split it`);
  }
  if (r.openByOperator >= r.maxOpenPerOperator) {
    return refuse(429, 'ward', 'TOO_MANY_OPEN', `you have ${r.openByOperator} requests on their way (at most ${r.maxOpenPerOperator}): wait until one is ready or failed`);
  }
  return { ok: true };
}

const RANK: Record<(typeof OPEN_STATES)[number], number> = { requested: 0, 'sent-to-ward': 1, cutting: 2, sent: 3 };

/** The state after a ward's answer, or undefined when it changes nothing (late, repeated, or after the end). */
export function afterWardStatus(current: StoredRetrievalState, status: Pick<RetrievalStatus, 'state'>): StoredRetrievalState | undefined {
  if (!isOpen(current)) return undefined;
  if (status.state === 'failed') return 'failed';
  return RANK[status.state] > RANK[current] ? status.state : undefined;
}

/** States in which a request still counts against the operator's limit (and may be cancelled). */
export const OPEN_STATES = ['requested', 'sent-to-ward', 'cutting', 'sent'] as const satisfies readonly StoredRetrievalState[];

export function isOpen(state: StoredRetrievalState): state is (typeof OPEN_STATES)[number] {
  return (OPEN_STATES as readonly StoredRetrievalState[]).includes(state);
}

export type RetrievalState = Exclude<StoredRetrievalState, 'sent'> | 'transferring';

export interface TransferProgress {
  state: 'receiving' | 'verifying' | 'present' | 'failed';
  received: number;
  chunks: number;
}

/** What the operator sees: `sent` (or a `cutting` whose clip already arrives) is `transferring` with chunks in/out. */
export function viewState(stored: StoredRetrievalState, transfer: TransferProgress | undefined): { state: RetrievalState; progress: { received: number; total: number } | null } {
  const progress = transfer ? { received: transfer.received, total: transfer.chunks } : null;
  if (!isOpen(stored)) return { state: stored, progress };
  if (stored === 'sent' || (stored === 'cutting' && transfer)) return { state: 'transferring', progress: progress ?? { received: 0, total: 0 } };
  return { state: stored, progress: null };
}
