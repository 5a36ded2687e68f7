// An incident as the API shows it: camelCase, JSON decoded, no storage paths (pure).
import type { Box } from '../../shared/contract/index.js';
import type { Incident } from '../ingest/incident-merge.js';
import { incidentRule, type IncidentRow } from '../store/store.js';

/** The merged incident (hub/ingest), without its message bookkeeping, and what the hub knows of its files. */
export interface IncidentView extends Omit<Incident, 'lastMsgId' | 'snapshotMsgId'> {
  id: string;
  snapshot: boolean;
  clip: { state: IncidentRow['clip_state']; sha256: string | null; error: string | null };
  forwarded: boolean;
  held: boolean;
  createdAt: number;
  updatedAt: number;
}

export function incidentView(r: IncidentRow): IncidentView {
  return {
    id: r.id,
    ward: r.ward,
    camera: r.camera,
    label: r.label,
    score: r.score,
    topScore: r.top_score,
    box: JSON.parse(r.box) as Box,
    zones: JSON.parse(r.zones) as string[],
    start: r.start,
    end: r.end,
    state: r.state,
    rule: incidentRule(r),
    snapshot: r.snapshot_path !== null,
    clip: { state: r.clip_state, sha256: r.clip_sha256, error: r.clip_error },
    forwarded: r.forwarded === 1,
    held: r.held === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
