// The alert the city receives (webhook body and MQTT payload alike): built from an outbox row and its incident,
// or its retrieved recording.
import type { AlertKind, Box } from '../../shared/contract/index.js';
import type { RetrievalView } from '../retrieval/store.js';
import type { ClipState } from '../store/schema.js';
import { incidentRule, type IncidentRow } from '../store/store.js';
import type { OutboxRow } from './outbox.js';
import type { BlurKind } from './privacy.js';

export const ALERT_VERSION = 1;

interface AlertCommon {
  version: typeof ALERT_VERSION;
  /** the idempotency key, also sent as the `idempotency-key` header: the same on every retry */
  key: string;
  district: string;
  cause: { kind: 'rule'; rules: string[] } | { kind: 'share'; by: string; note: string | null };
  /** this attempt, hub clock */
  sentAt: number;
}

export interface IncidentAlert extends AlertCommon {
  subject: 'incident';
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
    /** the ward box's alert rule that raised it (null from boxes before 0.2) */
    rule: { id: string; kind: AlertKind } | null;
  };
  /** JPEG, base64; people blurred unless an operator shared it unblurred */
  snapshot: { jpeg: string; blur: BlurKind } | null;
  clip: { url: string; expiresAt: number; state: ClipState };
}

/** A recording an operator retrieved from a ward (hub/retrieval) and shared: always by an operator, never by a rule. */
export interface RecordingAlert extends AlertCommon {
  subject: 'recording';
  /** the retrieval: its id, ward, camera, range (ms since the epoch, the box's clock), who asked, size and sha256 */
  recording: Pick<RetrievalView, 'id' | 'ward' | 'camera' | 'from' | 'to' | 'requestedBy' | 'bytes' | 'sha256'>;
  snapshot: null;
  clip: { url: string; expiresAt: number; state: 'present' };
}

export type Alert = IncidentAlert | RecordingAlert;

const causeOf = (row: OutboxRow): AlertCommon['cause'] =>
  row.cause === 'rule' ? { kind: 'rule', rules: row.rules ? (JSON.parse(row.rules) as string[]) : [] } : { kind: 'share', by: row.shared_by ?? 'unknown', note: row.note };

export function buildAlert(
  row: OutboxRow,
  incident: IncidentRow,
  parts: { district: string; snapshot: IncidentAlert['snapshot']; clipUrl: string; linkExpiresAt: number; now: number },
): IncidentAlert {
  return {
    version: ALERT_VERSION,
    key: row.key,
    district: parts.district,
    cause: causeOf(row),
    subject: 'incident',
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
      rule: incidentRule(incident),
    },
    snapshot: parts.snapshot,
    clip: { url: parts.clipUrl, expiresAt: parts.linkExpiresAt, state: incident.clip_state },
    sentAt: parts.now,
  };
}

export function buildRecordingAlert(
  row: OutboxRow,
  retrieval: RetrievalView,
  parts: { district: string; clipUrl: string; linkExpiresAt: number; now: number },
): RecordingAlert {
  const { id, ward, camera, from, to, requestedBy, bytes, sha256 } = retrieval;
  return {
    version: ALERT_VERSION,
    key: row.key,
    district: parts.district,
    cause: causeOf(row),
    subject: 'recording',
    recording: { id, ward, camera, from, to, requestedBy, bytes, sha256 },
    snapshot: null,
    clip: { url: parts.clipUrl, expiresAt: parts.linkExpiresAt, state: 'present' },
    sentAt: parts.now,
  };
}
