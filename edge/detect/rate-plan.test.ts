import { describe, expect, it } from 'vitest';
import { capacityPerSecond, FrameGate, OverloadPlanner, planRates, type CameraDemand } from './rate-plan.js';

const demands = (wants: Record<string, number>): CameraDemand[] => Object.entries(wants).map(([camera, wantFps]) => ({ camera, wantFps }));
const asObject = (plan: Map<string, number | null>) => Object.fromEntries([...plan].map(([k, v]) => [k, v === null ? null : Math.round(v * 100) / 100]));

describe('planRates: max-min fair shares of the detector', () => {
  const cases: { name: string; wants: Record<string, number>; capacity: number; expected: Record<string, number | null> }[] = [
    { name: 'enough for everyone: nobody is limited', wants: { a: 5, b: 5, c: 0.2 }, capacity: 60, expected: { a: null, b: null, c: null } },
    { name: 'exactly enough: nobody is limited', wants: { a: 5, b: 5 }, capacity: 10, expected: { a: null, b: null } },
    { name: 'equal busy cameras share equally', wants: { a: 5, b: 5, c: 5, d: 5 }, capacity: 10, expected: { a: 2.5, b: 2.5, c: 2.5, d: 2.5 } },
    { name: 'a quiet camera keeps its keep-alive, the busy ones share the rest', wants: { a: 5, b: 5, q: 0.5 }, capacity: 6.5, expected: { a: 3, b: 3, q: null } },
    { name: 'a camera asking a little less than the share keeps all it asks', wants: { a: 5, b: 5, c: 2 }, capacity: 8, expected: { a: 3, b: 3, c: null } },
    { name: 'unequal demands above the share: the same limit for all', wants: { a: 15, b: 5, c: 10 }, capacity: 9, expected: { a: 3, b: 3, c: 3 } },
    { name: 'no capacity at all: every camera asking is held at 0', wants: { a: 5, b: 1 }, capacity: 0, expected: { a: 0, b: 0 } },
    { name: 'a camera that asks nothing is never limited', wants: { a: 5, z: 0 }, capacity: 2, expected: { a: 2, z: null } },
    { name: '32 busy cameras at 5 fps on a detector giving 100/s', wants: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`c${i}`, 5])), capacity: 100, expected: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`c${i}`, 3.13])) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(asObject(planRates(demands(c.wants), { capacityPerS: c.capacity }))).toEqual(c.expected);
    });
  }

  it('never holds a camera below another unless it asks for less, and never plans more than the capacity', () => {
    // random demands and capacities: the fairness property and the budget hold for every one
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(rnd() * 32);
      const wants = Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, Math.round(rnd() * 150) / 10]));
      const capacity = rnd() * 120;
      const plan = planRates(demands(wants), { capacityPerS: capacity });
      const got = (id: string) => plan.get(id) ?? wants[id]!;
      let planned = 0;
      for (const id of Object.keys(wants)) planned += Math.min(wants[id]!, got(id));
      expect(planned).toBeLessThanOrEqual(Math.max(capacity, 0) + 1e-9);
      for (const a of Object.keys(wants)) {
        for (const b of Object.keys(wants)) {
          // a gets less than b: only because a asked for no more than it got
          if (got(a) < got(b) - 1e-9) expect(wants[a]!).toBeLessThanOrEqual(got(a) + 1e-9);
        }
      }
    }
  });
});

describe('capacityPerSecond', () => {
  const cases: { sessions: number; ms: number; expected: number }[] = [
    { sessions: 2, ms: 15, expected: 120 },
    { sessions: 1, ms: 10, expected: 90 },
    { sessions: 2, ms: 30, expected: 60 },
    { sessions: 2, ms: 0, expected: Infinity },
  ];
  for (const c of cases) {
    it(`${c.sessions} sessions at ${c.ms} ms an inference give ${c.expected}/s with a 10 % margin`, () => {
      expect(capacityPerSecond(c.sessions, c.ms)).toBeCloseTo(c.expected, 6);
    });
  }
});

