// Login throttling around the password check (decisions: throttle.ts): what addresses, names and (name, address)
// pairs did lately, kept in bounded maps; the delays; one small semaphore around every password check (scrypt);
// counters for /metrics; and one log line, and at most one audit row, per burst of failures from an address.
// The hub builds one for its HTTP logins and its MQTT broker; the ward box one for its review page.
import type { Audit } from '../audit/index.js';
import type { Logger } from '../log.js';
import { Semaphore } from '../semaphore.js';
import { USER_NAME_PATTERN } from './roles.js';
import {
  accountIdle,
  addressIdle,
  addressKey,
  beginCheck,
  decide,
  endCheck,
  LOGIN_THROTTLE,
  NO_ACCOUNT,
  NO_ADDRESS,
  NO_PAIR,
  pairIdle,
  type RefusalReason,
  type ThrottlePolicy,
  type ThrottleState,
} from './throttle.js';

/** `rtsp`: the city's video system at the hub (hub/city-rtsp/, Digest) */
export type LoginRealm = 'http' | 'mqtt' | 'rtsp';

export interface LoginAttempt {
  realm: LoginRealm;
  /** the peer's address (request.ip, the socket's remoteAddress); null: local (the command line, tests) */
  address: string | null;
  /** the name tried, whether it exists or not */
  name: string;
  /** whether the name exists: never changes the answer, only where the audit counts it (unknown names: the burst row) */
  known: boolean;
}

export type LoginVerdict =
  | { outcome: 'ok' }
  /** the check ran and failed; this failure may have locked the pair or had the address refused */
  | { outcome: 'wrong'; lockedUntil?: number; blockedUntil?: number }
  /** refused without a check */
  | { outcome: 'refused'; reason: RefusalReason; until: number };

export interface LoginThrottleStats {
  /** password checks run (each one scrypt), by realm */
  checks: Record<LoginRealm, number>;
  /** checks that failed, by realm */
  failures: Record<LoginRealm, number>;
  /** attempts refused without a check */
  refused: Record<RefusalReason, number>;
  /** attempts that waited before their check, and how long in all */
  delayed: number;
  delayMs: number;
  pairLocks: number;
  addressBlocks: number;
  /** bursts of failures from an address that ended (one log line each) */
  bursts: number;
  checksRunning: number;
  checksWaiting: number;
  addressesBlocked: number;
  pairsLocked: number;
}

export interface LoginThrottleOptions {
  clock?: () => number;
  policy?: ThrottlePolicy;
  /** password checks at once, and waiting for a turn (more are refused as busy); default 2 and 32 */
  checks?: { concurrent: number; waiting: number };
  /** a burst of an address ends after quietMs without a failure (default 5 min) and is cut after maxMs (15 min) */
  burst?: { quietMs: number; maxMs: number };
  /** at most this many addresses, names and pairs are remembered each; the least recently seen go first (10 000) */
  maxTracked?: number;
  logger?: Logger;
  /** where `login.burst` rows go */
  audit?: Pick<Audit, 'record'>;
  /** tests: note the delays instead of waiting them out */
  sleep?: (ms: number) => Promise<void>;
}

interface Burst {
  address: string;
  from: number;
  to: number;
  failures: number;
  unknownNames: number;
  refused: number;
  pairLocks: number;
  blocked: boolean;
  realms: Set<LoginRealm>;
  /** a few of the names tried (only what looks like a name: a password typed into the name box is not kept) */
  names: Set<string>;
}

const MAX_BURST_NAMES = 5;

/** A Map that forgets its least recently written entry past `max`. */
class RecentMap<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }
}

const realmCounts = (): Record<LoginRealm, number> => ({ http: 0, mqtt: 0, rtsp: 0 });

export class LoginThrottle {
  private readonly clock: () => number;
  readonly policy: ThrottlePolicy;
  private readonly semaphore: Semaphore;
  private readonly burstLimits: { quietMs: number; maxMs: number };
  private readonly logger: Logger | undefined;
  private readonly audit: Pick<Audit, 'record'> | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly addresses: RecentMap<ThrottleState['address']>;
  private readonly pairs: RecentMap<ThrottleState['pair']>;
  private readonly accounts: RecentMap<ThrottleState['account']>;
  private readonly bursts = new Map<string, Burst>();
  /** burst rows being written: close() waits for them */
  private readonly writing = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly counters = {
    checks: realmCounts(),
    failures: realmCounts(),
    refused: { pair: 0, address: 0, busy: 0 } as Record<RefusalReason, number>,
    delayed: 0,
    delayMs: 0,
    pairLocks: 0,
    addressBlocks: 0,
    bursts: 0,
  };

