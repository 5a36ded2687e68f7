// What GET /share/<token> serves: the clip a valid link names, or why not. The route (hub/api) audits the view.
import type { HubStore } from '../store/store.js';
import { verifyClipLink } from './link.js';

export type SharedClip =
  | { ok: true; incidentId: string; ward: string; camera: string; file: string; sha256: string | null; expiresAt: number }
  | { ok: false; status: 403 | 404 | 410 | 503; reason: string };

/**
 * 403 forged or malformed link; 410 expired link, or clip removed by retention; 404 incident gone or clip
 * failed; 503 clip still on its way from the ward (try later). Says nothing about an incident unless the link
 * is authentic.
 */
export function resolveSharedClip(store: HubStore, token: string, now: number, key: Buffer): SharedClip {
  const v = verifyClipLink(token, now, key);
  if (!v.ok) return v.reason === 'expired' ? { ok: false, status: 410, reason: 'link expired' } : { ok: false, status: 403, reason: `link ${v.reason}` };
  const incident = store.getIncident(v.incidentId);
  if (!incident) return { ok: false, status: 404, reason: 'incident no longer kept' };
  switch (incident.clip_state) {
    case 'present':
      return {
        ok: true,
        incidentId: incident.id,
        ward: incident.ward,
        camera: incident.camera,
        file: store.resolve(incident.clip_path!),
        sha256: incident.clip_sha256,
        expiresAt: v.expiresAt,
      };
    case 'none':
    case 'receiving':
      return { ok: false, status: 503, reason: 'clip not yet at the hub' };
    case 'expired':
      return { ok: false, status: 410, reason: 'clip removed by retention' };
    case 'failed':
      return { ok: false, status: 404, reason: `clip failed to arrive (${incident.clip_error ?? 'unknown'})` };
  }
}
