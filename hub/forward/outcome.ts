// What a target's answer means for an outbox row (delivered, retry later, or dead), and when to try again (pure).

export type Outcome =
  | { kind: 'delivered'; status?: number }
  | { kind: 'retry'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'dead'; reason: string; status?: number };

/** The city's error code from a JSON answer like `{"error":"bad-signature"}`, else the text's first line. */
function reasonFrom(status: number, body: string): string {
  let detail = '';
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'error' in parsed && typeof parsed.error === 'string') detail = parsed.error;
  } catch {
    detail = body.split('\n')[0]?.trim().slice(0, 200) ?? '';
  }
  return detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
}

/** `Retry-After` in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * 2xx: delivered. 408, 429 and 5xx: transient. 401 `stale-timestamp` is transient too: the alert is fine, a
 * clock is wrong (city contract). Any other 4xx will never succeed as sent: dead, with the reason. Anything
 * else (1xx, 3xx: a redirect is not followed, since the signature is for this URL) is retried.
 */
export function classifyHttp(status: number, body: string, retryAfterMs?: number): Outcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const reason = reasonFrom(status, body);
  const retry = (why: string): Outcome => ({ kind: 'retry', reason: why, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  if (status === 408 || status === 429 || status >= 500) return retry(reason);
  if (status === 401 && reason.endsWith('stale-timestamp')) return retry(`${reason} (check the hub's clock against the city's)`);
  if (status >= 400 && status < 500) return { kind: 'dead', reason, status };
  return retry(reason);
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  /** 0–1: the delay is scaled by a random factor in [1 - jitter, 1] */
  jitter: number;
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 1000, maxMs: 5 * 60 * 1000, jitter: 0.3, random: Math.random };

/**
 * Delay after the `attempts`-th failed attempt (1, 2, …): initial × 2^(attempts-1) up to max, with jitter so
 * that many rows failing together do not all come back together. A target's Retry-After is honoured up to max.
 */
export function retryDelayMs(attempts: number, policy: RetryPolicy, retryAfterMs?: number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
  const jittered = Math.round(base * (1 - policy.jitter * policy.random()));
  return retryAfterMs === undefined ? jittered : Math.min(policy.maxMs, Math.max(jittered, retryAfterMs));
}
