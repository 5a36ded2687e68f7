// Login throttling, pure: from what an address, a name and the (name, address) pair did lately, whether an attempt
// may run its password check (and after what delay) or is refused without one, and what its outcome changes.
// State in, decision out; the maps, timers, scrypt semaphore, metrics and logs are in login-throttle.ts.
import { isIPv4, isIPv6 } from 'node:net';
import { LOCKOUT, lockAfterFailure, type LockoutPolicy } from './policy.js';

export interface ThrottlePolicy {
  /** QĐ 724's lockout, counted per (name, address): an outsider's failures never lock the user out elsewhere */
  pair: LockoutPolicy;
  /** every name tried from one address (IPv6: one /64), known or not */
  address: {
    windowMs: number;
    /** failures within the window that cost no delay */
    free: number;
    /** at this many failures within the window the address is refused, without a password check, for `blockMs` */
    blockAfter: number;
    blockMs: number;
    /** password checks of one address at once (waiting out a delay included); more are refused as busy */
    maxInFlight: number;
  };
  /** one name from all addresses: only slows down (a lock here is what an outsider could use) */
  account: {
    windowMs: number;
    free: number;
  };
  /** the k-th attempt past `free` waits firstMs·2^(k-1), at most maxMs */
  delay: { firstMs: number; maxMs: number };
  /** a busy refusal says: try again after this long */
  busyRetryMs: number;
}

export const LOGIN_THROTTLE: ThrottlePolicy = {
  pair: LOCKOUT,
  address: { windowMs: 10 * 60_000, free: 5, blockAfter: 10, blockMs: 10 * 60_000, maxInFlight: 2 },
  // one address reaches at most `address.blockAfter` failures per block: only several addresses slow a name down
  account: { windowMs: 15 * 60_000, free: 20 },
  delay: { firstMs: 250, maxMs: 2000 },
  busyRetryMs: 1000,
};

export interface AddressState {
  /** times of failures within the window, oldest first */
  failures: readonly number[];
  blockedUntil: number | null;
  inFlight: number;
}

export interface PairState {
  failures: readonly number[];
  lockedUntil: number | null;
  inFlight: number;
}

export interface AccountState {
  failures: readonly number[];
}

export interface ThrottleState {
  address: AddressState;
  pair: PairState;
  account: AccountState;
}

export const NO_ADDRESS: AddressState = { failures: [], blockedUntil: null, inFlight: 0 };
export const NO_PAIR: PairState = { failures: [], lockedUntil: null, inFlight: 0 };
export const NO_ACCOUNT: AccountState = { failures: [] };

export type RefusalReason =
  /** this name from this address is locked (QĐ 724): answered LOCKED */
  | 'pair'
  /** this address failed too often: answered THROTTLED */
  | 'address'
  /** too many checks at once from this address or for this pair: answered THROTTLED, briefly */
  | 'busy';

export type ThrottleDecision = { action: 'check'; delayMs: number } | { action: 'refuse'; reason: RefusalReason; until: number };

const within = (times: readonly number[], now: number, windowMs: number) => times.filter((t) => t > now - windowMs && t <= now);

/** The wait before the k-th attempt past the free ones (k ≤ 0: none). */
export function progressiveDelay(k: number, delay: ThrottlePolicy['delay'] = LOGIN_THROTTLE.delay): number {
  if (k <= 0) return 0;
  return Math.min(delay.maxMs, delay.firstMs * 2 ** Math.min(k - 1, 30));
}

/** May this attempt run its password check, and after what delay? Attempts still running count as failures. */
export function decide(s: ThrottleState, now: number, p: ThrottlePolicy = LOGIN_THROTTLE): ThrottleDecision {
  if (s.pair.lockedUntil !== null && s.pair.lockedUntil > now) return { action: 'refuse', reason: 'pair', until: s.pair.lockedUntil };
  if (s.address.blockedUntil !== null && s.address.blockedUntil > now) return { action: 'refuse', reason: 'address', until: s.address.blockedUntil };
  const byAddress = within(s.address.failures, now, p.address.windowMs).length + s.address.inFlight;
  const byPair = within(s.pair.failures, now, p.pair.windowMs).length + s.pair.inFlight;
  if (s.address.inFlight >= p.address.maxInFlight || byAddress >= p.address.blockAfter || byPair >= p.pair.failures) {
    return { action: 'refuse', reason: 'busy', until: now + p.busyRetryMs };
  }
  const byAccount = within(s.account.failures, now, p.account.windowMs).length;
  const delayMs = Math.max(progressiveDelay(byAddress - p.address.free + 1, p.delay), progressiveDelay(byAccount - p.account.free + 1, p.delay));
  return { action: 'check', delayMs };
}