  constructor({ clock = Date.now, policy = LOGIN_THROTTLE, checks = { concurrent: 2, waiting: 32 }, burst = { quietMs: 5 * 60_000, maxMs: 15 * 60_000 }, maxTracked = 10_000, logger, audit, sleep }: LoginThrottleOptions = {}) {
    this.clock = clock;
    this.policy = policy;
    this.semaphore = new Semaphore(checks.concurrent, checks.waiting);
    this.burstLimits = burst;
    this.logger = logger;
    this.audit = audit;
    this.sleep = sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.addresses = new RecentMap(maxTracked);
    this.pairs = new RecentMap(maxTracked);
    this.accounts = new RecentMap(maxTracked);
  }

  /**
   * Runs `check` (the password check: true when right) unless the attempt is refused, after the delay the policy
   * asks for, one of a few at once; counts the outcome. A check that throws ends the attempt uncounted and rethrows.
   */
  async attempt(who: LoginAttempt, check: () => Promise<boolean>): Promise<LoginVerdict> {
    const address = addressKey(who.address);
    const account = `${who.realm}:${who.name}`;
    const keys = { address, account, pair: `${account}@${address}` };
    const now = this.clock();
    const decision = decide(this.read(keys), now, this.policy);
    if (decision.action === 'refuse') return this.refuse(who, address, decision.reason, decision.until, now);

    this.write(keys, beginCheck(this.read(keys)));
    let outcome: 'ok' | 'wrong' | 'error' = 'error';
    let busy = false;
    let consequences: { lockedUntil?: number; blockedUntil?: number } = {};
    try {
      if (decision.delayMs > 0) {
        this.counters.delayed++;
        this.counters.delayMs += decision.delayMs;
        await this.sleep(decision.delayMs);
      }
      const run = this.semaphore.tryRun(() => {
        this.counters.checks[who.realm]++;
        return check();
      });
      if (run) outcome = (await run) ? 'ok' : 'wrong';
      else busy = true;
    } finally {
      // read again: other attempts changed the state while this one waited
      const at = this.clock();
      const { state, ...end } = endCheck(this.read(keys), outcome, at, this.policy);
      this.write(keys, state);
      if (outcome === 'wrong') {
        consequences = end;
        this.failed(who, address, at, end);
      }
    }
    if (busy) {
      const at = this.clock();
      return this.refuse(who, address, 'busy', at + this.policy.busyRetryMs, at);
    }
    return outcome === 'ok' ? { outcome: 'ok' } : { outcome: 'wrong', ...consequences };
  }

  stats(): LoginThrottleStats {
    const now = this.clock();
    let addressesBlocked = 0;
    let pairsLocked = 0;
    for (const [, a] of this.addresses.entries()) if (a.blockedUntil !== null && a.blockedUntil > now) addressesBlocked++;
    for (const [, p] of this.pairs.entries()) if (p.lockedUntil !== null && p.lockedUntil > now) pairsLocked++;
    const c = this.counters;
    return {
      checks: { ...c.checks },
      failures: { ...c.failures },
      refused: { ...c.refused },
      delayed: c.delayed,
      delayMs: c.delayMs,
      pairLocks: c.pairLocks,
      addressBlocks: c.addressBlocks,
      bursts: c.bursts,
      checksRunning: this.semaphore.active,
      checksWaiting: this.semaphore.waiting,
      addressesBlocked,
      pairsLocked,
    };
  }

  /**
   * Ends the bursts that have been quiet long enough (or lasted too long), and forgets what no longer matters.
   * Resolves once the rows of the bursts it ended are written (never rejects: a failed row is logged).
   */
  sweep(): Promise<void> {
    const now = this.clock();
    const rows: Promise<void>[] = [];
    for (const burst of [...this.bursts.values()]) {
      if (now - burst.to >= this.burstLimits.quietMs || now - burst.from >= this.burstLimits.maxMs) rows.push(this.endBurst(burst));
    }
    for (const [key, a] of [...this.addresses.entries()]) if (addressIdle(a, now, this.policy)) this.addresses.delete(key);
    for (const [key, p] of [...this.pairs.entries()]) if (pairIdle(p, now, this.policy)) this.pairs.delete(key);
    for (const [key, a] of [...this.accounts.entries()]) if (accountIdle(a, now, this.policy)) this.accounts.delete(key);
    return Promise.all(rows).then(() => {});
  }

