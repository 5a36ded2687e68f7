// The audit chain's pure parts: canonical serialisation, row hashes, and the walk that finds the first break.
import { createHash } from 'node:crypto';
import { GENESIS_HASH } from './schema.js';

/** A stored audit row, as it is in the table. */
export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  /** canonical JSON text (see canonicalJson), or null */
  detail: string | null;
  ip: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHead {
  count: number;
  last_id: number;
  last_hash: string;
}

/** JSON with object keys sorted at every depth, so one value has one text (and so one hash). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** sha256 over the row's fields in a fixed order plus the previous row's hash. */
export function rowHash(row: Omit<AuditRow, 'hash'>): string {
  const fields = [row.id, row.at, row.actor, row.action, row.target, row.detail, row.ip, row.prev_hash];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export type ChainProblem =
  | { kind: 'changed'; id: number; message: string }
  | { kind: 'missing'; id: number; message: string }
  | { kind: 'tail-deleted'; id: number; message: string }
  | { kind: 'head'; id: number; message: string };

export type ChainVerdict = { ok: true; rows: number; lastHash: string } | { ok: false; rows: number; problem: ChainProblem };

function range(from: number, to: number): string {
  return from === to ? `row ${from}` : `rows ${from}–${to}`;
}

/**
 * Walks rows in id order and names the first break: a row whose fields no longer give its hash
 * ("row 17 changed"), a gap in the ids ("row 18 missing between 17 and 19"), or fewer rows than the
 * head counted ("last rows deleted"). `rows` must be ordered by id.
 */
export function verifyChain(rows: Iterable<AuditRow>, head: AuditHead): ChainVerdict {
  const walk = chainWalk();
  for (const row of rows) {
    const broken = walk.next(row);
    if (broken) return broken;
  }
  return walk.end(head);
}

/** verifyChain over rows read page by page (a long log is never held in memory at once). */
export async function verifyChainPaged(page: (afterId: number) => Promise<AuditRow[]>, head: AuditHead): Promise<ChainVerdict> {
  const walk = chainWalk();
  for (let after = 0; ; ) {
    const rows = await page(after);
    if (rows.length === 0) return walk.end(head);
    for (const row of rows) {
      const broken = walk.next(row);
      if (broken) return broken;
    }
    after = rows[rows.length - 1]!.id;
  }
}

/** The walk of verifyChain, one row at a time: `next` returns the verdict at the first break, `end` the final one. */
function chainWalk(): { next(row: AuditRow): ChainVerdict | undefined; end(head: AuditHead): ChainVerdict } {
  let expectedId = 1;
  let prevHash = GENESIS_HASH;
  let prevId = 0;
  let seen = 0;
  const next = (row: AuditRow): ChainVerdict | undefined => {
    seen++;
    if (row.id !== expectedId) {
      const missing = range(expectedId, row.id - 1);
      const where = prevId === 0 ? `before row ${row.id}` : `between ${prevId} and ${row.id}`;
      return { ok: false, rows: seen, problem: { kind: 'missing', id: expectedId, message: `${missing} missing ${where}` } };
    }
    if (row.prev_hash !== prevHash) {
      // this row still links to what the previous row's hash was: the previous row was rewritten (hash and all)
      return { ok: false, rows: seen, problem: { kind: 'changed', id: prevId, message: `row ${prevId} changed (row ${row.id} no longer links to it)` } };
    }
    if (rowHash(row) !== row.hash) {
      return { ok: false, rows: seen, problem: { kind: 'changed', id: row.id, message: `row ${row.id} changed` } };
    }
    prevHash = row.hash;
    prevId = row.id;
    expectedId++;
    return undefined;
  };
  const end = (head: AuditHead): ChainVerdict => {
    if (head.last_id > prevId || head.count > seen) {
      const from = prevId + 1;
      const to = Math.max(head.last_id, head.count);
      return {
        ok: false,
        rows: seen,
        problem: { kind: 'tail-deleted', id: from, message: `last rows deleted: ${range(from, to)} missing after ${prevId === 0 ? 'the start' : `row ${prevId}`} (the head counts ${head.count})` },
      };
    }
    if (head.last_id !== prevId || head.count !== seen) {
      return { ok: false, rows: seen, problem: { kind: 'head', id: prevId, message: `the head counts ${head.count} rows up to row ${head.last_id}, the table has ${seen} up to row ${prevId}` } };
    }
    if (head.last_hash !== prevHash) {
      return { ok: false, rows: seen, problem: { kind: 'changed', id: prevId, message: `row ${prevId} changed (its hash differs from the head's)` } };
    }
    return { ok: true, rows: seen, lastHash: prevHash };
  };
  return { next, end };
}
