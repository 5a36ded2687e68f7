import { describe, expect, it } from 'vitest';
import { MinuteWindow } from './minute-window.js';

describe('MinuteWindow', () => {
  it('counts what happened in the last 60 s and forgets the rest', () => {
    const w = new MinuteWindow();
    const t0 = 1_000_000_000;
    for (let i = 0; i < 300; i++) w.add(t0 + i * 200); // 5 a second for 60 s
    expect(w.total(t0 + 59_999)).toBe(300);
    expect(w.rate(t0 + 59_999)).toBe(5);
    expect(w.total(t0 + 90_000)).toBe(145); // seconds 31–59 of the run are still in the window
    expect(w.total(t0 + 200_000)).toBe(0);
  });
  it('adds n at once, and a late time into the oldest second kept', () => {
    const w = new MinuteWindow();
    w.add(120_000, 3);
    w.add(10_000);
    expect(w.total(120_500)).toBe(4);
    expect(w.total(179_999)).toBe(3);
  });
});
