// What GET /share/<token> serves: the clip a valid link names (an incident's, or a retrieved recording), or why
// not. The route (hub/api) audits the view.
import type { RetrievalStore } from '../retrieval/store.js';
import type { HubStore } from '../store/store.js';
import { verifyClipLink, type LinkSubject } from './link.js';

export type SharedClip =
  | { ok: true; subject: LinkSubject; ward: string; camera: string; file: string; sha256: string | null; expiresAt: number }
  | { ok: false; status: 403 | 404 | 410 | 503; reason: string };

/**
 * 403 forged or malformed link; 410 expired link, or clip removed by retention; 404 incident or retrieval gone, or
 * clip failed; 503 clip still on its way from the ward (try later). Says nothing about a subject unless the link
 * is authentic.
 */
export async function resolveSharedClip(store: HubStore, recordings: Pick<RetrievalStore, 'get'>, token: string, now: number, key: Buffer): Promise<SharedClip> {
  const v = verifyClipLink(token, now, key);
  if (!v.ok) return v.reason === 'expired' ? { ok: false, status: 410, reason: 'link expired' } : { ok: false, status: 403, reason: `link ${v.reason}` };
  const { subject, expiresAt } = v;
  if (subject.kind === 'recording') {
    const r = await recordings.get(subject.id);
    if (!r) return { ok: false, status: 404, reason: 'recording no longer kept' };
    switch (r.state) {
      case 'ready':
        return { ok: true, subject, ward: r.ward, camera: r.camera, file: store.resolve(r.clip_path!), sha256: r.clip_sha256, expiresAt };
      case 'expired':
        return { ok: false, status: 410, reason: 'recording removed by retention' };
      case 'failed':
      case 'cancelled':
        return { ok: false, status: 404, reason: `recording never arrived (${r.state}${r.reason ? `: ${r.reason}` : ''})` };
      default:
        return { ok: false, status: 503, reason: 'recording not yet at the hub' };
    }
  }
  const incident = await store.getIncident(subject.id);
  if (!incident) return { ok: false, status: 404, reason: 'incident no longer kept' };
  switch (incident.clip_state) {
    case 'present':
      return { ok: true, subject, ward: incident.ward, camera: incident.camera, file: store.resolve(incident.clip_path!), sha256: incident.clip_sha256, expiresAt };
    case 'none':
    case 'receiving':
      return { ok: false, status: 503, reason: 'clip not yet at the hub' };
    case 'expired':
      return { ok: false, status: 410, reason: 'clip removed by retention' };
    case 'failed':
      return { ok: false, status: 404, reason: `clip failed to arrive (${incident.clip_error ?? 'unknown'})` };
  }
}
