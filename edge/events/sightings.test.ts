import { describe, expect, it } from 'vitest';
import { sightingSchema, type Label } from '../../shared/contract/index.js';
import type { Track, TrackerUpdate } from '../detect/track.js';
import type { Point } from '../geometry.js';
import { SightingBook, type Crossing, type SightingBookOptions, type SightingDraft } from './sightings.js';

const W = 640;
const H = 360;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);

/** A track whose ground point (middle of the box's bottom edge) is at (gx, gy), normalised. */
interface T {
  id: number;
  gx?: number;
  gy: number;
  label?: Label;
  w?: number;
  h?: number;
  score?: number;
  confirmed?: boolean;
  stationary?: boolean;
  misses?: number;
  riders?: number;
  first?: number;
}

function track(t: T, now: number): Track {
  const w = t.w ?? 80;
  const h = t.h ?? 60;
  const box = { x: (t.gx ?? 0.5) * W - w / 2, y: t.gy * H - h, w, h };
  return {
    id: t.id,
    label: t.label ?? 'car',
    box,
    score: t.score ?? 0.8,
    bestScore: t.score ?? 0.8,
    bestBox: box,
    bestAtMs: now,
    hits: 3,
    misses: t.misses ?? 0,
    confirmed: t.confirmed ?? true,
    stationary: t.stationary ?? false,
    firstSeenMs: t.first ?? T0,
    lastSeenMs: now,
    velocity: { x: 0, y: 0 },
    riders: t.riders ?? 0,
    inferred: false,
  };
}

const across: [Point, Point] = [[0.05, 0.6], [0.95, 0.6]]; // drawn left to right: going up the picture is forward
const LINES = [{ id: 'stop-line', points: across }];
const ULID = (n: number) => `01KB${String(n).padStart(22, '0')}`;

interface Step {
  t: number;
  tracks?: T[];
  ended?: T[];
}

function run(steps: Step[], o: Partial<SightingBookOptions> = {}) {
  let n = 0;
  const book = new SightingBook({ camera: 'cam-01', width: W, height: H, zones: [], lines: LINES, longStayMs: 60_000, newId: () => ULID(++n), ...o });
  const crossings: Crossing[] = [];
  const sightings: SightingDraft[] = [];
  for (const s of steps) {
    const update: TrackerUpdate = { tracks: (s.tracks ?? []).map((t) => track(t, s.t)), ended: (s.ended ?? []).map((t) => track(t, s.t - 200)) };
    const out = book.observe(update, s.t);
    crossings.push(...out.crossings);
    sightings.push(...out.sightings);
  }
  return { book, crossings, sightings };
}

/** One track along ground-point heights `ys`, a frame every 200 ms from T0, then ended. */
const path = (ys: readonly number[], more: Omit<T, 'id' | 'gy'> = {}): Step[] => [
  ...ys.map((gy, i) => ({ t: T0 + i * 200, tracks: [{ id: 1, gy, ...more }] })),
  { t: T0 + ys.length * 200, ended: [{ id: 1, gy: ys.at(-1)!, ...more }] },
];
const said = (cs: readonly Crossing[]) => cs.map((c) => `${c.line} ${c.direction} +${c.at - T0}`);

