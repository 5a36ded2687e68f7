import { describe, expect, it } from 'vitest';
import {
  addressKey,
  beginCheck,
  decide,
  endCheck,
  LOGIN_THROTTLE,
  NO_ACCOUNT,
  NO_ADDRESS,
  NO_PAIR,
  progressiveDelay,
  type ThrottleDecision,
  type ThrottleState,
} from './throttle.js';

const s = 1000;
const min = 60 * s;
const NOW = 1_764_000_000_000;
const times = (n: number, every = s) => Array.from({ length: n }, (_, i) => NOW - (n - i) * every);
const state = (over: { address?: Partial<ThrottleState['address']>; pair?: Partial<ThrottleState['pair']>; account?: Partial<ThrottleState['account']> } = {}): ThrottleState => ({
  address: { ...NO_ADDRESS, ...over.address },
  pair: { ...NO_PAIR, ...over.pair },
  account: { ...NO_ACCOUNT, ...over.account },
});

describe('decide: check (after a delay) or refuse without a password check', () => {
  it.each<[string, ThrottleState, ThrottleDecision]>([
    ['a first attempt', state(), { action: 'check', delayMs: 0 }],
    ['4 failures of the address: still free', state({ address: { failures: times(4) } }), { action: 'check', delayMs: 0 }],
    ['5 failures of the address: the 6th attempt waits 250 ms', state({ address: { failures: times(5) } }), { action: 'check', delayMs: 250 }],
    ['6 failures: 500 ms', state({ address: { failures: times(6) } }), { action: 'check', delayMs: 500 }],
    ['8 failures: 2 s', state({ address: { failures: times(8) } }), { action: 'check', delayMs: 2000 }],
    ['9 failures: 2 s at most', state({ address: { failures: times(9) } }), { action: 'check', delayMs: 2000 }],
    ['5 failures older than the address window cost nothing', state({ address: { failures: times(5, 3 * min) } }), { action: 'check', delayMs: 0 }],
    ['a running check counts as a failure', state({ address: { failures: times(4), inFlight: 1 } }), { action: 'check', delayMs: 250 }],
    ['the address blocked', state({ address: { blockedUntil: NOW + 1 } }), { action: 'refuse', reason: 'address', until: NOW + 1 }],
    ['the address block over', state({ address: { blockedUntil: NOW } }), { action: 'check', delayMs: 0 }],
    ['9 failures and one running: busy (the 10th would block)', state({ address: { failures: times(9), inFlight: 1 } }), { action: 'refuse', reason: 'busy', until: NOW + 1000 }],
    ['two checks of the address running already: busy', state({ address: { inFlight: 2 } }), { action: 'refuse', reason: 'busy', until: NOW + 1000 }],
    ['the pair locked', state({ pair: { lockedUntil: NOW + 5 * min } }), { action: 'refuse', reason: 'pair', until: NOW + 5 * min }],
    ['the pair locked and the address blocked: the pair answers', state({ pair: { lockedUntil: NOW + 9 }, address: { blockedUntil: NOW + 5 } }), { action: 'refuse', reason: 'pair', until: NOW + 9 }],
    ['the pair lock over', state({ pair: { lockedUntil: NOW - 1 } }), { action: 'check', delayMs: 0 }],
    ['4 pair failures and one running: busy (the 5th would lock)', state({ address: { failures: times(4) }, pair: { failures: times(4), inFlight: 1 } }), { action: 'refuse', reason: 'busy', until: NOW + 1000 }],
    ['20 failures of the name from all addresses: the 21st waits 250 ms', state({ account: { failures: times(20) } }), { action: 'check', delayMs: 250 }],
    ['19 failures of the name: free', state({ account: { failures: times(19) } }), { action: 'check', delayMs: 0 }],
    ['28 failures of the name: 2 s', state({ account: { failures: times(28) } }), { action: 'check', delayMs: 2000 }],
    ['the longer of the two delays', state({ address: { failures: times(6) }, account: { failures: times(20) } }), { action: 'check', delayMs: 500 }],
    ['28 failures of the name over 56 minutes: 7 in the last 15 are free', state({ account: { failures: times(28, 2 * min) } }), { action: 'check', delayMs: 0 }],
  ])('%s', (_name, st, expected) => {
    expect(decide(st, NOW)).toEqual(expected);
  });
});

describe('endCheck', () => {
  it('locks the pair on the 5th failure within 30 s (QĐ 724) and clears its count', () => {
    const end = endCheck(beginCheck(state({ pair: { failures: times(4) }, address: { failures: times(4) } })), 'wrong', NOW);
    expect(end.lockedUntil).toBe(NOW + 5 * min);
    expect(end.state.pair).toEqual({ failures: [], lockedUntil: NOW + 5 * min, inFlight: 0 });
    expect(end.blockedUntil).toBeUndefined();
    expect(end.state.address.failures).toHaveLength(5);
  });

  it('does not lock the pair when the failures are spread over more than 30 s', () => {
    const end = endCheck(beginCheck(state({ pair: { failures: times(4, 8 * s) } })), 'wrong', NOW);
    expect(end.lockedUntil).toBeUndefined();
    expect(end.state.pair.failures).toHaveLength(4); // the oldest fell out of the window
  });

  it('blocks the address for 10 minutes on its 10th failure within 10 minutes, whatever the names', () => {
    const end = endCheck(beginCheck(state({ address: { failures: times(9, 30 * s) } })), 'wrong', NOW);
    expect(end.blockedUntil).toBe(NOW + 10 * min);
    expect(end.state.address).toEqual({ failures: [], blockedUntil: NOW + 10 * min, inFlight: 0 });
    expect(decide(end.state, NOW + 10 * min - 1)).toMatchObject({ action: 'refuse', reason: 'address' });
    expect(decide(end.state, NOW + 10 * min)).toEqual({ action: 'check', delayMs: 0 });
  });

  it('clears the pair on the right password, but not the address or the name', () => {
    const before = beginCheck(state({ address: { failures: times(6) }, pair: { failures: times(3) }, account: { failures: times(3) } }));
    const end = endCheck(before, 'ok', NOW);
    expect(end.state.pair).toEqual({ failures: [], lockedUntil: null, inFlight: 0 });
    expect(end.state.address.failures).toHaveLength(6);
    expect(end.state.account.failures).toHaveLength(3);
  });

  it('only ends the check when the check itself failed', () => {
    const before = beginCheck(state({ address: { failures: times(2) } }));
    expect(before.address.inFlight).toBe(1);
    expect(endCheck(before, 'error', NOW).state).toEqual(state({ address: { failures: times(2) } }));
  });

  it('keeps no more of a name\'s failures than the longest delay needs', () => {
    let st = state();
    for (let i = 0; i < 100; i++) st = endCheck(beginCheck({ ...st, address: NO_ADDRESS, pair: NO_PAIR }), 'wrong', NOW + i).state;
    expect(st.account.failures).toHaveLength(LOGIN_THROTTLE.account.free + 8);
    expect(decide(st, NOW + 100)).toEqual({ action: 'check', delayMs: 2000 });
  });
});

describe('progressiveDelay', () => {
  it.each([
    [-3, 0],
    [0, 0],
    [1, 250],
    [2, 500],
    [3, 1000],
    [4, 2000],
    [5, 2000],
    [1000, 2000],
  ])('k = %i → %i ms', (k, ms) => {
    expect(progressiveDelay(k)).toBe(ms);
  });
});

describe('addressKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:127.0.0.2', '127.0.0.2'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    [null, 'local'],
    ['', 'local'],
  ])('%s → %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});