  /**
   * Ends every open burst (its line and row written) and stops the timer; resolves when every burst row in flight
   * is written: await it before the audit's db closes.
   */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const burst of [...this.bursts.values()]) void this.endBurst(burst);
    await Promise.all([...this.writing]);
  }

  private read(keys: { address: string; pair: string; account: string }): ThrottleState {
    return { address: this.addresses.get(keys.address) ?? NO_ADDRESS, pair: this.pairs.get(keys.pair) ?? NO_PAIR, account: this.accounts.get(keys.account) ?? NO_ACCOUNT };
  }

  /** Keeps what still matters; an entry with nothing to remember is dropped, so the maps hold only recent trouble. */
  private write(keys: { address: string; pair: string; account: string }, s: ThrottleState): void {
    const now = this.clock();
    if (addressIdle(s.address, now, this.policy)) this.addresses.delete(keys.address);
    else this.addresses.set(keys.address, s.address);
    if (pairIdle(s.pair, now, this.policy)) this.pairs.delete(keys.pair);
    else this.pairs.set(keys.pair, s.pair);
    if (accountIdle(s.account, now, this.policy)) this.accounts.delete(keys.account);
    else this.accounts.set(keys.account, s.account);
  }

  private refuse(who: LoginAttempt, address: string, reason: RefusalReason, until: number, now: number): LoginVerdict {
    this.counters.refused[reason]++;
    const burst = this.burstOf(address, now);
    burst.refused++;
    this.noteName(burst, who);
    return { outcome: 'refused', reason, until };
  }

  private failed(who: LoginAttempt, address: string, now: number, { lockedUntil, blockedUntil }: { lockedUntil?: number; blockedUntil?: number }): void {
    this.counters.failures[who.realm]++;
    const burst = this.burstOf(address, now);
    burst.failures++;
    if (!who.known) burst.unknownNames++;
    this.noteName(burst, who);
    if (lockedUntil !== undefined) {
      this.counters.pairLocks++;
      burst.pairLocks++;
    }
    if (blockedUntil !== undefined) {
      this.counters.addressBlocks++;
      burst.blocked = true;
    }
  }

  private noteName(burst: Burst, who: LoginAttempt): void {
    burst.realms.add(who.realm);
    if (burst.names.size < MAX_BURST_NAMES && USER_NAME_PATTERN.test(who.name)) burst.names.add(who.name);
  }

  private burstOf(address: string, now: number): Burst {
    let burst = this.bursts.get(address);
    if (!burst) {
      burst = { address, from: now, to: now, failures: 0, unknownNames: 0, refused: 0, pairLocks: 0, blocked: false, realms: new Set(), names: new Set() };
      this.bursts.set(address, burst);
      this.schedule();
    }
    burst.to = Math.max(burst.to, now);
    return burst;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sweep();
      if (this.bursts.size > 0) this.schedule();
    }, Math.min(30_000, this.burstLimits.quietMs));
    this.timer.unref();
  }

  /** Ends a burst: its log line now, its audit row (if it needs one) written in the background; resolves when written or logged as failed. */
  private endBurst(b: Burst): Promise<void> {
    this.bursts.delete(b.address);
    this.counters.bursts++;
    const detail = {
      from: b.from,
      to: b.to,
      failures: b.failures,
      unknownNames: b.unknownNames,
      refused: b.refused,
      pairLocks: b.pairLocks,
      addressBlocked: b.blocked,
      realms: [...b.realms].sort(),
      names: [...b.names].sort(),
    };
    const seconds = Math.round((b.to - b.from) / 1000);
    const message = `failed logins from ${b.address}: ${b.failures} wrong, ${b.refused} refused without a check, over ${seconds} s${b.blocked ? ' (the address was refused for a while)' : ''}`;
    if (b.refused > 0 || b.blocked || b.pairLocks > 0) this.logger?.warn({ address: b.address, ...detail }, message);
    else this.logger?.info({ address: b.address, ...detail }, message);
    // rows of their own exist for known names' wrong passwords; what has none is summed up here, once
    if (!this.audit || (b.unknownNames === 0 && b.refused === 0 && !b.realms.has('mqtt'))) return Promise.resolve();
    const audit = this.audit;
    const written: Promise<void> = Promise.resolve()
      .then(() => audit.record({ actor: 'system', action: 'login.burst', target: null, ip: b.address, detail }))
      .then(
        () => {},
        (err: unknown) => this.logger?.error({ err, address: b.address }, 'could not audit a burst of failed logins'),
      )
      .finally(() => this.writing.delete(written));
    this.writing.add(written);
    return written;
  }
}
