// Roles and what each may do (DESIGN §6): one table, checked by `can` on the hub and on the ward box.
export const ROLES = ['officer', 'operator', 'admin', 'city'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  // ward-scoped: an officer holds them for the ward of the account only
  'live',
  'playback',
  'events',
  'export',
  'hold.place',
  // district-wide
  'incidents',
  'health',
  'share',
  'users',
  'hold.manage',
  'settings',
  'shared-link',
  // the traffic indicators (numbers only): the operators' dashboard, and the city's operations centre polling them
  'indicators',
  // the city's access (hub/city/): granting it a ward or camera for a while, opening city-wide emergency access, and
  // the city's own use of what it was granted (live view and recordings, each checked against a grant)
  'city.grant',
  'city.emergency',
  'city.view',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const WARD_SCOPED: ReadonlySet<Permission> = new Set(['live', 'playback', 'events', 'export', 'hold.place']);

/** The roles → permissions table. Least privilege: an admin manages, and views footage only with an operator account. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  officer: ['live', 'playback', 'events', 'export', 'hold.place'],
  operator: ['incidents', 'health', 'share', 'indicators', 'city.grant'],
  admin: ['users', 'hold.manage', 'settings', 'city.grant', 'city.emergency'],
  city: ['shared-link', 'indicators', 'city.view'],
};

export interface Principal {
  role: Role;
  /** set for officers only */
  ward: string | null;
}

/** May `who` do `permission` (to `ward`, for the ward-scoped ones)? */
export function can(who: Principal, permission: Permission, ward?: string): boolean {
  if (!ROLE_PERMISSIONS[who.role].includes(permission)) return false;
  if (WARD_SCOPED.has(permission)) return ward !== undefined && who.ward !== null && who.ward === ward;
  return true;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Login names: what an admin types and the audit log shows. */
export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const USER_NAME_RULE = '1–32 lower-case letters, digits, ".", "-" or "_", starting with a letter or digit';
