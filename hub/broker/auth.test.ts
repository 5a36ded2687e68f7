import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../shared/scrypt.js';
import { planLogin, TokenVerifier, type WardCredential } from './auth.js';

const HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=';
const wards = new Map<string, WardCredential>([
  ['p07', { id: 'p07', tokenHash: HASH }],
  ['p08', { id: 'p08' }],
]);

describe('planLogin', () => {
  it.each([
    ['a ward with a token', 'ward-p07', 'secret', { ok: true, ward: 'p07', tokenHash: HASH, token: 'secret' }],
    ['no username', undefined, 'secret', { ok: false, reason: 'no username: it must be ward-<id>' }],
    ['a username that is not a ward', 'hub', 'secret', { ok: false, reason: 'username (3 characters, not logged) is not ward-<id>' }],
    ['a token typed as the username', 'Zm9vYmFyLXRva2VuLXR5cGVkLWluLXRoZS13cm9uZy1i', 'secret', { ok: false, reason: 'username (44 characters, not logged) is not ward-<id>' }],
    ['an unknown ward', 'ward-p99', 'secret', { ok: false, reason: 'unknown ward p99' }],
    ['a ward without a token', 'ward-p08', 'secret', { ok: false, reason: 'ward p08 has no token (revoked or not issued)' }],
    ['no password', 'ward-p07', undefined, { ok: false, reason: 'ward p07 sent no password' }],
    ['an empty password', 'ward-p07', '', { ok: false, reason: 'ward p07 sent no password' }],
  ])('%s', (_name, username, password, expected) => {
    expect(planLogin(wards, username, password === undefined ? undefined : Buffer.from(password))).toEqual(expected);
  });
});

describe('TokenVerifier', () => {
  it('remembers a success per hash: the same token against a new hash is verified again and can fail', async () => {
    const verifier = new TokenVerifier();
    const oldHash = hashSecret('old-token');
    expect(await verifier.verify('p07', oldHash, 'old-token')).toBe(true);
    expect(await verifier.verify('p07', oldHash, 'wrong')).toBe(false);
    const started = performance.now();
    expect(await verifier.verify('p07', oldHash, 'old-token')).toBe(true);
    expect(performance.now() - started).toBeLessThan(15); // from the cache: scrypt takes ~50 ms
    const newHash = hashSecret('new-token');
    expect(await verifier.verify('p07', newHash, 'old-token')).toBe(false);
    expect(await verifier.verify('p07', newHash, 'new-token')).toBe(true);
  });
});
