import { describe, expect, it } from 'vitest';
import type { DetectionLabel } from '../detect/detector.js';
import type { Track } from '../detect/tracker.js';
import { EventLifecycle, groundPoint, normaliseBox, type EventChange, type EventRules } from './lifecycle.js';

const W = 640;
const H = 360;
const RULES: EventRules = {
  labels: ['person', 'car'],
  minScore: 0.5,
  minFrames: 2,
  zones: [],
  endAfterMs: 5000,
  updateEveryMs: 2000,
  frameWidth: W,
  frameHeight: H,
};

interface T {
  id: number;
  label?: DetectionLabel;
  score?: number;
  hits?: number;
  misses?: number;
  confirmed?: boolean;
  x?: number;
  y?: number;
  first?: number;
}

function track(t: T, now: number): Track {
  const box = { x: t.x ?? 100, y: t.y ?? 100, w: 60, h: 120 };
  const hits = t.hits ?? 2;
  return {
    id: t.id,
    label: t.label ?? 'person',
    box,
    score: t.score ?? 0.8,
    bestScore: t.score ?? 0.8,
    bestBox: box,
    hits,
    misses: t.misses ?? 0,
    confirmed: t.confirmed ?? hits >= 2,
    stationary: false,
    firstSeenMs: t.first ?? now - 200,
    lastSeenMs: now,
  };
}

/** Runs frames (time, tracks) or ticks (time only) and returns "type@time:id-index" per change. */
function run(rules: Partial<EventRules>, steps: { t: number; tracks?: T[] }[]): { log: string[]; changes: EventChange[] } {
  let n = 0;
  const ids = new Map<string, number>();
  const life = new EventLifecycle('cam-1', { ...RULES, ...rules }, () => `EV${++n}`);
  const changes: EventChange[] = [];
  const log: string[] = [];
  for (const step of steps) {
    const out = step.tracks === undefined ? life.tick(step.t) : life.observe(step.tracks.map((t) => track(t, step.t)), step.t);
    for (const c of out) {
      if (!ids.has(c.event.id)) ids.set(c.event.id, ids.size + 1);
      changes.push(c);
      log.push(`${c.type}@${step.t}:e${ids.get(c.event.id)}`);
    }
  }
  return { log, changes };
}

const frames = (from: number, to: number, tracks: (t: number) => T[], every = 200) => {
  const out: { t: number; tracks: T[] }[] = [];
  for (let t = from; t <= to; t += every) out.push({ t, tracks: tracks(t) });
  return out;
};

