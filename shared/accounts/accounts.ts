// The accounts store over a SQLite db: users, logins with lockout, sessions, password changes — each audited
// in the same transaction as the change it records.
import { createHash } from 'node:crypto';
import type { Audit, AuditContext } from '../audit/index.js';
import type { Db } from '../db.js';
import { hashSecret, hashSecretAsync, randomToken, verifySecretAsync } from '../scrypt.js';
import { isLocked, LOCKOUT, lockAfterFailure, passwordProblem, SESSION_LIMITS, sessionExpiresAt, sessionLive, type LockoutPolicy, type SessionLimits } from './policy.js';
import { isRole, ROLES, USER_NAME_PATTERN, USER_NAME_RULE, type Role } from './roles.js';

/** A user as everyone but the password check sees it: no hash. */
export interface User {
  name: string;
  displayName: string;
  role: Role;
  ward: string | null;
  mustChange: boolean;
  locked: boolean;
  lockedUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  name: string;
  displayName?: string | undefined;
  role: string;
  ward?: string | null | undefined;
  password: string;
}

/** A session just made: `token` goes into the cookie and is never stored; `csrfToken` goes to the page. */
export interface NewSession {
  token: string;
  csrfToken: string;
  expiresAt: number;
}

export interface Session {
  /** sha256 of the cookie value: the session's id in the db and in logs */
  idHash: string;
  user: User;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export type LoginResult =
  | { outcome: 'ok' | 'must-change'; user: User; session: NewSession }
  | { outcome: 'wrong' }
  /** `until` null: locked by an administrator */
  | { outcome: 'locked'; until: number | null };

export type PasswordChangeResult =
  | { outcome: 'ok'; user: User }
  | { outcome: 'wrong' }
  | { outcome: 'locked'; until: number | null }
  | { outcome: 'rule'; message: string };

export type AccountErrorCode = 'BAD_INPUT' | 'EXISTS' | 'NO_USER';

/** A refused administrative change, with the field to fix. */
export class AccountError extends Error {
  constructor(
    readonly code: AccountErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface AccountsOptions {
  audit: Audit;
  clock?: () => number;
  lockout?: LockoutPolicy;
  sessions?: SessionLimits;
  /** when given, an officer's ward must be one of these */
  wards?: readonly string[];
}

export interface Accounts {
  addUser(input: NewUser, by: AuditContext): Promise<User>;
  /** an administrator sets a new password; it must be changed at the next login, and open sessions end */
  resetPassword(name: string, password: string, by: AuditContext): Promise<User>;
  lock(name: string, by: AuditContext): User;
  unlock(name: string, by: AuditContext): User;
  get(name: string): User | undefined;
  list(): User[];
  login(name: string, password: string, ip: string | null): Promise<LoginResult>;
  /** the user of a live session changes their own password; other sessions of the user end */
  changePassword(session: Session, current: string, next: string, ip: string | null): Promise<PasswordChangeResult>;
  /** the live session of a cookie value, its last use moved to now; undefined when unknown, expired or locked */
  resume(token: string): Session | undefined;
  logout(session: Session, ip: string | null): void;
}

interface UserRow {
  name: string;
  display_name: string;
  role: Role;
  ward: string | null;
  password_hash: string;
  must_change: number;
  locked: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

interface SessionRow {
  id_hash: string;
  user_name: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
}

// a session's last use is written at most this often: a polling page should not write on every request
const TOUCH_EVERY_MS = 15_000;

export function sessionIdHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function toUser(r: UserRow): User {
  return {
    name: r.name,
    displayName: r.display_name,
    role: r.role,
    ward: r.ward,
    mustChange: r.must_change === 1,
    locked: r.locked === 1,
    lockedUntil: r.locked_until,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

let dummyHash: string | undefined;
/** Unknown names cost a scrypt too, so the answer's timing does not tell which names exist. */
function dummy(): string {
  return (dummyHash ??= hashSecret('no-such-user-0'));
}

export function createAccounts(db: Db, options: AccountsOptions): Accounts {
  const { audit } = options;
  const clock = options.clock ?? Date.now;
  const lockout = options.lockout ?? LOCKOUT;
  const limits = options.sessions ?? SESSION_LIMITS;

  const q = {
    user: db.prepare<[string], UserRow>('SELECT * FROM users WHERE name = ?'),
    users: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY name'),
    insertUser: db.prepare(
      'INSERT INTO users (name, display_name, role, ward, password_hash, must_change, created_at, updated_at) VALUES (@name, @display_name, @role, @ward, @password_hash, 1, @now, @now)',
    ),
    setHash: db.prepare<[string, number, number, string]>('UPDATE users SET password_hash = ?, must_change = ?, updated_at = ? WHERE name = ?'),
    setLocked: db.prepare<[number, number, string]>('UPDATE users SET locked = ?, locked_until = NULL, updated_at = ? WHERE name = ?'),
    setLockedUntil: db.prepare<[number | null, number, string]>('UPDATE users SET locked_until = ?, updated_at = ? WHERE name = ?'),
    addFailure: db.prepare<[string, number, string | null]>('INSERT INTO login_failures (user_name, at, ip) VALUES (?, ?, ?)'),
    pruneFailures: db.prepare<[string, number]>('DELETE FROM login_failures WHERE user_name = ? AND at <= ?'),
    failureTimes: db.prepare<[string], { at: number }>('SELECT at FROM login_failures WHERE user_name = ?'),
    clearFailures: db.prepare<[string]>('DELETE FROM login_failures WHERE user_name = ?'),
    insertSession: db.prepare<[string, string, string, number, number, string | null]>(
      'INSERT INTO sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, ip) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    session: db.prepare<[string], SessionRow>('SELECT id_hash, user_name, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = ?'),
    touchSession: db.prepare<[number, string]>('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?'),
    deleteSession: db.prepare<[string]>('DELETE FROM sessions WHERE id_hash = ?'),
    deleteUserSessions: db.prepare<[string]>('DELETE FROM sessions WHERE user_name = ?'),
    deleteOtherSessions: db.prepare<[string, string]>('DELETE FROM sessions WHERE user_name = ? AND id_hash <> ?'),
    deleteExpiredSessions: db.prepare<[number, number]>('DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?'),
  };

  function mustGet(name: string): UserRow {
    const row = q.user.get(name);
    if (!row) throw new AccountError('NO_USER', `no user "${name}"; see \`user list\``, 'name');
    return row;
  }

  function checkPassword(password: string, field: string): void {
    const problem = passwordProblem(password);
    if (problem) throw new AccountError('BAD_INPUT', `${field}: ${problem}`, field);
  }

  function openSession(userName: string, now: number, ip: string | null): NewSession {
    q.deleteExpiredSessions.run(now - limits.idleMs, now - limits.absoluteMs);
    const token = randomToken();
    const csrfToken = randomToken();
    q.insertSession.run(sessionIdHash(token), userName, csrfToken, now, now, ip);
    return { token, csrfToken, expiresAt: sessionExpiresAt({ createdAt: now, lastSeenAt: now }, limits) };
  }

  /** A wrong password at `now`: counted, and the account locked when it is the last straw. Returns the lock's end. */
  const recordFailure = db.transaction((user: UserRow, now: number, ip: string | null, action: 'login' | 'password.change'): number | undefined => {
    q.addFailure.run(user.name, now, ip);
    q.pruneFailures.run(user.name, now - lockout.windowMs);
    const until = lockAfterFailure(q.failureTimes.all(user.name).map((r) => r.at), now, lockout);
    audit.record({ actor: user.name, action: 'login.failed', target: user.name, ip, detail: { reason: 'wrong password', during: action } });
    if (until !== undefined) {
      q.setLockedUntil.run(until, now, user.name);
      q.clearFailures.run(user.name);
      q.deleteUserSessions.run(user.name);
      audit.record({
        actor: 'system',
        action: 'user.lock',
        target: user.name,
        ip,
        detail: { reason: `${lockout.failures} failed logins within ${lockout.windowMs / 1000} s`, until },
      });
    }
    return until;
  });

  const succeed = db.transaction((user: UserRow, now: number, ip: string | null): NewSession => {
    q.clearFailures.run(user.name);
    if (user.locked_until !== null) q.setLockedUntil.run(null, now, user.name);
    const session = openSession(user.name, now, ip);
    audit.record({ actor: user.name, action: 'login', target: user.name, ip, detail: user.must_change ? { mustChange: true } : null });
    return session;
  });

  return {
    async addUser(input, by) {
      if (!USER_NAME_PATTERN.test(input.name)) throw new AccountError('BAD_INPUT', `name: must be ${USER_NAME_RULE} (got "${input.name}")`, 'name');
      if (!isRole(input.role)) throw new AccountError('BAD_INPUT', `role: must be one of ${ROLES.join(', ')} (got "${input.role}")`, 'role');
      const ward = input.ward ?? null;
      if (input.role === 'officer' && !ward) throw new AccountError('BAD_INPUT', 'ward: an officer needs the ward they may see (--ward)', 'ward');
      if (input.role !== 'officer' && ward) throw new AccountError('BAD_INPUT', `ward: only officers have a ward; a ${input.role} sees what the role allows`, 'ward');
      if (ward && options.wards && !options.wards.includes(ward)) {
        throw new AccountError('BAD_INPUT', `ward: unknown ward "${ward}"; use one of: ${options.wards.join(', ')}`, 'ward');
      }
      const displayName = (input.displayName ?? input.name).trim();
      if (!displayName || displayName.length > 100) throw new AccountError('BAD_INPUT', 'display name: 1–100 characters', 'displayName');
      checkPassword(input.password, 'password');
      if (q.user.get(input.name)) throw new AccountError('EXISTS', `name: user "${input.name}" exists already`, 'name');
      const hash = await hashSecretAsync(input.password);
      const now = clock();
      db.transaction(() => {
        q.insertUser.run({ name: input.name, display_name: displayName, role: input.role, ward, password_hash: hash, now });
        audit.record({ ...by, action: 'user.add', target: input.name, detail: { role: input.role, ward } });
      })();
      return toUser(mustGet(input.name));
    },

    async resetPassword(name, password, by) {
      mustGet(name);
      checkPassword(password, 'password');
      const hash = await hashSecretAsync(password);
      db.transaction(() => {
        q.setHash.run(hash, 1, clock(), name);
        q.deleteUserSessions.run(name);
        audit.record({ ...by, action: 'user.passwd', target: name });
      })();
      return toUser(mustGet(name));
    },

    lock(name, by) {
      mustGet(name);
      db.transaction(() => {
        q.setLocked.run(1, clock(), name);
        q.deleteUserSessions.run(name);
        audit.record({ ...by, action: 'user.lock', target: name, detail: { reason: 'by an administrator' } });
      })();
      return toUser(mustGet(name));
    },

    unlock(name, by) {
      mustGet(name);
      db.transaction(() => {
        q.setLocked.run(0, clock(), name);
        q.clearFailures.run(name);
        audit.record({ ...by, action: 'user.unlock', target: name });
      })();
      return toUser(mustGet(name));
    },

    get: (name) => {
      const row = q.user.get(name);
      return row && toUser(row);
    },
    list: () => q.users.all().map(toUser),

    async login(name, password, ip) {
      const user = q.user.get(name);
      if (!user) {
        await verifySecretAsync(password, dummy());
        // the name may be a password typed in the wrong box: keep only what looks like a name
        audit.record({ actor: USER_NAME_PATTERN.test(name) ? name : '(invalid name)', action: 'login.failed', ip, detail: { reason: 'unknown user' } });
        return { outcome: 'wrong' };
      }
      const start = clock();
      const lock = { locked: user.locked === 1, lockedUntil: user.locked_until };
      if (isLocked(lock, start)) {
        audit.record({ actor: user.name, action: 'login.failed', target: user.name, ip, detail: { reason: 'locked' } });
        return { outcome: 'locked', until: lock.locked ? null : lock.lockedUntil };
      }
      const ok = await verifySecretAsync(password, user.password_hash);
      const now = clock();
      if (!ok) {
        const until = recordFailure(user, now, ip, 'login');
        return until === undefined ? { outcome: 'wrong' } : { outcome: 'locked', until };
      }
      // read again: an administrator may have locked it while scrypt ran
      const fresh = q.user.get(name);
      if (!fresh || isLocked({ locked: fresh.locked === 1, lockedUntil: fresh.locked_until }, now)) {
        return { outcome: 'locked', until: fresh?.locked ? null : (fresh?.locked_until ?? null) };
      }
      const session = succeed(fresh, now, ip);
      return { outcome: fresh.must_change ? 'must-change' : 'ok', user: toUser(q.user.get(name)!), session };
    },

    async changePassword(session, current, next, ip) {
      const user = q.user.get(session.user.name);
      if (!user) return { outcome: 'wrong' };
      if (isLocked({ locked: user.locked === 1, lockedUntil: user.locked_until }, clock())) return { outcome: 'locked', until: user.locked ? null : user.locked_until };
      // a stolen session must not be a way to guess the password: a wrong current one counts as a failed login
      if (!(await verifySecretAsync(current, user.password_hash))) {
        const until = recordFailure(user, clock(), ip, 'password.change');
        return until === undefined ? { outcome: 'wrong' } : { outcome: 'locked', until };
      }
      const problem = passwordProblem(next);
      if (problem) return { outcome: 'rule', message: problem };
      if (next === current) return { outcome: 'rule', message: 'the new password must differ from the current one' };
      const hash = await hashSecretAsync(next);
      db.transaction(() => {
        q.setHash.run(hash, 0, clock(), user.name);
        q.deleteOtherSessions.run(user.name, session.idHash);
        audit.record({ actor: user.name, action: 'password.change', target: user.name, ip, detail: user.must_change ? { initial: true } : null });
      })();
      return { outcome: 'ok', user: toUser(q.user.get(user.name)!) };
    },

    resume(token) {
      if (!token || token.length > 100) return undefined;
      const idHash = sessionIdHash(token);
      const row = q.session.get(idHash);
      if (!row) return undefined;
      const now = clock();
      const times = { createdAt: row.created_at, lastSeenAt: row.last_seen_at };
      const user = q.user.get(row.user_name);
      if (!user || !sessionLive(times, now, limits) || isLocked({ locked: user.locked === 1, lockedUntil: user.locked_until }, now)) {
        q.deleteSession.run(idHash);
        return undefined;
      }
      if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
        q.touchSession.run(now, idHash);
        times.lastSeenAt = now;
      }
      return { idHash, user: toUser(user), csrfToken: row.csrf_token, ...times, expiresAt: sessionExpiresAt(times, limits) };
    },

    logout(session, ip) {
      db.transaction(() => {
        q.deleteSession.run(session.idHash);
        audit.record({ actor: session.user.name, action: 'logout', target: session.user.name, ip });
      })();
    },
  };
}
