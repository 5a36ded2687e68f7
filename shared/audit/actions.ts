// The names of audited actions: one word for one thing, the same on the hub and the ward box.
export const AUDIT_ACTIONS = [
  'login',
  'login.failed',
  /** failed logins from one address summed up when the burst ends: unknown names and refused attempts get no row each */
  'login.burst',
  'logout',
  'password.change',
  'user.add',
  'user.passwd',
  'user.lock',
  'user.unlock',
  'live.view',
  /** the city's video system played a camera over RTSP through the hub (hub/city-rtsp/), and that session's end */
  'city.rtsp.view',
  'city.rtsp.end',
  /** an RTSP credential was made (or replaced) for a city account */
  'city.rtsp.credential',
  'playback.view',
  /** a search through what the cameras saw (hub: sightings); `detail.subject` says which, `detail.filter` what was asked */
  'search',
  'snapshot.view',
  'clip.view',
  'export',
  'share',
  /** the city followed a shared link */
  'share.open',
  /** an operator asked a ward for a recorded range (hub), or a ward received that request (edge) */
  'retrieve.request',
  /** how a retrieval ended on the ward: clip sent, or failed with the reason */
  'retrieve.result',
  /** an operator cancelled a retrieval still on its way (hub) */
  'retrieve.cancel',
  /** an operator or admin granted the city a ward or a camera (hub/city/); `target` the grant's id */
  'city.grant',
  'city.revoke',
  /** an admin opened (closed) city-wide emergency access; a close by the system is its end by itself */
  'city.emergency.open',
  'city.emergency.close',
  /** a city account viewed a camera live / asked for a recorded range / downloaded it; `detail.grant` names the grant */
  'city.live',
  'city.retrieve',
  'city.download',
  'hold.add',
  'hold.release',
  'setting.change',
  'audit.verify',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}
