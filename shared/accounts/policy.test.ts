import { describe, expect, it } from 'vitest';
import { generatePassword, LOCKOUT, lockAfterFailure, passwordProblem, sessionExpiresAt, sessionLive } from './policy.js';
import { can, ROLE_PERMISSIONS, type Permission, type Principal } from './roles.js';

describe('password rule', () => {
  it.each([
    ['abcdefg1', undefined],
    ['Phường7!x', undefined],
    ['abc12', /too short.*at least 8 characters, with at least one letter and one digit/],
    ['abcdefgh', /no digit/],
    ['12345678', /no letter/],
    ['        ', /no letter/],
    ['', /too short/],
    ['a1' + 'x'.repeat(300), /too long/],
  ])('%j → %s', (password, expected) => {
    const problem = passwordProblem(password);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('generates passwords that meet it, never the same twice', () => {
    const seen = new Set(Array.from({ length: 50 }, generatePassword));
    expect(seen.size).toBe(50);
    for (const pw of seen) expect(passwordProblem(pw)).toBeUndefined();
  });
});

describe('lockout: 5 failed logins within 30 s lock for 5 minutes', () => {
  const s = 1000;
  it.each<[string, number[], number, number | undefined]>([
    ['5 failures in 4 s', [0, s, 2 * s, 3 * s, 4 * s], 4 * s, 4 * s + 300 * s],
    ['4 failures', [0, s, 2 * s, 3 * s], 3 * s, undefined],
    ['5 failures spread over 40 s', [0, 10 * s, 20 * s, 30 * s, 40 * s], 40 * s, undefined],
    ['5 within the last 30 s of 7', [0, 5 * s, 31 * s, 35 * s, 40 * s, 45 * s, 50 * s], 50 * s, 50 * s + 300 * s],
    ['the oldest exactly 30 s ago no longer counts', [0, 10 * s, 20 * s, 25 * s, 30 * s], 30 * s, undefined],
  ])('%s', (_name, failures, now, until) => {
    expect(lockAfterFailure(failures, now, LOCKOUT)).toBe(until);
  });
});

describe('session expiry: idle 30 min, absolute 12 h', () => {
  const min = 60_000;
  it.each([
    [{ createdAt: 0, lastSeenAt: 0 }, 29 * min, true],
    [{ createdAt: 0, lastSeenAt: 0 }, 30 * min, false],
    [{ createdAt: 0, lastSeenAt: 700 * min }, 715 * min, true],
    [{ createdAt: 0, lastSeenAt: 710 * min }, 720 * min, false], // used 10 min ago, but 12 h old
  ])('%j at %i → live %s', (session, now, live) => {
    expect(sessionLive(session, now)).toBe(live);
  });

  it('expires at the earlier of the two', () => {
    expect(sessionExpiresAt({ createdAt: 0, lastSeenAt: 0 })).toBe(30 * min);
    expect(sessionExpiresAt({ createdAt: 0, lastSeenAt: 715 * min })).toBe(720 * min);
  });
});

describe('roles → permissions', () => {
  const officer: Principal = { role: 'officer', ward: 'p07' };
  const operator: Principal = { role: 'operator', ward: null };
  const admin: Principal = { role: 'admin', ward: null };
  const city: Principal = { role: 'city', ward: null };
  it.each<[string, Principal, Permission, string | undefined, boolean]>([
    ['officer, own ward live', officer, 'live', 'p07', true],
    ['officer, own ward export', officer, 'export', 'p07', true],
    ['officer, own ward hold', officer, 'hold.place', 'p07', true],
    ['officer, other ward playback', officer, 'playback', 'p08', false],
    ['officer, ward not named', officer, 'events', undefined, false],
    ['officer, all incidents', officer, 'incidents', undefined, false],
    ['officer, share to city', officer, 'share', undefined, false],
    ['operator, all incidents', operator, 'incidents', undefined, true],
    ['operator, health', operator, 'health', undefined, true],
    ['operator, share', operator, 'share', undefined, true],
    ['operator, a ward\'s live view (ward-scoped: officers)', operator, 'live', 'p07', false],
    ['operator, users', operator, 'users', undefined, false],
    ['admin, users', admin, 'users', undefined, true],
    ['admin, holds', admin, 'hold.manage', undefined, true],
    ['admin, settings', admin, 'settings', undefined, true],
    ['admin, export', admin, 'export', 'p07', false],
    ['city, shared link', city, 'shared-link', undefined, true],
    ['city, incidents', city, 'incidents', undefined, false],
    ['city, traffic indicators', city, 'indicators', undefined, true],
    ['city, health', city, 'health', undefined, false],
    ['operator, traffic indicators', operator, 'indicators', undefined, true],
    ['operator, grant the city a camera', operator, 'city.grant', undefined, true],
    ['operator, open emergency access (admins only)', operator, 'city.emergency', undefined, false],
    ['operator, the city\'s own view', operator, 'city.view', undefined, false],
    ['admin, grant the city a camera', admin, 'city.grant', undefined, true],
    ['admin, open emergency access', admin, 'city.emergency', undefined, true],
    ['admin, the city\'s own view', admin, 'city.view', undefined, false],
    ['city, its granted cameras', city, 'city.view', undefined, true],
    ['city, grant itself a camera', city, 'city.grant', undefined, false],
    ['city, open emergency access', city, 'city.emergency', undefined, false],
    ['officer, grant the city a camera', officer, 'city.grant', undefined, false],
    ['officer, the city\'s own view', officer, 'city.view', undefined, false],
  ])('%s → %s', (_name, who, permission, ward, allowed) => {
    expect(can(who, permission, ward)).toBe(allowed);
  });

  it('gives every role at least one permission and the city nothing but shared links, the traffic indicators and what it is granted', () => {
    for (const perms of Object.values(ROLE_PERMISSIONS)) expect(perms.length).toBeGreaterThan(0);
    expect(ROLE_PERMISSIONS.city).toEqual(['shared-link', 'indicators', 'city.view']);
  });
});
