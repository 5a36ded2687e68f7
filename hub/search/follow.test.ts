import { describe, expect, it } from 'vitest';
import { followRequest, type Followed } from './follow.js';

const T = 1_764_061_200_000;
const car: Followed = { ward: 'p07', camera: 'cam-01', label: 'car', colour: 'red', first: T, last: T + 20_000 };

describe('followRequest', () => {
  it.each([
    ['after: from when it left, oldest first', car, 'after', 5, { from: T + 20_000, to: T + 320_000 }, 'asc', ['red']],
    ['before: up to when it came, newest first', car, 'before', 10, { from: T - 600_000, to: T }, 'desc', ['red']],
    ['a vehicle without a colour: by label alone', { ...car, label: 'bicycle', colour: null }, 'after', 1, { from: T + 20_000, to: T + 80_000 }, 'asc', undefined],
  ] as const)('%s', (_name, s, direction, minutes, window, order, colours) => {
    const r = followRequest(s, { direction, minutes, radius: 400 });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect({ from: r.request.from, to: r.request.to }).toEqual(window);
    expect(r.order).toBe(order);
    expect(r.request.near).toEqual({ camera: { ward: 'p07', camera: 'cam-01' }, radius: 400 });
    expect(r.request.labels).toEqual([s.label]);
    expect(r.request.colours).toEqual(colours);
    expect(r.request.except).toEqual({ ward: 'p07', camera: 'cam-01' });
  });

  it('never follows a person', () => {
    const r = followRequest({ ...car, label: 'person', colour: null }, { direction: 'after', minutes: 5, radius: 400 });
    expect(r).toMatchObject({ ok: false, field: 'id' });
  });
});
