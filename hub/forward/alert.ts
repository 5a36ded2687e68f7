// The alert the city receives (webhook body and MQTT payload alike): built from an outbox row and its incident.
import type { Box } from '../../shared/contract/index.js';
import type { ClipState } from '../store/schema.js';
import type { IncidentRow } from '../store/store.js';
import type { OutboxRow } from './outbox.js';
import type { BlurKind } from './privacy.js';

export const ALERT_VERSION = 1;

export interface Alert {
  version: typeof ALERT_VERSION;
  /** the idempotency key, also sent as the `idempotency-key` header: the same on every retry */
  key: string;
  district: string;
  cause: { kind: 'rule'; rules: string[] } | { kind: 'share'; by: string; note: string | null };
  incident: {
    id: string;
    ward: string;
    camera: string;
    label: string;
    topScore: number;
    /** ms since the epoch, the ward box's clock */
    start: number;
    end: number | null;
    zones: string[];
    /** normalised 0–1 from the top-left */
    box: Box;
  };
  /** JPEG, base64; people blurred unless an operator shared it unblurred */
  snapshot: { jpeg: string; blur: BlurKind } | null;
  clip: { url: string; expiresAt: number; state: ClipState };
  /** this attempt, hub clock */
  sentAt: number;
}

export function buildAlert(
  row: OutboxRow,
  incident: IncidentRow,
  parts: { district: string; snapshot: Alert['snapshot']; clipUrl: string; linkExpiresAt: number; now: number },
): Alert {
  return {
    version: ALERT_VERSION,
    key: row.key,
    district: parts.district,
    cause: row.cause === 'rule' ? { kind: 'rule', rules: row.rules ? (JSON.parse(row.rules) as string[]) : [] } : { kind: 'share', by: row.shared_by ?? 'unknown', note: row.note },
    incident: {
      id: incident.id,
      ward: incident.ward,
      camera: incident.camera,
      label: incident.label,
      topScore: incident.top_score,
      start: incident.start,
      end: incident.end,
      zones: JSON.parse(incident.zones) as string[],
      box: JSON.parse(incident.box) as Box,
    },
    snapshot: parts.snapshot,
    clip: { url: parts.clipUrl, expiresAt: parts.linkExpiresAt, state: incident.clip_state },
    sentAt: parts.now,
  };
}