describe('line crossings', () => {
  it.each<{ name: string; steps: Step[]; lines?: SightingBookOptions['lines']; want: string[] }>([
    { name: 'a car crossing a line once: one crossing forward, at the first frame past it', steps: path([0.8, 0.7, 0.65, 0.55, 0.45, 0.35]), want: ['stop-line forward +600'] },
    { name: 'the other way: backward', steps: path([0.35, 0.45, 0.55, 0.65, 0.8]), want: ['stop-line backward +600'] },
    { name: 'wobbling on the line, then on: one crossing', steps: path([0.8, 0.7, 0.61, 0.595, 0.605, 0.592, 0.607, 0.598, 0.55, 0.45]), want: ['stop-line forward +1400'] },
    { name: 'a box wobbling on the line that never leaves it: none', steps: path([0.8, 0.7, 0.605, 0.595, 0.605, 0.595, 0.604]), want: [] },
    {
      name: 'crossing back and forth for real (a second each side): each time',
      steps: path([0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.7, 0.7, 0.7, 0.7, 0.7, 0.5]),
      want: ['stop-line forward +200', 'stop-line backward +1200', 'stop-line forward +2200'],
    },
    {
      // a neighbour hides half the car for a frame and its box jumps back over the line
      name: 'back over the line before the crossing settled (600 ms): neither counts, the next crossing does',
      steps: path([0.7, 0.5, 0.7, 0.7, 0.5, 0.45, 0.4, 0.35]),
      want: ['stop-line forward +800'],
    },
    { name: 'a track that ends just past the line: counted at its end', steps: path([0.7, 0.65, 0.5]), want: ['stop-line forward +400'] },
    {
      name: 'two lines, in the order it crosses them',
      steps: path([0.8, 0.7, 0.5, 0.35, 0.25]),
      lines: [{ id: 'far', points: [[0.05, 0.3], [0.95, 0.3]] }, { id: 'near', points: across }],
      want: ['near forward +400', 'far forward +800'],
    },
    {
      name: 'a line drawn top to bottom is crossed forward going right',
      steps: [0.2, 0.4, 0.6, 0.8, 0.9, 0.95].map((gx, i) => ({ t: T0 + i * 200, tracks: [{ id: 1, gx, gy: 0.7 }] })),
      lines: [{ id: 'kerb', points: [[0.5, 0.1], [0.5, 0.9]] }],
      want: ['kerb forward +400'],
    },
    {
      name: 'passing beyond the end of the line: none',
      steps: [0.8, 0.7, 0.5, 0.4].map((gy, i) => ({ t: T0 + i * 200, tracks: [{ id: 1, gx: 0.8, gy }] })),
      lines: [{ id: 'half', points: [[0.05, 0.6], [0.5, 0.6]] }],
      want: [],
    },
    {
      name: 'crossed while not yet confirmed: counted when it confirms, with the time it crossed, once',
      steps: [
        { t: T0, tracks: [{ id: 1, gy: 0.63, confirmed: false }] },
        { t: T0 + 200, tracks: [{ id: 1, gy: 0.57, confirmed: false }] },
        { t: T0 + 400, tracks: [{ id: 1, gy: 0.52 }] },
        { t: T0 + 600, tracks: [{ id: 1, gy: 0.45 }] },
        { t: T0 + 800, ended: [{ id: 1, gy: 0.45 }] },
      ],
      want: ['stop-line forward +200'],
    },
    { name: 'first seen right at the line, then past it: counted', steps: path([0.605, 0.55, 0.5]), want: ['stop-line forward +200'] },
    {
      name: 'a track that never confirms crosses nothing',
      steps: [
        { t: T0, tracks: [{ id: 1, gy: 0.7, confirmed: false }] },
        { t: T0 + 200, tracks: [{ id: 1, gy: 0.5, confirmed: false }] },
        { t: T0 + 400, ended: [{ id: 1, gy: 0.5, confirmed: false }] },
      ],
      want: [],
    },
    { name: 'a stationary track jittering across the line: none', steps: path([0.57, 0.63, 0.57, 0.63, 0.57], { stationary: true }), want: [] },
    {
      name: 'a coasting track (the tracker\'s guess of its box) crosses nothing; seen again past the line, it does',
      steps: [
        { t: T0, tracks: [{ id: 1, gy: 0.7 }] },
        { t: T0 + 200, tracks: [{ id: 1, gy: 0.5, misses: 1 }] },
        { t: T0 + 400, tracks: [{ id: 1, gy: 0.45 }] },
        { t: T0 + 600, ended: [{ id: 1, gy: 0.45 }] },
      ],
      want: ['stop-line forward +400'],
    },
  ])('$name', ({ steps, lines, want }) => {
    expect(said(run(steps, lines ? { lines } : {}).crossings)).toEqual(want);
  });

  it('a crossing carries the camera, the track and its label', () => {
    const { crossings } = run(path([0.7, 0.5], { label: 'motorcycle' }));
    expect(crossings).toEqual([{ trackId: 1, camera: 'cam-01', label: 'motorcycle', line: 'stop-line', direction: 'forward', at: T0 + 200 }]);
  });
});

