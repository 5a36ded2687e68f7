import { describe, expect, it } from 'vitest';
import { classifyHttp, parseRetryAfter, retryDelayMs, type Outcome, type RetryPolicy } from './outcome.js';

describe('classifyHttp', () => {
  const cases: [number, string, Outcome['kind'], string?][] = [
    [200, '{"accepted":true}', 'delivered'],
    [204, '', 'delivered'],
    [400, '{"error":"bad-json"}', 'dead', 'HTTP 400: bad-json'],
    [401, '{"error":"bad-signature"}', 'dead', 'HTTP 401: bad-signature'],
    [401, '{"error":"stale-timestamp"}', 'retry', 'HTTP 401: stale-timestamp (check the hub\'s clock against the city\'s)'],
    [404, 'Not Found\nmore', 'dead', 'HTTP 404: Not Found'],
    [413, '{"error":"too-large"}', 'dead', 'HTTP 413: too-large'],
    [408, '', 'retry', 'HTTP 408'],
    [429, '{"error":"slow-down"}', 'retry', 'HTTP 429: slow-down'],
    [500, '{"error":"injected-failure"}', 'retry', 'HTTP 500: injected-failure'],
    [503, '', 'retry', 'HTTP 503'],
    [302, '', 'retry', 'HTTP 302'],
  ];
  it.each(cases)('HTTP %i %s → %s', (status, body, kind, reason) => {
    const o = classifyHttp(status, body);
    expect(o.kind).toBe(kind);
    if (reason !== undefined && o.kind !== 'delivered') expect(o.reason).toBe(reason);
    if (o.kind !== 'delivered') expect(o.status).toBe(status);
  });

  it('keeps a Retry-After on transient answers only', () => {
    expect(classifyHttp(429, '', 5000)).toMatchObject({ kind: 'retry', retryAfterMs: 5000 });
    expect(classifyHttp(400, '', 5000)).not.toHaveProperty('retryAfterMs');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-11-25T10:00:00Z');
  it.each([
    ['120', 120_000],
    ['Tue, 25 Nov 2025 10:00:30 GMT', 30_000],
    ['Tue, 25 Nov 2025 09:00:00 GMT', 0],
    ['soon', undefined],
    [undefined, undefined],
  ])('%s → %s ms', (value, expected) => expect(parseRetryAfter(value, now)).toBe(expected));
});

describe('retryDelayMs', () => {
  const policy = (random: number): RetryPolicy => ({ initialMs: 1000, maxMs: 300_000, jitter: 0.3, random: () => random });
  it.each([
    [1, 0, 1000],
    [2, 0, 2000],
    [3, 0, 4000],
    [9, 0, 256_000],
    [10, 0, 300_000], // capped at 5 min
    [1000, 0, 300_000],
    [1, 1, 700], // full jitter takes 30 % off
    [10, 1, 210_000],
  ])('after attempt %i with random %d: %i ms', (attempts, random, expected) => {
    expect(retryDelayMs(attempts, policy(random))).toBe(expected);
  });
  it('honours a longer Retry-After, up to the cap', () => {
    expect(retryDelayMs(1, policy(0), 30_000)).toBe(30_000);
    expect(retryDelayMs(5, policy(0), 1000)).toBe(16_000);
    expect(retryDelayMs(1, policy(0), 3_600_000)).toBe(300_000);
  });
});
