// One clock for every stream: each waiting stream asked every tick until it has nothing left, then no tick at all.
import { describe, expect, it } from 'vitest';
import { Pacer } from './pacer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Pacer', () => {
  it('asks every waiting stream each tick until it is done, and stops ticking when none waits', async () => {
    const pacer = new Pacer(10);
    const asked = { a: 0, b: 0 };
    pacer.add({ sendDue: () => ++asked.a < 3 }); // waits for two more ticks
    pacer.add({ sendDue: () => (++asked.b, false) });
    await sleep(150);
    expect(asked).toEqual({ a: 3, b: 1 });
    // idle now: a stream added later starts the clock again
    const later = { n: 0, sendDue: () => (++later.n, false) };
    pacer.add(later);
    await sleep(50);
    expect(later.n).toBe(1);
  });

  it('forgets a removed stream', async () => {
    const pacer = new Pacer(10);
    let asked = 0;
    const stream = { sendDue: () => (++asked, true) };
    pacer.add(stream);
    await sleep(35);
    pacer.remove(stream);
    const before = asked;
    await sleep(50);
    expect(before).toBeGreaterThan(0);
    expect(asked).toBe(before);
  });
});
