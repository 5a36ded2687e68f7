// The accounts store on the async SQL interface (SQLite or PostgreSQL): users, throttled logins, sessions, password
// changes — each audited in the same transaction as the change it records.
import { createHash } from 'node:crypto';
import type { Audit, AuditContext } from '../audit/index.js';
import type { Sql } from '../sql/sql.js';
import { hashSecret, hashSecretAsync, randomToken, verifySecretAsync } from '../scrypt.js';
import { LoginThrottle, type LoginVerdict } from './login-throttle.js';
import { passwordProblem, SESSION_LIMITS, sessionExpiresAt, sessionLive, type SessionLimits } from './policy.js';
import { isRole, ROLES, USER_NAME_PATTERN, USER_NAME_RULE, type Role } from './roles.js';

/** A user as everyone but the password check sees it: no hash. */
export interface User {
  name: string;
  displayName: string;
  role: Role;
  ward: string | null;
  mustChange: boolean;
  /** locked by an administrator (failed logins lock a name for one address only: login-throttle.ts) */
  locked: boolean;
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

/** What a failed attempt answers; the same for a name that exists and one that does not. */
export type LoginRefusal =
  | { outcome: 'wrong' }
  /** `until` null: locked by an administrator (said only to someone who gave the right password); else this name
   *  from this address, after failed logins */
  | { outcome: 'locked'; until: number | null }
  /** this address failed too often, or too many checks at once: try again after `until` */
  | { outcome: 'throttled'; until: number };

export type LoginResult = { outcome: 'ok' | 'must-change'; user: User; session: NewSession } | LoginRefusal;

export type PasswordChangeResult = { outcome: 'ok'; user: User } | LoginRefusal | { outcome: 'rule'; message: string };

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
  /** throttles and locks failed logins; the hub shares one with its broker. Default: one of its own, without a logger */
  throttle?: LoginThrottle;
  sessions?: SessionLimits;
  /** when given, an officer's ward must be one of these */
  wards?: readonly string[];
}

