// Secret hashing for ward tokens and passwords: scrypt with a per-secret salt, in one self-describing string.
import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Cost parameters for new hashes. Stored hashes carry their own, so these can rise later without breaking old ones. */
export const SCRYPT_PARAMS = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parseHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  // refuse absurd parameters: a hash from a config file must not make a login allocate gigabytes
  if (![N, r, p].every(Number.isSafeInteger) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64');
  const key = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || key.length < 16) return undefined;
  return { N, r, p, salt, key };
}

function options(h: Pick<ParsedHash, 'N' | 'r' | 'p'>): ScryptOptions {
  // scrypt needs 128·N·r bytes; the default maxmem (32 MiB) is too tight for some accepted parameters
  return { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1024 * 1024 };
}

function format(salt: Buffer, key: Buffer): string {
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** `scrypt$N$r$p$saltB64$hashB64`, the format `SCRYPT_HASH_PATTERN` in shared/config/hub.ts accepts. Blocks ~50 ms. */
export function hashSecret(secret: string): string {
  const salt = randomBytes(SALT_BYTES);
  return format(salt, scryptSync(secret, salt, KEY_BYTES, options(SCRYPT_PARAMS)));
}

export function hashSecretAsync(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, options(SCRYPT_PARAMS), (err, key) => (err ? reject(err) : resolve(format(salt, key))));
  });
}

/** True when `secret` matches `hash`; false for a wrong secret and for a malformed hash (never throws). */
export function verifySecret(secret: string, hash: string): boolean {
  const h = parseHash(hash);
  if (!h) return false;
  return timingSafeEqual(scryptSync(secret, h.salt, h.key.length, options(h)), h.key);
}

/** Like `verifySecret`, on the libuv thread pool: a broker verifying logins must not stall its event loop. */
export function verifySecretAsync(secret: string, hash: string): Promise<boolean> {
  const h = parseHash(hash);
  if (!h) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    scrypt(secret, h.salt, h.key.length, options(h), (err, key) => (err ? reject(err) : resolve(timingSafeEqual(key, h.key))));
  });
}

/** A new random token: 32 bytes, base64url (43 characters). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}