describe('event lifecycle', () => {
  it.each([
    {
      name: 'starts once a confirmed track of a kept label has minFrames and minScore, ends endAfter later',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, hits: 1 }] }, { t: 200, tracks: [{ id: 1, hits: 2 }] }, { t: 400, tracks: [{ id: 1, hits: 3 }] }, { t: 5399 }, { t: 5400 }],
      log: ['start@200:e1', 'end@5400:e1'],
    },
    {
      name: 'waits for minFrames even when the tracker confirms sooner',
      rules: { minFrames: 4 },
      steps: [{ t: 0, tracks: [{ id: 1, hits: 2 }] }, { t: 200, tracks: [{ id: 1, hits: 3 }] }, { t: 400, tracks: [{ id: 1, hits: 4 }] }],
      log: ['start@400:e1'],
    },
    {
      name: 'ignores labels the camera does not keep',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, label: 'bicycle' as const, hits: 5 }] }, { t: 9000 }],
      log: [],
    },
    {
      name: 'ignores a track below minScore until it reaches it',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, score: 0.4 }] }, { t: 200, tracks: [{ id: 1, score: 0.49 }] }, { t: 400, tracks: [{ id: 1, score: 0.6 }] }],
      log: ['start@400:e1'],
    },
    {
      name: 'ignores unconfirmed tracks',
      rules: { minFrames: 1 },
      steps: [{ t: 0, tracks: [{ id: 1, hits: 5, confirmed: false }] }],
      log: [],
    },
    {
      name: 'a coasting track (missed this frame) neither starts nor keeps an event alive',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1 }] }, { t: 200, tracks: [{ id: 1, misses: 1 }] }, { t: 5000, tracks: [{ id: 1, misses: 3 }] }],
      log: ['start@0:e1', 'end@5000:e1'],
    },
    {
      name: 'two objects make two events',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1 }, { id: 2, label: 'car' as const, x: 400 }] }, { t: 6000 }],
      log: ['start@0:e1', 'start@0:e2', 'end@6000:e1', 'end@6000:e2'],
    },
    {
      name: 'a lost track picked up again nearby by a new track stays the same event',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, x: 100 }] }, { t: 200, tracks: [{ id: 1, x: 110 }] }, { t: 1500, tracks: [{ id: 7, x: 150 }] }, { t: 7000 }],
      log: ['start@0:e1', 'end@7000:e1'],
    },
    {
      name: 'a new track far from the lost one is a new event',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, x: 0 }] }, { t: 1500, tracks: [{ id: 7, x: 500 }] }, { t: 7000 }],
      log: ['start@0:e1', 'start@1500:e2', 'end@7000:e1', 'end@7000:e2'],
    },
    {
      name: 'a new track next to a coasting one (the tracker lost it at the picture\'s edge) stays the same event',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, x: 100 }] }, { t: 200, tracks: [{ id: 1, x: 100, misses: 1 }, { id: 2, x: 110 }] }, { t: 5200 }],
      log: ['start@0:e1', 'end@5200:e1'],
    },
    {
      name: 'the coasting track matched again later is still the same event',
      rules: {},
      steps: [
        { t: 0, tracks: [{ id: 1, x: 100 }] },
        { t: 200, tracks: [{ id: 1, x: 100, misses: 1 }, { id: 2, x: 110 }] },
        { t: 400, tracks: [{ id: 1, x: 112 }, { id: 2, x: 112, hits: 3 }] },
        { t: 5400 },
      ],
      log: ['start@0:e1', 'end@5400:e1'],
    },
    {
      name: 'a new track next to one seen in the same frame is another object',
      rules: {},
      steps: [{ t: 0, tracks: [{ id: 1, x: 100 }] }, { t: 200, tracks: [{ id: 1, x: 100 }, { id: 2, x: 110 }] }],
      log: ['start@0:e1', 'start@200:e2'],
    },
    {
      name: 'a car that the detector also calls a truck on the same spot is one event',
      rules: { labels: ['car', 'truck'] as const },
      steps: [
        { t: 0, tracks: [{ id: 1, label: 'car' as const }] },
        { t: 200, tracks: [{ id: 1, label: 'car' as const, misses: 1 }, { id: 2, label: 'truck' as const, x: 104, hits: 1 }] },
        { t: 400, tracks: [{ id: 1, label: 'car' as const, misses: 2 }, { id: 2, label: 'truck' as const, x: 108, hits: 2 }] },
        { t: 5399 },
        { t: 5400 },
      ],
      log: ['start@0:e1', 'end@5400:e1'],
    },
    {
      name: 'a truck elsewhere beside a car is its own event',
      rules: { labels: ['car', 'truck'] as const },
      steps: [{ t: 0, tracks: [{ id: 1, label: 'car' as const }, { id: 2, label: 'truck' as const, x: 400 }] }],
      log: ['start@0:e1', 'start@0:e2'],
    },
    {
      name: 'a person on a bicycle is two events (not look-alikes)',
      rules: { labels: ['person', 'bicycle'] as const },
      steps: [{ t: 0, tracks: [{ id: 1, label: 'bicycle' as const }, { id: 2, label: 'person' as const }] }],
      log: ['start@0:e1', 'start@0:e2'],
    },
  ])('$name', ({ rules, steps, log }) => {
    expect(run(rules, steps).log).toEqual(log);
  });

  it('with zones, starts only once the ground point is inside one, and lists the zones entered', () => {
    // the zone is the right half of the picture; a 60 px wide box at x has its ground point at x + 30
    const zones = [{ id: 'right', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] as [number, number][] }, { id: 'far-right', polygon: [[0.9, 0], [1, 0], [1, 1], [0.9, 1]] as [number, number][] }];
    const { log, changes } = run({ zones }, [
      ...frames(0, 1000, (t) => [{ id: 1, x: 100 + t / 10, hits: 2 + t / 200 }]),
      ...frames(1200, 6000, (t) => [{ id: 1, x: 300 + (t - 1200) / 10, hits: 2 + t / 200 }]),
      { t: 12_000 },
    ]);
    expect(log[0]).toBe('start@1200:e1');
    const start = changes[0]!;
    expect(start.event.zones).toEqual(['right']);
    const end = changes.at(-1)!;
    expect(end.type).toBe('end');
    expect(end.event.zones).toEqual(['right', 'far-right']);
  });

  it('updates when the top score rises, at most once per updateEveryMs, and not without news', () => {
    const scores = [0.6, 0.7, 0.8, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95];
    const steps = scores.map((score, i) => ({ t: i * 200, tracks: [{ id: 1, score, x: 100 + i }] }));
    const { log, changes } = run({}, steps);
    // start at 0; the rises at 200–800 are news, sent at 2000 (the first moment allowed); then nothing new
    expect(log).toEqual(['start@0:e1', 'update@2000:e1']);
    const update = changes[1]!;
    expect(update.event.topScore).toBe(0.95);
    expect(update.event.bestAtMs).toBe(800);
    expect(update.event.box.x).toBeCloseTo(104 / W, 4);
  });

  it('end carries start = first frame of the track, end = last frame seen, and keeps the id', () => {
    const { changes } = run({}, [{ t: 1000, tracks: [{ id: 1, first: 800 }] }, { t: 1200, tracks: [{ id: 1 }] }, { t: 9000 }]);
    expect(changes.map((c) => c.type)).toEqual(['start', 'end']);
    expect(changes[0]!.event.id).toBe(changes[1]!.event.id);
    expect(changes[1]!.event).toMatchObject({ start: 800, end: 1200, lastSeenMs: 1200 });
  });

  it('endAll ends open events at their last sighting', () => {
    const life = new EventLifecycle('cam-1', RULES, () => 'EV1');
    life.observe([track({ id: 1 }, 100)], 100);
    const [end] = life.endAll();
    expect(end).toMatchObject({ type: 'end', event: { id: 'EV1', end: 100 } });
    expect(life.openEvents()).toEqual([]);
  });
});

describe('geometry', () => {
  it.each([
    { box: { x: 64, y: 36, w: 64, h: 36 }, out: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 } },
    { box: { x: -10, y: 0, w: 74, h: 360 }, out: { x: 0, y: 0, w: 0.1, h: 1 } },
    { box: { x: 600, y: 300, w: 100, h: 100 }, out: { x: 0.9375, y: 0.8333, w: 0.0625, h: 0.1667 } },
  ])('normalises $box into the picture', ({ box, out }) => {
    expect(normaliseBox(box, W, H)).toEqual(out);
  });

  it('puts the ground point at the middle of the bottom edge', () => {
    expect(groundPoint({ x: 100, y: 100, w: 60, h: 80 }, W, H)).toEqual([130 / W, 180 / H]);
  });
});
