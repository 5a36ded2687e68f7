// How an event message changes an incident: monotonic, order-independent merge (pure).
import type { AlertKind, Box, EventMessage } from '../../shared/contract/index.js';

export interface Incident {
  ward: string;
  camera: string;
  label: string;
  score: number;
  topScore: number;
  box: Box;
  zones: string[];
  start: number;
  end: number | null;
  state: 'open' | 'ended';
  /** the alert rule that raised it; null from boxes before 0.2 (one event per object, no rules) */
  rule: { id: string; kind: AlertKind } | null;
  /** newest message merged so far; message ids are ULIDs, so they sort by when the edge made them */
  lastMsgId: string;
  /** message whose snapshot is stored, if any */
  snapshotMsgId: string | null;
}

export interface Merge {
  incident: Incident;
  /** the message's snapshot should replace the stored one */
  takeSnapshot: boolean;
}

/**
 * Messages may arrive twice or out of order (outbox replays, reconnects). So: `ended` never reopens and its
 * end time never moves; topScore only rises; start only moves earlier; zones only grow; the descriptive
 * fields (score, box, label, camera) come from the newest message, and after the end only from an end; the rule,
 * once known, stays.
 */
export function mergeIncident(existing: Incident | undefined, msg: EventMessage): Merge {
  const e = msg.event;
  const fromMessage: Incident = {
    ward: e.ward,
    camera: e.camera,
    label: e.label,
    score: e.score,
    topScore: e.topScore,
    box: e.box,
    zones: [...new Set(e.zones)],
    start: e.start,
    end: e.end,
    state: msg.type === 'end' ? 'ended' : 'open',
    rule: e.rule ?? null,
    lastMsgId: msg.msgId,
    snapshotMsgId: e.snapshot !== undefined ? msg.msgId : null,
  };
  if (!existing) return { incident: fromMessage, takeSnapshot: e.snapshot !== undefined };

  const newer = msg.msgId > existing.lastMsgId;
  const describes = newer && (existing.state === 'open' || msg.type === 'end');
  const takeSnapshot = e.snapshot !== undefined && (existing.snapshotMsgId === null || msg.msgId > existing.snapshotMsgId);
  const base = describes ? fromMessage : existing;
  return {
    takeSnapshot,
    incident: {
      ward: existing.ward,
      camera: base.camera,
      label: base.label,
      score: base.score,
      box: base.box,
      topScore: Math.max(existing.topScore, e.topScore),
      zones: [...new Set([...existing.zones, ...e.zones])],
      start: Math.min(existing.start, e.start),
      end: existing.end ?? e.end,
      state: existing.state === 'ended' || msg.type === 'end' ? 'ended' : 'open',
      // a box names an event's rule in every message; the first one known stays
      rule: existing.rule ?? fromMessage.rule,
      lastMsgId: newer ? msg.msgId : existing.lastMsgId,
      snapshotMsgId: takeSnapshot ? msg.msgId : existing.snapshotMsgId,
    },
  };
}
