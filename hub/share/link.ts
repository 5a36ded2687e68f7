// Signed, time-limited links to a clip the city may fetch: an incident's, or a recording an operator retrieved from
// a ward. /share/<base64url(payload)>.<base64url(HMAC-SHA256)>.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SHARE_PATH_PREFIX = '/share/';
const MAC_BYTES = 32;
/** base64url without padding of MAC_BYTES */
const SIGNATURE_CHARS = Math.ceil((MAC_BYTES * 8) / 6);
// ULIDs are 26 characters; a payload past this is not one of ours, and is refused before any work
const MAX_TOKEN_CHARS = 512;

/** What a link names: an incident's clip, or a retrieved recording (hub/retrieval). */
export type LinkSubject = { kind: 'incident'; id: string } | { kind: 'recording'; id: string };

/** `i` incident id or `r` retrieval id (exactly one), `e` expiry in ms since the epoch. */
type LinkPayload = { i: string; e: number } | { r: string; e: number };

export type LinkVerdict =
  | { ok: true; subject: LinkSubject; expiresAt: number }
  | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload, 'utf8').digest();
}

/** The token alone (the part after /share/). */
export function signClipToken(subject: LinkSubject, expiresAt: number, key: Buffer): string {
  const e = Math.floor(expiresAt);
  const data: LinkPayload = subject.kind === 'incident' ? { i: subject.id, e } : { r: subject.id, e };
  const payload = Buffer.from(JSON.stringify(data)).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** `/share/<token>`: the path of the clip link, to put after the hub's public URL. */
export function signClipLink(subject: LinkSubject, expiresAt: number, key: Buffer): string {
  return SHARE_PATH_PREFIX + signClipToken(subject, expiresAt, key);
}

/**
 * Checks a token (or a whole `/share/<token>` path). The MAC is checked before the payload is read, in constant
 * time and as the exact canonical string, so a forged or cut token says nothing about what it names; only an
 * authentic one can be `expired`.
 */
export function verifyClipLink(token: string, now: number, key: Buffer): LinkVerdict {
  const t = token.startsWith(SHARE_PATH_PREFIX) ? token.slice(SHARE_PATH_PREFIX.length) : token;
  if (t.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = t.split('.');
  if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]!) || !/^[A-Za-z0-9_-]*$/.test(parts[1]!)) return { ok: false, reason: 'malformed' };
  const [payload, signature] = parts as [string, string];
  // the exact string, not its decoded bytes: the last base64url character carries spare bits, and a decoder ignores
  // them, so several spellings would name one signature (a link must have one spelling only)
  const expected = Buffer.from(mac(key, payload).toString('base64url'));
  const got = Buffer.from(signature);
  if (got.length !== SIGNATURE_CHARS || !timingSafeEqual(got, expected)) return { ok: false, reason: 'forged' };
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const subject = subjectOf(data);
  if (!subject || typeof (data as { e?: unknown }).e !== 'number') return { ok: false, reason: 'malformed' };
  const expiresAt = (data as { e: number }).e;
  if (now >= expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, subject, expiresAt };
}

function subjectOf(data: unknown): LinkSubject | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const { i, r } = data as { i?: unknown; r?: unknown };
  if (typeof i === 'string' && r === undefined) return { kind: 'incident', id: i };
  if (typeof r === 'string' && i === undefined) return { kind: 'recording', id: r };
  return undefined;
}
