import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once and the waiting ones in order as slots free', async () => {
    const s = new Semaphore(2, 10);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const done = gates.map((g, i) => s.tryRun(async () => (started.push(i), await g.opened, i)));
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect([s.active, s.waiting]).toEqual([2, 2]);
    gates[1]!.open();
    await done[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    // a newcomer waits behind those already queued
    const late = s.tryRun(async () => (started.push(9), 9));
    expect(s.active).toBe(2);
    for (const g of gates) g.open();
    expect(await Promise.all([...done, late])).toEqual([0, 1, 2, 3, 9]);
    expect(started).toEqual([0, 1, 2, 3, 9]);
    expect([s.active, s.waiting]).toEqual([0, 0]);
  });

  it('turns a task away without running it when the queue is full', async () => {
    const s = new Semaphore(1, 1);
    const g = gate();
    const first = s.tryRun(() => g.opened);
    const second = s.tryRun(async () => 'second');
    let ran = false;
    expect(s.tryRun(async () => (ran = true))).toBeUndefined();
    g.open();
    await first;
    expect(await second).toBe('second');
    expect(ran).toBe(false);
  });

  it('frees the slot when a task throws', async () => {
    const s = new Semaphore(1, 0);
    await expect(s.tryRun(() => Promise.reject(new Error('scrypt failed')))).rejects.toThrow('scrypt failed');
    expect(await s.tryRun(async () => 'next')).toBe('next');
  });
});