describe('sightings', () => {
  const ZONES = [{ id: 'crossing', polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] as Point[] }];

  it('a confirmed track that ends makes one final sighting with its whole story', () => {
    const { sightings } = run(path([0.9, 0.8, 0.7, 0.65, 0.55, 0.45, 0.35], { riders: 2, label: 'motorcycle' }), { zones: ZONES });
    expect(sightings).toHaveLength(1);
    const s = sightings[0]!;
    expect(s).toMatchObject({
      id: ULID(1),
      trackId: 1,
      camera: 'cam-01',
      label: 'motorcycle',
      first: T0,
      last: T0 + 1200,
      score: 0.8,
      heading: 0,
      lines: [{ line: 'stop-line', direction: 'forward', at: T0 + 800 }],
      riders: 2,
      final: true,
    });
    // in the zone (y > 0.5) from 0 to 800 ms, and half of the step out of it
    expect(s.zones).toEqual([{ zone: 'crossing', seconds: 0.9 }]);
    expect(s.bestBoxPx).toEqual({ x: 280, y: 0.35 * H - 60, w: 80, h: 60 });
    expect(s.box).toEqual({ x: 0.4375, y: 0.1833, w: 0.125, h: 0.1667 });
  });

  it('a person sighting is labelled person, has no colour and no riders, and fits the contract once the service adds nothing', () => {
    const { sightings } = run(path([0.8, 0.75, 0.7], { label: 'person', w: 30, h: 90 }));
    const { trackId: _t, bestBoxPx: _b, ...sighting } = sightings[0]!;
    expect(sighting.label).toBe('person');
    expect('colour' in sighting || 'thumbnail' in sighting || 'riders' in sighting).toBe(false);
    expect(sightingSchema.safeParse(sighting).success).toBe(true);
  });

  it.each<[string, { gx: number; gy: number }[], number | null]>([
    ['going right: 90°', [{ gx: 0.1, gy: 0.7 }, { gx: 0.5, gy: 0.7 }], 90],
    ['going down the picture: 180°', [{ gx: 0.5, gy: 0.3 }, { gx: 0.5, gy: 0.9 }], 180],
    ['going up and left: 315° (in pixels, not normalised units)', [{ gx: 0.5, gy: 0.9 }, { gx: 0.5 - (0.4 * H) / W, gy: 0.5 }], 315],
    ['moved less than its box is high: null', [{ gx: 0.5, gy: 0.7 }, { gx: 0.55, gy: 0.72 }], null],
  ])('heading %s', (_name, points, want) => {
    const steps: Step[] = points.map((p, i) => ({ t: T0 + i * 200, tracks: [{ id: 1, ...p }] }));
    const { sightings } = run([...steps, { t: T0 + 1000, ended: [{ id: 1, ...points.at(-1)! }] }], { lines: [] });
    expect(sightings[0]!.heading).toBe(want);
  });

  it('a long stay is sent every longStayMs as a partial sighting with the same id, then a final one', () => {
    const steps: Step[] = [];
    for (let t = 0; t <= 2600; t += 200) steps.push({ t: T0 + t, tracks: [{ id: 1, gy: 0.8, stationary: t > 400 }] });
    steps.push({ t: T0 + 2800, ended: [{ id: 1, gy: 0.8 }] });
    const { sightings } = run(steps, { longStayMs: 1000, zones: ZONES });
    expect(sightings.map((s) => [s.id, s.final, s.last - T0])).toEqual([
      [ULID(1), false, 1000],
      [ULID(1), false, 2000],
      [ULID(1), true, 2600],
    ]);
    expect(sightings.map((s) => s.zones[0]!.seconds)).toEqual([1, 2, 2.6]);
  });

  it('an unconfirmed track makes no sighting and takes no id', () => {
    const { sightings } = run([
      { t: T0, tracks: [{ id: 1, gy: 0.7, confirmed: false }] },
      { t: T0 + 200, ended: [{ id: 1, gy: 0.7, confirmed: false }] },
      { t: T0 + 400, tracks: [{ id: 2, gy: 0.7 }] },
      { t: T0 + 600, ended: [{ id: 2, gy: 0.7 }] },
    ]);
    expect(sightings.map((s) => [s.trackId, s.id])).toEqual([[2, ULID(1)]]);
  });

  it('endAll makes a final sighting of every confirmed live track, and forgets them all', () => {
    const { book } = run([{ t: T0, tracks: [{ id: 1, gy: 0.7 }, { id: 2, gy: 0.8, confirmed: false }, { id: 3, gy: 0.9, label: 'bus' }] }]);
    expect(book.endAll(T0 + 200).map((s) => [s.trackId, s.label, s.final])).toEqual([
      [1, 'car', true],
      [3, 'bus', true],
    ]);
    expect(book.endAll(T0 + 400)).toEqual([]);
  });

  it('an ended track is forgotten: it is not sent again by endAll', () => {
    const { book, sightings } = run(path([0.8, 0.7]));
    expect(sightings).toHaveLength(1);
    expect(book.endAll(T0 + 5000)).toEqual([]);
  });

  it('a track the tracker dropped without ending it is ended all the same', () => {
    const { book, sightings } = run([{ t: T0, tracks: [{ id: 1, gy: 0.7 }] }, { t: T0 + 200, tracks: [{ id: 1, gy: 0.7 }] }, { t: T0 + 400, tracks: [] }]);
    expect(sightings.map((s) => [s.trackId, s.final])).toEqual([[1, true]]);
    expect(book.endAll(T0 + 600)).toEqual([]);
  });

  it('keeps at most the contract\'s 64 crossings on one sighting, and still counts every one', () => {
    const ys = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? 0.7 : 0.5));
    const { crossings, sightings } = run(path(ys), { settleMs: 0 });
    expect(crossings).toHaveLength(79);
    expect(sightings[0]!.lines).toHaveLength(64);
  });
});
