// WS-Security UsernameToken with PasswordDigest, as ONVIF devices check it (ONVIF Core §5.12).
import { createHash, timingSafeEqual } from 'node:crypto';
import { attribute, child, text, type XmlValue } from './soap.js';

const PASSWORD_DIGEST_TYPE =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';

/** Digest = Base64(SHA1(nonce bytes + created + password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

export interface Credentials {
  username: string;
  password: string;
}

export interface TokenCheck {
  credentials: Credentials;
  /** The device's clock (ms since epoch), skew included: Created is judged against it. */
  deviceNow: number;
  /** How far Created may be from the device clock; real devices refuse stale tokens to stop replays. */
  toleranceSeconds: number;
  /** Remembers nonces within the tolerance window; true when this nonce was seen before. */
  seenNonce: (nonce: string, now: number) => boolean;
}

export type TokenResult = { ok: true } | { ok: false; reason: string };

/** Checks the Security header of a request. Pure apart from the nonce memory passed in. */
export function checkUsernameToken(header: XmlValue | undefined, check: TokenCheck): TokenResult {
  const token = child(child(header, 'Security'), 'UsernameToken');
  if (token === undefined) return { ok: false, reason: 'no UsernameToken' };
  const username = text(child(token, 'Username'));
  const passwordNode = child(token, 'Password');
  const password = text(passwordNode);
  const nonce = text(child(token, 'Nonce'));
  const created = text(child(token, 'Created'));
  if (!username || !password || !nonce || !created) return { ok: false, reason: 'incomplete UsernameToken' };
  const type = attribute(passwordNode, 'Type');
  // A missing Type means PasswordText by the spec; this device accepts digests only.
  if (type !== PASSWORD_DIGEST_TYPE) return { ok: false, reason: `password type ${type ?? 'PasswordText'} refused` };

  const createdMs = Date.parse(created);
  if (Number.isNaN(createdMs)) return { ok: false, reason: 'Created is not a time' };
  if (Math.abs(createdMs - check.deviceNow) > check.toleranceSeconds * 1000) {
    return { ok: false, reason: 'Created too far from the device clock' };
  }

  const expected = Buffer.from(passwordDigest(Buffer.from(nonce, 'base64'), created, check.credentials.password));
  const got = Buffer.from(password);
  const userOk = username === check.credentials.username;
  const digestOk = got.length === expected.length && timingSafeEqual(got, expected);
  if (!userOk || !digestOk) return { ok: false, reason: 'wrong username or password' };
  if (check.seenNonce(nonce, check.deviceNow)) return { ok: false, reason: 'nonce replayed' };
  return { ok: true };
}

/** A nonce memory that forgets entries once they are older than the tolerance window. */
export function nonceMemory(windowSeconds: number): (nonce: string, now: number) => boolean {
  const seen = new Map<string, number>();
  return (nonce, now) => {
    for (const [n, at] of seen) if (now - at > 2 * windowSeconds * 1000) seen.delete(n);
    if (seen.has(nonce)) return true;
    seen.set(nonce, now);
    return false;
  };
}
