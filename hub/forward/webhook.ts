// Webhook target: POSTs the alert as JSON, signed per the city contract (HMAC-SHA256 over "<timestamp>.<body>").
import { createHmac } from 'node:crypto';
import { classifyHttp, parseRetryAfter, type Outcome } from './outcome.js';
import type { Sink } from './sink.js';

const MAX_ANSWER_CHARS = 4096;

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  clock?: () => number;
}

/** `sha256=<hex>`: signs the exact bytes sent, after the timestamp as sent. */
export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body, 'utf8').digest('hex')}`;
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return 'no answer in time';
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}

export function webhookSink(options: WebhookOptions): Sink {
  const clock = options.clock ?? Date.now;
  return {
    async deliver(key, body, signal): Promise<Outcome> {
      // signed afresh on every attempt: the city refuses a timestamp more than 300 s old
      const timestamp = String(Math.floor(clock() / 1000));
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-wardwatch-timestamp': timestamp,
            'x-wardwatch-signature': signBody(options.secret, timestamp, body),
            'idempotency-key': key,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
        });
        const answer = (await res.text()).slice(0, MAX_ANSWER_CHARS);
        return classifyHttp(res.status, answer, parseRetryAfter(res.headers.get('retry-after'), clock()));
      } catch (err) {
        return { kind: 'retry', reason: describe(err) };
      }
    },
    close: () => Promise.resolve(),
  };
}
