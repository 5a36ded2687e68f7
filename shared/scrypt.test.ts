import { describe, expect, it } from 'vitest';
import { SCRYPT_HASH_PATTERN } from './config/hub.js';
import { hashSecret, hashSecretAsync, randomToken, verifySecret, verifySecretAsync } from './scrypt.js';

describe('scrypt secrets', () => {
  const token = randomToken();
  const hash = hashSecret(token);

  it('writes hashes the hub config accepts, with a fresh salt each time', () => {
    expect(hash).toMatch(SCRYPT_HASH_PATTERN);
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(hashSecret(token)).not.toBe(hash);
  });

  it('verifies the right secret and refuses a wrong one, sync and async', async () => {
    expect(verifySecret(token, hash)).toBe(true);
    expect(verifySecret(token + 'x', hash)).toBe(false);
    expect(await verifySecretAsync(token, hash)).toBe(true);
    expect(await verifySecretAsync('', hash)).toBe(false);
    expect(verifySecret('pw', await hashSecretAsync('pw'))).toBe(true);
  });

  it.each([
    ['not scrypt', 'bcrypt$2$x$y'],
    ['too few parts', 'scrypt$16384$8$1$abc'],
    ['N not a power of two', hash.replace('$16384$', '$10000$')],
    ['absurd memory cost', hash.replace('$16384$', `$${2 ** 24}$`)],
    ['empty salt', 'scrypt$16384$8$1$$' + Buffer.alloc(32).toString('base64')],
  ])('returns false (never throws) for a malformed hash: %s', async (_name, bad) => {
    expect(verifySecret(token, bad)).toBe(false);
    expect(await verifySecretAsync(token, bad)).toBe(false);
  });

  it('makes 32-byte base64url tokens', () => {
    const t = randomToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(randomToken()).not.toBe(t);
  });
});