describe('FrameGate: planned skips', () => {
  /** frames at `fps` for `seconds`, the gate at `limit`: how many go to the detector */
  const taken = (fps: number, seconds: number, limit: number | null, jitterMs = 0) => {
    const gate = new FrameGate();
    gate.setLimit(limit);
    let n = 0;
    for (let i = 0; i < fps * seconds; i++) if (gate.take(1000 + (i * 1000) / fps + (i % 2 === 0 ? jitterMs : -jitterMs))) n++;
    return n;
  };
  const cases: { name: string; fps: number; limit: number | null; expected: number }[] = [
    { name: 'no limit: every frame', fps: 5, limit: null, expected: 50 },
    { name: 'limit above the frame rate: every frame', fps: 5, limit: 8, expected: 50 },
    { name: 'half the rate: every other frame', fps: 5, limit: 2.5, expected: 25 },
    { name: '2 of 5 fps', fps: 5, limit: 2, expected: 20 },
    { name: '1 of 5 fps', fps: 5, limit: 1, expected: 10 },
    { name: '3.13 of 5 fps', fps: 5, limit: 3.13, expected: 31 },
    { name: 'limit 0: only the first frame', fps: 5, limit: 0, expected: 1 },
  ];
  for (const c of cases) {
    it(`${c.name} (${c.fps} fps for 10 s, limit ${c.limit})`, () => {
      expect(taken(c.fps, 10, c.limit)).toBe(c.expected);
    });
  }

  it('keeps its rate when frame times jitter by a few ms', () => {
    expect(taken(5, 10, 2.5, 6)).toBe(25);
    expect(taken(5, 10, 5, 6)).toBe(50);
  });

  it('does not burst after a quiet spell: one frame, then the rate again', () => {
    const gate = new FrameGate();
    gate.setLimit(1);
    expect(gate.take(0)).toBe(true);
    // 30 s without a frame that wanted the detector, then 5 fps again
    const after = [30_000, 30_200, 30_400, 30_600, 30_800, 31_000].map((t) => gate.take(t));
    expect(after).toEqual([true, false, false, false, false, true]);
  });
});

describe('OverloadPlanner', () => {
  it('learns the cost of an inference and each camera\'s demand from counters, and limits only when the sum is too much', () => {
    const planner = new OverloadPlanner(2);
    const tick = (s: number, inferences: number, wanted: Record<string, number>) =>
      planner.tick({ nowMs: s * 1000, inferences, busyMs: inferences * 20, wanted: Object.entries(wanted).map(([camera, count]) => ({ camera, count })) });
    // first tick: nothing known yet, nobody limited
    const first = tick(0, 0, { a: 0, b: 0, q: 0 });
    expect(first.capacityPerS).toBe(Infinity);
    expect([...first.limits.values()].every((l) => l === null)).toBe(true);
    // 20 ms an inference on 2 sessions → 90/s; demand 2 × 50 + 1 = 101/s: the busy two are held at (90 − 1) / 2
    let state = tick(1, 90, { a: 50, b: 50, q: 1 });
    for (let s = 2; s <= 20; s++) state = tick(s, 90 * s, { a: 50 * s, b: 50 * s, q: s });
    expect(state.capacityPerS).toBeCloseTo(90, 6);
    expect(state.limits.get('q')).toBeNull();
    expect(state.limits.get('a')).toBeCloseTo(44.5, 6);
    expect(state.limits.get('b')).toBeCloseTo(44.5, 6);
    // the street quietens: 5 fps each is well inside 90/s, and the limits go
    for (let s = 21; s <= 40; s++) state = tick(s, 1800 + 11 * (s - 20), { a: 1000 + 5 * (s - 20), b: 1000 + 5 * (s - 20), q: s });
    expect(state.limits.get('a')).toBeNull();
    expect(state.limits.get('b')).toBeNull();
  });

  it('hands out less of the measured capacity while frames are lost, and takes it back slowly when none are', () => {
    const planner = new OverloadPlanner(1);
    // 10 ms an inference: 100/s measured, 90/s handed out
    const tick = (s: number, lost: number) => planner.tick({ nowMs: s * 1000, inferences: 50 * s, busyMs: 500 * s, wanted: [], lost });
    tick(0, 0);
    expect(tick(1, 0).capacityPerS).toBeCloseTo(90, 6);
    // frames lost in three seconds running: 90 → 81 → 72.9 → 65.6
    expect(tick(2, 4).capacityPerS).toBeCloseTo(81, 6);
    expect(tick(3, 9).capacityPerS).toBeCloseTo(72.9, 6);
    const low = tick(4, 12);
    expect(low.margin).toBeCloseTo(0.6561, 6);
    // never below half, however long frames are lost
    let state = low;
    for (let s = 5; s < 20; s++) state = tick(s, 12 + s);
    expect(state.margin).toBe(0.5);
    // then a minute without loss gives back 0.01 a second, up to 0.9
    for (let s = 20; s < 30; s++) state = tick(s, 31);
    expect(state.margin).toBeCloseTo(0.6, 6);
    for (let s = 30; s < 80; s++) state = tick(s, 31);
    expect(state.margin).toBe(0.9);
  });

  it('keeps its last estimate of an inference\'s cost when too few ran to tell', () => {
    const planner = new OverloadPlanner(1);
    planner.tick({ nowMs: 0, inferences: 0, busyMs: 0, wanted: [] });
    const known = planner.tick({ nowMs: 1000, inferences: 50, busyMs: 500, wanted: [] });
    expect(known.capacityPerS).toBeCloseTo(90, 6);
    // one slow inference alone says little: the estimate stands
    const after = planner.tick({ nowMs: 2000, inferences: 51, busyMs: 700, wanted: [] });
    expect(after.capacityPerS).toBeCloseTo(90, 6);
  });
});