export interface Accounts {
  addUser(input: NewUser, by: AuditContext): Promise<User>;
  /** an administrator sets a new password; it must be changed at the next login, and open sessions end */
  resetPassword(name: string, password: string, by: AuditContext): Promise<User>;
  lock(name: string, by: AuditContext): Promise<User>;
  unlock(name: string, by: AuditContext): Promise<User>;
  get(name: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  login(name: string, password: string, ip: string | null): Promise<LoginResult>;
  /** the user of a live session changes their own password; other sessions of the user end */
  changePassword(session: Session, current: string, next: string, ip: string | null): Promise<PasswordChangeResult>;
  /** the live session of a cookie value, its last use moved to now; undefined when unknown, expired or locked */
  resume(token: string): Promise<Session | undefined>;
  logout(session: Session, ip: string | null): Promise<void>;
}

interface UserRow {
  name: string;
  display_name: string;
  role: Role;
  ward: string | null;
  password_hash: string;
  must_change: number;
  locked: number;
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
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

let dummyHash: string | undefined;
/** Unknown names cost a scrypt too, so the answer's timing does not tell which names exist. */
function dummy(): string {
  return (dummyHash ??= hashSecret('no-such-user-0'));
}

export function createAccounts(sql: Sql, options: AccountsOptions): Accounts {
  const { audit } = options;
  const clock = options.clock ?? Date.now;
  const throttle = options.throttle ?? new LoginThrottle({ clock, audit });
  const limits = options.sessions ?? SESSION_LIMITS;

  const USER = 'SELECT name, display_name, role, ward, password_hash, must_change, locked, created_at, updated_at FROM users';
  const q = {
    user: (h: Sql, name: string) => h.get<UserRow>(`${USER} WHERE name = ?`, [name]),
    users: (h: Sql) => h.all<UserRow>(`${USER} ORDER BY name`),
    setHash: (t: Sql, hash: string, mustChange: number, now: number, name: string) =>
      t.run('UPDATE users SET password_hash = ?, must_change = ?, updated_at = ? WHERE name = ?', [hash, mustChange, now, name]),
    setLocked: (t: Sql, locked: number, now: number, name: string) =>
      t.run('UPDATE users SET locked = ?, locked_until = NULL, updated_at = ? WHERE name = ?', [locked, now, name]),
    session: (h: Sql, idHash: string) =>
      h.get<SessionRow>('SELECT id_hash, user_name, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = ?', [idHash]),
    deleteSession: (h: Sql, idHash: string) => h.run('DELETE FROM sessions WHERE id_hash = ?', [idHash]),
    deleteUserSessions: (t: Sql, name: string) => t.run('DELETE FROM sessions WHERE user_name = ?', [name]),
  };

  async function mustGet(h: Sql, name: string): Promise<UserRow> {
    const row = await q.user(h, name);
    if (!row) throw new AccountError('NO_USER', `no user "${name}"; see \`user list\``, 'name');
    return row;
  }

  function checkPassword(password: string, field: string): void {
    const problem = passwordProblem(password);
    if (problem) throw new AccountError('BAD_INPUT', `${field}: ${problem}`, field);
  }

  /**
   * One password check through the throttle, for a name that may not exist (then against a dummy hash: the same
   * scrypt, the same answer). An account an administrator locked is a failure too, told apart only to someone who
   * gave its right password. Wrong passwords of real users are audited one by one (the throttle bounds them); unknown
   * names and refused attempts are summed up in the throttle's burst row.
   */
  async function verifyLogin(name: string, password: string, ip: string | null, during: 'login' | 'password.change'): Promise<{ user: UserRow } | LoginRefusal> {
    const user = await q.user(sql, name);
    let rightButLocked = false;
    const verdict: LoginVerdict = await throttle.attempt({ realm: 'http', address: ip, name, known: user !== undefined }, async () => {
      // the dummy's own password must not log anyone in
      const right = (await verifySecretAsync(password, user?.password_hash ?? dummy())) && user !== undefined;
      // read again: an administrator may have locked it while scrypt ran
      rightButLocked = right && (await q.user(sql, name))?.locked === 1;
      return right && !rightButLocked;
    });
    const fresh = await q.user(sql, name);
    if (verdict.outcome === 'ok' && fresh) return { user: fresh };
    if (verdict.outcome === 'refused') return verdict.reason === 'pair' ? { outcome: 'locked', until: verdict.until } : { outcome: 'throttled', until: verdict.until };
    if (verdict.outcome === 'ok') return { outcome: 'wrong' }; // gone while scrypt ran
    if (user) {
      const { pair } = throttle.policy;
      const reason = rightButLocked ? 'locked by an administrator' : 'wrong password';
      await sql.tx(async (t) => {
        await audit.recordIn(t, { actor: user.name, action: 'login.failed', target: user.name, ip, detail: { reason, during } });
        if (verdict.lockedUntil !== undefined) {
          await audit.recordIn(t, {
            actor: 'system',
            action: 'user.lock',
            target: user.name,
            ip,
            detail: { reason: `${pair.failures} failed logins within ${pair.windowMs / 1000} s from this address`, address: ip, until: verdict.lockedUntil },
          });
        }
      });
    }
    if (rightButLocked) return { outcome: 'locked', until: null };
    if (verdict.lockedUntil !== undefined) return { outcome: 'locked', until: verdict.lockedUntil };
    if (verdict.blockedUntil !== undefined) return { outcome: 'throttled', until: verdict.blockedUntil };
    return { outcome: 'wrong' };
  }

  /** A new session and its login row, in one transaction; the tokens are drawn first, so a retried transaction stores the same. */
  async function succeed(user: UserRow, now: number, ip: string | null): Promise<{ session: NewSession; fresh: UserRow }> {
    const token = randomToken();
    const csrfToken = randomToken();
    const fresh = await sql.tx(async (t) => {
      await t.run('DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?', [now - limits.idleMs, now - limits.absoluteMs]);
      await t.run('INSERT INTO sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, ip) VALUES (?, ?, ?, ?, ?, ?)', [
        sessionIdHash(token), user.name, csrfToken, now, now, ip,
      ]);
      await audit.recordIn(t, { actor: user.name, action: 'login', target: user.name, ip, detail: user.must_change ? { mustChange: true } : null });
      return mustGet(t, user.name);
    });
    return { session: { token, csrfToken, expiresAt: sessionExpiresAt({ createdAt: now, lastSeenAt: now }, limits) }, fresh };
  }

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
      const exists = () => new AccountError('EXISTS', `name: user "${input.name}" exists already`, 'name');
      if (await q.user(sql, input.name)) throw exists();
      const hash = await hashSecretAsync(input.password);
      const now = clock();
      const row = await sql.tx(async (t) => {
        // ON CONFLICT: a name added by someone else while scrypt ran is refused as EXISTS, not a constraint error
        const { changes } = await t.run(
          'INSERT INTO users (name, display_name, role, ward, password_hash, must_change, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (name) DO NOTHING',
          [input.name, displayName, input.role, ward, hash, now, now],
        );
        if (changes === 0) return undefined;
        await audit.recordIn(t, { ...by, action: 'user.add', target: input.name, detail: { role: input.role, ward } });
        return mustGet(t, input.name);
      });
      if (!row) throw exists();
      return toUser(row);
    },

