// The webhook signature of the city contract: HMAC-SHA256(secret, timestamp + "." + rawBody), checked in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TIMESTAMP_HEADER = 'x-wardwatch-timestamp';
export const SIGNATURE_HEADER = 'x-wardwatch-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A timestamp further than this from the receiver's clock is refused as a replay. */
export const MAX_SKEW_SECONDS = 300;

/** `sha256=<hex>` over `<timestamp>.<raw body bytes>`. */
export function signature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`, 'utf8');
  mac.update(rawBody);
  return `sha256=${mac.digest('hex')}`;
}

/** The headers that make `body` an authentic alert at `timestamp` (unix seconds, default now). */
export function signAlert(
  secret: string,
  body: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  const ts = String(timestamp);
  return {
    'content-type': 'application/json',
    [TIMESTAMP_HEADER]: ts,
    [SIGNATURE_HEADER]: signature(secret, ts, body),
  };
}

export type SignatureVerdict =
  | { ok: true }
  | { ok: false; reason: 'missing-signature' | 'bad-timestamp' | 'bad-signature' | 'stale-timestamp' };

/**
 * Checks the signature first and the clock second, so that "stale-timestamp" is only ever said of an
 * authentic request: it then points at a clock to fix, not at a secret.
 */
export function verifySignature(
  secret: string,
  timestamp: string | undefined,
  signatureHeader: string | undefined,
  rawBody: Buffer,
  nowSeconds: number,
  maxSkewSeconds = MAX_SKEW_SECONDS,
): SignatureVerdict {
  if (!timestamp || !signatureHeader) return { ok: false, reason: 'missing-signature' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const expected = Buffer.from(signature(secret, timestamp, rawBody), 'utf8');
  const got = Buffer.from(signatureHeader.trim().toLowerCase(), 'utf8');
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) return { ok: false, reason: 'bad-signature' };
  if (Math.abs(nowSeconds - Number(timestamp)) > maxSkewSeconds) return { ok: false, reason: 'stale-timestamp' };
  return { ok: true };
}
