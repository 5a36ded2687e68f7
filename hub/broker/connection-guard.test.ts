import { describe, expect, it } from 'vitest';
import { PendingLogins } from './connection-guard.js';

describe('PendingLogins', () => {
  it('admits up to the cap per address, each address on its own', () => {
    const p = new PendingLogins(2);
    expect(p.enter('10.0.0.1')).toEqual({ ok: true });
    expect(p.enter('10.0.0.1')).toEqual({ ok: true });
    expect(p.enter('10.0.0.1')).toEqual({ ok: false, first: true });
    expect(p.enter('10.0.0.2')).toEqual({ ok: true });
    expect(p.count('10.0.0.1')).toBe(2);
    expect(p.leave('10.0.0.1')).toBe(0);
    expect(p.enter('10.0.0.1')).toEqual({ ok: true });
  });

  it('reports a flood once when it starts, then as a number when the address drops below the cap', () => {
    const p = new PendingLogins(1);
    p.enter('10.0.0.1');
    expect(p.enter('10.0.0.1')).toEqual({ ok: false, first: true });
    for (let i = 0; i < 500; i++) expect(p.enter('10.0.0.1')).toEqual({ ok: false, first: false });
    expect(p.leave('10.0.0.1')).toBe(500);
    expect(p.count('10.0.0.1')).toBe(0);
    // the next time at the cap is a new flood
    p.enter('10.0.0.1');
    expect(p.enter('10.0.0.1')).toEqual({ ok: false, first: true });
    expect(p.leave('10.0.0.1')).toBe(0);
  });

  it('forgets an address with nothing pending', () => {
    const p = new PendingLogins(3);
    p.enter('a');
    p.enter('a');
    p.leave('a');
    p.leave('a');
    expect(p.count('a')).toBe(0);
    expect((p as unknown as { pending: Map<string, number> }).pending.size).toBe(0);
  });
});
