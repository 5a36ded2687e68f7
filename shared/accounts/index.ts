// Accounts: users and roles, throttled logins, sessions — shared by the hub and the ward box.
export { AccountError, createAccounts, sessionIdHash, type AccountErrorCode, type Accounts, type AccountsOptions, type LoginRefusal, type LoginResult, type NewSession, type NewUser, type PasswordChangeResult, type Session, type User } from './accounts.js';
export { LoginThrottle, type LoginAttempt, type LoginRealm, type LoginThrottleOptions, type LoginThrottleStats, type LoginVerdict } from './login-throttle.js';
export {
  generatePassword,
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
  type SessionLimits,
} from './policy.js';
export { can, isRole, PERMISSIONS, ROLE_PERMISSIONS, ROLES, USER_NAME_PATTERN, USER_NAME_RULE, type Permission, type Principal, type Role } from './roles.js';
export { accountMigrations } from './schema.js';
export { addressKey, LOGIN_THROTTLE, type RefusalReason, type ThrottlePolicy } from './throttle.js';
