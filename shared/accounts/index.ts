// Accounts: users and roles, logins with lockout, sessions — shared by the hub and the ward box.
export { AccountError, createAccounts, sessionIdHash, type AccountErrorCode, type Accounts, type AccountsOptions, type LoginResult, type NewSession, type NewUser, type PasswordChangeResult, type Session, type User } from './accounts.js';
export {
  generatePassword,
  isLocked,
  LOCKOUT,
  lockAfterFailure,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PASSWORD_RULE,
  passwordProblem,
  SESSION_LIMITS,
  sessionExpiresAt,
  sessionLive,
  type LockoutPolicy,
  type LockState,
  type SessionLimits,
} from './policy.js';
export { can, isRole, PERMISSIONS, ROLE_PERMISSIONS, ROLES, USER_NAME_PATTERN, USER_NAME_RULE, type Permission, type Principal, type Role } from './roles.js';
export { accountMigrations } from './schema.js';
