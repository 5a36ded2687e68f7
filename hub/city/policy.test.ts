import { describe, expect, it } from 'vitest';
import { decide, inForce, type CityWhat, type GrantTerms } from './policy.js';

const NOW = 1_764_061_200_000;
const MIN = 60_000;
const grant = (over: Partial<GrantTerms> = {}): GrantTerms => ({
  id: 'g1', kind: 'grant', ward: 'p01', camera: 'cam-1', live: true, recordings: { from: NOW - 60 * MIN, to: NOW },
  startsAt: NOW - MIN, endsAt: NOW + 10 * MIN, revokedAt: null, ...over,
});
const emergency = (over: Partial<GrantTerms> = {}): GrantTerms =>
  grant({ id: 'e1', kind: 'emergency', ward: null, camera: null, live: true, recordings: null, endsAt: NOW + 60 * MIN, ...over });
const minute = (from: number): CityWhat => ({ from, to: from + MIN });

describe('decide: which grant allows which ward, camera and what, when', () => {
  it.each<[string, GrantTerms[], string, string, CityWhat, string]>([
    ['a camera granted live', [grant()], 'p01', 'cam-1', 'live', 'ok:g1'],
    ['another camera of the same ward', [grant()], 'p01', 'cam-2', 'live', 'refused:camera cam-2 of ward p01 is not granted'],
    ['the same camera name in another ward', [grant()], 'p02', 'cam-1', 'live', 'refused:camera cam-1 of ward p02 is not granted'],
    ['a whole ward granted: any of its cameras', [grant({ camera: null })], 'p01', 'cam-7', 'live', 'ok:g1'],
    ['a whole ward granted: not another ward', [grant({ camera: null })], 'p02', 'cam-7', 'live', 'refused:is not granted'],
    ['a minute inside the recordings range', [grant()], 'p01', 'cam-1', minute(NOW - 30 * MIN), 'ok:g1'],
    ['the last minute of the range (the end is exclusive)', [grant()], 'p01', 'cam-1', minute(NOW - MIN), 'ok:g1'],
    ['a minute crossing the range\'s end', [grant()], 'p01', 'cam-1', minute(NOW - MIN / 2), 'refused:granted to the city only within'],
    ['a minute before the range', [grant()], 'p01', 'cam-1', minute(NOW - 61 * MIN), 'refused:granted to the city only within'],
    ['recordings of a live-only grant', [grant({ recordings: null })], 'p01', 'cam-1', minute(NOW - 5 * MIN), 'refused:live view only'],
    ['live of a recordings-only grant', [grant({ live: false })], 'p01', 'cam-1', 'live', 'refused:recordings only'],
    ['an expired grant', [grant({ endsAt: NOW - MIN })], 'p01', 'cam-1', 'live', 'refused:ended at'],
    ['a grant at the very moment it ends', [grant({ endsAt: NOW })], 'p01', 'cam-1', 'live', 'refused:ended at'],
    ['a revoked grant', [grant({ revokedAt: NOW - 1 })], 'p01', 'cam-1', 'live', 'refused:was revoked'],
    ['a grant not yet started', [grant({ startsAt: NOW + MIN })], 'p01', 'cam-1', 'live', 'refused:starts at'],
    ['an emergency: any camera live', [emergency()], 'p09', 'cam-3', 'live', 'ok:e1'],
    ['an emergency: any recordings', [emergency()], 'p09', 'cam-3', minute(NOW - 24 * 60 * MIN), 'ok:e1'],
    ['an emergency that ended', [emergency({ endsAt: NOW - 1 })], 'p09', 'cam-3', 'live', 'refused:ended at'],
    ['an emergency closed early', [emergency({ revokedAt: NOW - 1 })], 'p09', 'cam-3', 'live', 'refused:was revoked'],
    ['a revoked grant, with an emergency in force', [grant({ revokedAt: NOW - 1 }), emergency()], 'p01', 'cam-1', 'live', 'ok:e1'],
    ['two grants: the one that lasts longer', [grant(), grant({ id: 'g2', endsAt: NOW + 30 * MIN })], 'p01', 'cam-1', 'live', 'ok:g2'],
    ['a live-only grant and a recordings grant: each for its own', [grant({ recordings: null }), grant({ id: 'g2', live: false })], 'p01', 'cam-1', minute(NOW - 2 * MIN), 'ok:g2'],
    ['no grants at all', [], 'p01', 'cam-1', 'live', 'refused:camera cam-1 of ward p01 is not granted to the city'],
  ])('%s', (_name, grants, ward, camera, what, expected) => {
    const d = decide(grants, ward, camera, what, NOW);
    if (expected.startsWith('ok:')) expect(d).toMatchObject({ ok: true, grantId: expected.slice(3) });
    else expect(d.ok ? `ok:${d.grantId}` : d.reason).toContain(expected.slice('refused:'.length));
  });

  it('names the range a refused pull may pick from, and when an expired grant ended', () => {
    const outside = decide([grant()], 'p01', 'cam-1', minute(NOW + MIN), NOW);
    expect(outside.ok ? '' : outside.reason).toBe('recordings of camera cam-1 of ward p01 are granted to the city only within 2025-11-25 08:00 UTC – 2025-11-25 09:00 UTC: pick a range inside it');
    const ended = decide([grant({ endsAt: NOW - 5 * MIN })], 'p01', 'cam-1', 'live', NOW);
    expect(ended.ok ? '' : ended.reason).toBe('the city\'s access to camera cam-1 of ward p01 ended at 2025-11-25 08:55 UTC: ask an operator for a new grant');
  });

  it('says when access ends and of which kind', () => {
    expect(decide([emergency()], 'p01', 'cam-1', 'live', NOW)).toEqual({ ok: true, grantId: 'e1', kind: 'emergency', endsAt: NOW + 60 * MIN });
  });
});

describe('inForce', () => {
  it.each<[string, Partial<GrantTerms>, boolean]>([
    ['started, not ended', {}, true],
    ['starting now', { startsAt: NOW }, true],
    ['ending now', { endsAt: NOW }, false],
    ['revoked', { revokedAt: NOW - 1 }, false],
    ['later', { startsAt: NOW + 1 }, false],
  ])('%s → %s', (_name, over, expected) => {
    expect(inForce(grant(over), NOW)).toBe(expected);
  });
});