    async resetPassword(name, password, by) {
      await mustGet(sql, name);
      checkPassword(password, 'password');
      const hash = await hashSecretAsync(password);
      const row = await sql.tx(async (t) => {
        await mustGet(t, name); // gone while scrypt ran: NO_USER, and no audit row
        await q.setHash(t, hash, 1, clock(), name);
        await q.deleteUserSessions(t, name);
        await audit.recordIn(t, { ...by, action: 'user.passwd', target: name });
        return mustGet(t, name);
      });
      return toUser(row);
    },

    async lock(name, by) {
      const row = await sql.tx(async (t) => {
        await mustGet(t, name);
        await q.setLocked(t, 1, clock(), name);
        await q.deleteUserSessions(t, name);
        await audit.recordIn(t, { ...by, action: 'user.lock', target: name, detail: { reason: 'by an administrator' } });
        return mustGet(t, name);
      });
      return toUser(row);
    },

    async unlock(name, by) {
      const row = await sql.tx(async (t) => {
        await mustGet(t, name);
        await q.setLocked(t, 0, clock(), name);
        await audit.recordIn(t, { ...by, action: 'user.unlock', target: name });
        return mustGet(t, name);
      });
      return toUser(row);
    },

    async get(name) {
      const row = await q.user(sql, name);
      return row && toUser(row);
    },
    list: async () => (await q.users(sql)).map(toUser),

    async login(name, password, ip) {
      const checked = await verifyLogin(name, password, ip, 'login');
      if (!('user' in checked)) return checked;
      const { session, fresh } = await succeed(checked.user, clock(), ip);
      return { outcome: checked.user.must_change ? 'must-change' : 'ok', user: toUser(fresh), session };
    },

    async changePassword(session, current, next, ip) {
      // a stolen session must not be a way to guess the password: a wrong current one counts as a failed login
      const checked = await verifyLogin(session.user.name, current, ip, 'password.change');
      if (!('user' in checked)) return checked;
      const user = checked.user;
      const problem = passwordProblem(next);
      if (problem) return { outcome: 'rule', message: problem };
      if (next === current) return { outcome: 'rule', message: 'the new password must differ from the current one' };
      const hash = await hashSecretAsync(next);
      const row = await sql.tx(async (t) => {
        await q.setHash(t, hash, 0, clock(), user.name);
        await t.run('DELETE FROM sessions WHERE user_name = ? AND id_hash <> ?', [user.name, session.idHash]);
        await audit.recordIn(t, { actor: user.name, action: 'password.change', target: user.name, ip, detail: user.must_change ? { initial: true } : null });
        return mustGet(t, user.name);
      });
      return { outcome: 'ok', user: toUser(row) };
    },

    async resume(token) {
      if (!token || token.length > 100) return undefined;
      const idHash = sessionIdHash(token);
      const row = await q.session(sql, idHash);
      if (!row) return undefined;
      const now = clock();
      const times = { createdAt: row.created_at, lastSeenAt: row.last_seen_at };
      const user = await q.user(sql, row.user_name);
      // only an administrator's lock ends sessions: failed logins from elsewhere must not log the user out
      if (!user || !sessionLive(times, now, limits) || user.locked === 1) {
        await q.deleteSession(sql, idHash);
        return undefined;
      }
      if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
        await sql.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?', [now, idHash]);
        times.lastSeenAt = now;
      }
      return { idHash, user: toUser(user), csrfToken: row.csrf_token, ...times, expiresAt: sessionExpiresAt(times, limits) };
    },

    async logout(session, ip) {
      await sql.tx(async (t) => {
        await q.deleteSession(t, session.idHash);
        await audit.recordIn(t, { actor: session.user.name, action: 'logout', target: session.user.name, ip });
      });
    },
  };
}
