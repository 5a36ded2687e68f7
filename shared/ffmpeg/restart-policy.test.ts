import { describe, expect, it } from 'vitest';
import { Backoff } from '../backoff.js';
import { DelaySteps, type RestartPolicy } from './restart-policy.js';

describe('DelaySteps', () => {
  it.each([
    { steps: [1000, 2000, 5000, 10_000], calls: 6, want: [1000, 2000, 5000, 10_000, 10_000, 10_000] },
    { steps: [500], calls: 3, want: [500, 500, 500] },
  ])('waits $want for $calls restarts in a row over $steps', ({ steps, calls, want }) => {
    const p = new DelaySteps(steps);
    expect(Array.from({ length: calls }, () => p.next())).toEqual(want);
  });

  it('starts from the shortest delay again after a reset', () => {
    const p = new DelaySteps([1000, 2000, 5000]);
    p.next();
    p.next();
    p.reset();
    expect([p.next(), p.next()]).toEqual([1000, 2000]);
  });

  it('refuses an empty table', () => {
    expect(() => new DelaySteps([])).toThrow(/at least one delay/);
  });

  it('is a policy, as Backoff is', () => {
    const policies: RestartPolicy[] = [new DelaySteps([1]), new Backoff({ jitter: 0 })];
    expect(policies.map((p) => p.next(0))).toEqual([1, 1000]);
  });
});
