import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('doubles from 1 s up to 30 s without jitter', () => {
    const b = new Backoff({ jitter: 0 });
    expect(Array.from({ length: 7 }, () => b.next())).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
  it('resets after a healthy run of 60 s', () => {
    const b = new Backoff({ jitter: 0 });
    b.next();
    b.next();
    expect(b.next(59_000)).toBe(4000);
    expect(b.next(60_000)).toBe(1000);
  });
  it('applies jitter below the base delay only', () => {
    expect(new Backoff({ random: () => 1, jitter: 0.3 }).next()).toBe(700);
    expect(new Backoff({ random: () => 0, jitter: 0.3 }).next()).toBe(1000);
  });
});
