// The names of audited actions: one word for one thing, the same on the hub and the ward box.
export const AUDIT_ACTIONS = [
  'login',
  'login.failed',
  'logout',
  'password.change',
  'user.add',
  'user.passwd',
  'user.lock',
  'user.unlock',
  'live.view',
  'playback.view',
  'snapshot.view',
  'clip.view',
  'export',
  'share',
  /** the city followed a shared link */
  'share.open',
  'hold.add',
  'hold.release',
  'setting.change',
  'audit.verify',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}