/** A check begins (its delay included): it counts against the address and the pair until it ends. */
export function beginCheck(s: ThrottleState): ThrottleState {
  return { ...s, address: { ...s.address, inFlight: s.address.inFlight + 1 }, pair: { ...s.pair, inFlight: s.pair.inFlight + 1 } };
}

export interface CheckEnd {
  state: ThrottleState;
  /** this failure locked the pair until then */
  lockedUntil?: number;
  /** this failure had the address refused until then */
  blockedUntil?: number;
}

/**
 * A check ended: `ok` clears the pair's failures (QĐ 724: the right password resets the count; the address and the
 * name keep theirs, or a guesser with one account of its own could reset them); `wrong` counts everywhere and may
 * lock the pair or block the address; `error` (the check itself failed) only ends it.
 */
export function endCheck(s: ThrottleState, outcome: 'ok' | 'wrong' | 'error', now: number, p: ThrottlePolicy = LOGIN_THROTTLE): CheckEnd {
  const address = { ...s.address, inFlight: Math.max(0, s.address.inFlight - 1) };
  const pair = { ...s.pair, inFlight: Math.max(0, s.pair.inFlight - 1) };
  if (outcome === 'error') return { state: { ...s, address, pair } };
  if (outcome === 'ok') return { state: { ...s, address, pair: { ...pair, failures: [], lockedUntil: null } } };

  const end: Omit<CheckEnd, 'state'> = {};
  const addressFailures = [...within(address.failures, now, p.address.windowMs), now];
  if (addressFailures.length >= p.address.blockAfter) {
    end.blockedUntil = now + p.address.blockMs;
    address.failures = [];
    address.blockedUntil = end.blockedUntil;
  } else {
    address.failures = addressFailures;
  }
  const pairFailures = [...within(pair.failures, now, p.pair.windowMs), now];
  const lockedUntil = lockAfterFailure(pairFailures, now, p.pair);
  if (lockedUntil !== undefined) {
    end.lockedUntil = lockedUntil;
    pair.failures = [];
    pair.lockedUntil = lockedUntil;
  } else {
    pair.failures = pairFailures;
  }
  // past free + 8 the delay is at its longest already: no need to keep more times
  const account = { failures: [...within(s.account.failures, now, p.account.windowMs), now].slice(-(p.account.free + 8)) };
  return { state: { address, pair, account }, ...end };
}

/** Nothing left to remember: no check running, no lock or block in force, no failure within its window. */
export function addressIdle(a: AddressState, now: number, p: ThrottlePolicy = LOGIN_THROTTLE): boolean {
  return a.inFlight === 0 && !(a.blockedUntil !== null && a.blockedUntil > now) && within(a.failures, now, p.address.windowMs).length === 0;
}

export function pairIdle(s: PairState, now: number, p: ThrottlePolicy = LOGIN_THROTTLE): boolean {
  return s.inFlight === 0 && !(s.lockedUntil !== null && s.lockedUntil > now) && within(s.failures, now, p.pair.windowMs).length === 0;
}

export function accountIdle(a: AccountState, now: number, p: ThrottlePolicy = LOGIN_THROTTLE): boolean {
  return within(a.failures, now, p.account.windowMs).length === 0;
}

/**
 * The address an attempt is counted under: IPv4 as is (also when written as ::ffff:a.b.c.d), IPv6 by its /64 (one
 * host usually holds a whole /64), and `local` for attempts without one (the command line, tests).
 */
export function addressKey(ip: string | null | undefined): string {
  if (!ip) return 'local';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names the interface, not the host
  if (!isIPv6(bare)) return ip.slice(0, 64);
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case without leading zeros (an embedded IPv4 tail converted). */
function expandIPv6(ip: string): string[] {
  let text = ip.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -v4[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((g) => parseInt(g, 16).toString(16));
}
