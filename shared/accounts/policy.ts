// Account policy, pure: the password rule, the lockout rule, session expiry (QĐ 724/BTTTT 2024; DESIGN §6).
import { randomInt } from 'node:crypto';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;
export const PASSWORD_RULE = `at least ${PASSWORD_MIN_LENGTH} characters, with at least one letter and one digit`;

/** Why `password` breaks the rule (a sentence naming it), or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < PASSWORD_MIN_LENGTH) return `too short: a password needs ${PASSWORD_RULE}`;
  if (password.length > PASSWORD_MAX_LENGTH) return `too long: at most ${PASSWORD_MAX_LENGTH} characters`;
  if (!/\p{L}/u.test(password)) return `no letter: a password needs ${PASSWORD_RULE}`;
  if (!/\p{Nd}/u.test(password)) return `no digit: a password needs ${PASSWORD_RULE}`;
  return undefined;
}

// no 0/O, 1/l/I: a generated password is read off a screen and typed once
const LETTERS = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';

/** A random initial password that meets the rule: 4 groups of 4, e.g. `k7Qm-x2Wd-…`. */
export function generatePassword(): string {
  const all = LETTERS + DIGITS;
  for (;;) {
    const chars = Array.from({ length: 16 }, () => all[randomInt(all.length)]!);
    const pw = [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
    if (!passwordProblem(pw)) return pw;
  }
}

export interface LockoutPolicy {
  /** this many failures … */
  failures: number;
  /** … within this window (ms) … */
  windowMs: number;
  /** … lock this long (ms): the (name, address) pair, see throttle.ts */
  lockMs: number;
}

export const LOCKOUT: LockoutPolicy = { failures: 5, windowMs: 30_000, lockMs: 5 * 60_000 };

/**
 * After a failed login at `now`, given the times of failures so far (this one included): the time the name stays
 * locked until (for the address they came from: throttle.ts), or undefined when it stays open.
 */
export function lockAfterFailure(failureTimes: readonly number[], now: number, policy: LockoutPolicy = LOCKOUT): number | undefined {
  const recent = failureTimes.filter((t) => t > now - policy.windowMs && t <= now).length;
  return recent >= policy.failures ? now + policy.lockMs : undefined;
}

export interface SessionLimits {
  /** a session unused this long (ms) ends */
  idleMs: number;
  /** a session ends this long (ms) after login, used or not */
  absoluteMs: number;
}

export const SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 60 * 60_000 };

/** When a session ends unless used again: the earlier of idle and absolute expiry. */
export function sessionExpiresAt(session: { createdAt: number; lastSeenAt: number }, limits: SessionLimits = SESSION_LIMITS): number {
  return Math.min(session.lastSeenAt + limits.idleMs, session.createdAt + limits.absoluteMs);
}

export function sessionLive(session: { createdAt: number; lastSeenAt: number }, now: number, limits: SessionLimits = SESSION_LIMITS): boolean {
  return now < sessionExpiresAt(session, limits);
}
