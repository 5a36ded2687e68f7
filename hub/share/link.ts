// Signed, time-limited links to an incident's clip: /share/<base64url(payload)>.<base64url(HMAC-SHA256)>.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SHARE_PATH_PREFIX = '/share/';
const MAC_BYTES = 32;
// ULIDs are 26 characters; a payload past this is not one of ours, and is refused before any work
const MAX_TOKEN_CHARS = 512;

interface LinkPayload {
  /** incident id */
  i: string;
  /** expires at, ms since the epoch */
  e: number;
}

export type LinkVerdict =
  | { ok: true; incidentId: string; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload, 'utf8').digest();
}

/** The token alone (the part after /share/). */
export function signClipToken(incidentId: string, expiresAt: number, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ i: incidentId, e: Math.floor(expiresAt) } satisfies LinkPayload)).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** `/share/<token>`: the path of the clip link, to put after the hub's public URL. */
export function signClipLink(incidentId: string, expiresAt: number, key: Buffer): string {
  return SHARE_PATH_PREFIX + signClipToken(incidentId, expiresAt, key);
}

/**
 * Checks a token (or a whole `/share/<token>` path). The MAC is checked before the payload is read, in constant
 * time, so a forged or cut token says nothing about what it names; only an authentic one can be `expired`.
 */
export function verifyClipLink(token: string, now: number, key: Buffer): LinkVerdict {
  const t = token.startsWith(SHARE_PATH_PREFIX) ? token.slice(SHARE_PATH_PREFIX.length) : token;
  if (t.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = t.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]*$/.test(parts[1]!)) return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts as [string, string];
  const got = Buffer.from(signature, 'base64url');
  const expected = mac(key, payload);
  if (got.length !== MAC_BYTES || !timingSafeEqual(got, expected)) return { ok: false, reason: 'forged' };
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!data || typeof data !== 'object' || !('i' in data) || !('e' in data) || typeof data.i !== 'string' || typeof data.e !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if (now >= data.e) return { ok: false, reason: 'expired' };
  return { ok: true, incidentId: data.i, expiresAt: data.e };
}
