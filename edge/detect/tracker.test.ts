import { describe, expect, it } from 'vitest';
import { overlapOf, type Box } from '../geometry.js';
import type { Detection, DetectionLabel } from './detector.js';
import type { Track, TrackerUpdate } from './track.js';
import { oneLabelEach, Tracker, type TrackerOptions } from './tracker.js';
import { randomSource } from '../../test-fixtures/camera/street-scene.js';

const FRAME_MS = 200; // 5 fps, the default detect rate
const T0 = 1_000_000;

function det(label: DetectionLabel, x: number, y: number, w: number, h: number, score = 0.8): Detection {
  return { label, score, box: { x, y, w, h } };
}

// ---------------------------------------------------------------------------------------------
// A small film maker: objects on straight lines, one detection each per frame.

interface Mover {
  label: DetectionLabel;
  /** box centre and size at `fromMs` (px) */
  x: number;
  y: number;
  w: number;
  h: number;
  /** px/s */
  vx?: number;
  vy?: number;
  /** in the picture from / until (ms after the first frame) */
  fromMs?: number;
  untilMs?: number;
  score?: number;
  /** the detector misses it in these frames */
  missed?: (frame: number) => boolean;
  /** the detector's label in this frame, when it flips */
  labelAt?: (frame: number) => DetectionLabel;
}

interface Frame {
  t: number;
  detections: Detection[];
  /** which mover each detection is */
  movers: number[];
}

interface FilmOptions {
  frameMs?: number;
  /** detector jitter: each box coordinate moves by up to ± this many px */
  jitter?: number;
  seed?: number;
  /** a box at least half covered by a nearer one (lower bottom edge) is not detected */
  occlusion?: boolean;
  /** scores drawn from this range instead of each mover's score */
  scores?: [number, number];
}


const WIDTH = 640;
const HEIGHT = 360;

/** The part of a box inside the picture, as the detector reports it; nothing when less than half shows. */
function clip(b: Box): Box | undefined {
  const x = Math.max(0, b.x);
  const y = Math.max(0, b.y);
  const w = Math.min(WIDTH, b.x + b.w) - x;
  const h = Math.min(HEIGHT, b.y + b.h) - y;
  return w > 0 && h > 0 && w * h >= 0.5 * b.w * b.h ? { x, y, w, h } : undefined;
}

function film(movers: Mover[], frames: number, o: FilmOptions = {}): Frame[] {
  const { frameMs = FRAME_MS, jitter = 0, seed = 1, occlusion = false, scores } = o;
  const rnd = randomSource(seed);
  const noise = () => (jitter === 0 ? 0 : Math.round((rnd() * 2 - 1) * jitter * 10) / 10);
  return range(frames).map((f) => {
    const ms = f * frameMs;
    const seen: { box: Box; mover: number; label: DetectionLabel; score: number }[] = [];
    movers.forEach((m, i) => {
      const from = m.fromMs ?? 0;
      if (ms < from || ms > (m.untilMs ?? Infinity) || m.missed?.(f)) return;
      const s = (ms - from) / 1000;
      const cx = m.x + (m.vx ?? 0) * s;
      const cy = m.y + (m.vy ?? 0) * s;
      const box = clip({ x: cx - m.w / 2 + noise(), y: cy - m.h / 2 + noise(), w: m.w + noise(), h: m.h + noise() });
      if (box === undefined) return;
      const score = scores ? scores[0] + rnd() * (scores[1] - scores[0]) : (m.score ?? 0.8);
      seen.push({ box, mover: i, label: m.labelAt?.(f) ?? m.label, score });
    });
    const visible = occlusion
      ? seen.filter((a) => !seen.some((b) => b !== a && b.box.y + b.box.h > a.box.y + a.box.h && overlapOf(a.box, b.box) >= 0.5))
      : seen;
    return {
      t: T0 + ms,
      detections: visible.map((v) => ({ label: v.label, score: v.score, box: v.box })),
      movers: visible.map((v) => v.mover),
    };
  });
}

interface Run {
  updates: TrackerUpdate[];
  /** per frame, the id of the track holding each detection's box (0: none) */
  ids: number[][];
  /** ids of the tracks that were ever confirmed: the only ones handed on */
  confirmed: Set<number>;
}

function run(frames: Frame[], options?: TrackerOptions): Run {
  const tracker = new Tracker(options);
  const updates = frames.map((f) => tracker.update(f.detections, f.t));
  const ids = frames.map((f, i) => f.detections.map((d) => holder(updates[i]!.tracks, d.box)?.id ?? 0));
  const confirmed = new Set(updates.flatMap((u) => u.tracks.filter((t) => t.confirmed).map((t) => t.id)));
  return { updates, ids, confirmed };
}

const sameBox = (a: Box, b: Box) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
const holder = (tracks: Track[], box: Box) => tracks.find((t) => t.misses === 0 && sameBox(t.box, box));

/** The ids each mover had, in order, without repeats (one entry: never switched). */
function idsOfMovers(frames: Frame[], ids: number[][], only?: Set<number>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  frames.forEach((f, i) =>
    f.movers.forEach((m, j) => {
      const id = ids[i]![j]!;
      const seq = out.get(m) ?? [];
      if (id !== 0 && (only?.has(id) ?? true) && seq.at(-1) !== id) seq.push(id);
      out.set(m, seq);
    }),
  );
  return out;
}

/**
 * Identity errors of the confirmed tracks (the ones handed on): switches as MOT counts them, each time a mover's
 * track changes; takeovers, each further mover a track held (a lost track taking up another object).
 */
function identityErrors(frames: Frame[], r: Run): { switches: number; takeovers: number; movers: number; tracks: number } {
  const byMover = idsOfMovers(frames, r.ids, r.confirmed);
  const holders = new Map<number, Set<number>>();
  let switches = 0;
  for (const [mover, seq] of byMover) {
    switches += Math.max(0, seq.length - 1);
    for (const id of seq) holders.set(id, (holders.get(id) ?? new Set()).add(mover));
  }
  let takeovers = 0;
  for (const movers of holders.values()) takeovers += movers.size - 1;
  return { switches, takeovers, movers: byMover.size, tracks: holders.size };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Confirmed tracks of the last update. */
const lastTracks = (r: Run) => r.updates.at(-1)!.tracks.filter((t) => t.confirmed);

// ---------------------------------------------------------------------------------------------

interface IdentityCase {
  name: string;
  movers: Mover[];
  frames: number;
  film?: FilmOptions;
  options?: TrackerOptions;
}

// Boxes are in 640×360 detect-frame pixels: a motorbike ~36×36, a person ~20×45, a car ~80×45.
const identityCases: IdentityCase[] = [
  {
    name: 'two walkers crossing each other head-on in one row keep their ids',
    movers: [
      { label: 'person', x: 70, y: 150, w: 40, h: 100, vx: 50 },
      { label: 'person', x: 275, y: 150, w: 40, h: 100, vx: -50 },
    ],
    frames: 21,
  },
  {
    name: 'two motorbikes crossing diagonally (an X at a junction) keep their ids',
    movers: [
      { label: 'motorcycle', x: 100, y: 100, w: 36, h: 36, vx: 150, vy: 100 },
      // 30 px behind the first at the crossing: their boxes overlap by half
      { label: 'motorcycle', x: 430, y: 100, w: 36, h: 36, vx: -150, vy: 100 },
    ],
    frames: 20,
    film: { jitter: 1.5 },
  },
  {
    name: 'a fast car overtaking a slow one in the same lane keeps both ids',
    movers: [
      { label: 'car', x: 200, y: 200, w: 80, h: 45, vx: 60 },
      { label: 'car', x: 40, y: 204, w: 80, h: 45, vx: 200 },
    ],
    frames: 25,
    film: { jitter: 1.5 },
  },
  {
    name: 'a motorbike overtaking another inside one lane keeps both ids',
    movers: [
      { label: 'motorcycle', x: 150, y: 200, w: 36, h: 36, vx: 90 },
      { label: 'motorcycle', x: 60, y: 208, w: 36, h: 36, vx: 220 },
    ],
    frames: 25,
    film: { jitter: 1 },
  },
  {
    name: 'a walker hidden behind a bus for 4 frames comes back with the same id',
    movers: [
      { label: 'person', x: 100, y: 150, w: 20, h: 45, vx: 40, missed: (f) => f >= 8 && f < 12 },
      { label: 'bus', x: 160, y: 160, w: 120, h: 90 },
    ],
    frames: 20,
    film: { jitter: 0.5 },
  },
  {
    name: 'a motorbike hidden behind a car for 5 frames comes back with the same id',
    movers: [
      { label: 'motorcycle', x: 50, y: 180, w: 36, h: 36, vx: 160, missed: (f) => f >= 10 && f < 15 },
      { label: 'car', x: 340, y: 200, w: 80, h: 45, vx: 40 },
    ],
    frames: 22,
    film: { jitter: 1 },
  },
  {
    name: 'car and truck flips on one vehicle keep one track',
    movers: [{ label: 'car', x: 50, y: 200, w: 90, h: 50, vx: 80, labelAt: (f) => (f % 3 === 1 ? 'truck' : f % 7 === 0 ? 'bus' : 'car') }],
    frames: 20,
    film: { jitter: 1 },
  },
  {
    name: 'bicycle and motorcycle flips on one two-wheeler keep one track',
    movers: [{ label: 'motorcycle', x: 50, y: 200, w: 36, h: 36, vx: 150, labelAt: (f) => (f % 2 ? 'bicycle' : 'motorcycle') }],
    frames: 20,
    film: { jitter: 1 },
  },
];

describe('Tracker: one object, one id', () => {
  it.each(identityCases)('$name', ({ movers, frames, film: filmOptions, options }) => {
    const f = film(movers, frames, filmOptions);
    const { ids } = run(f, options);
    const byMover = idsOfMovers(f, ids);
    expect([...byMover.values()].map((seq) => seq.length)).toEqual(movers.map(() => 1));
    expect(new Set([...byMover.values()].flat()).size).toBe(movers.length);
  });

  it('follows an object through frames 1 s apart', () => {
    // Moving 100 px/s, seen at 5 fps, then only once a second (the detector is overloaded), then 5 fps again.
    const times = [...range(6).map((i) => i * 200), 2000, 3000, 4000, ...range(5).map((i) => 4200 + i * 200)];
    const tracker = new Tracker();
    const ids = times.map((ms) => {
      const box = { x: 50 + ms / 10, y: 200, w: 80, h: 45 };
      return holder(tracker.update([{ label: 'car', score: 0.8, box }], T0 + ms).tracks, box)?.id;
    });
    expect(new Set(ids)).toEqual(new Set([1]));
  });

  it('tells a person from a car in the same place', () => {
    const tracker = new Tracker();
    tracker.update([det('car', 100, 100, 100, 50)], T0);
    const { tracks } = tracker.update([det('person', 100, 100, 100, 50)], T0 + 200);
    expect(tracks.map((t) => [t.id, t.label, t.misses])).toEqual([[2, 'person', 0]]);
  });

  it('labels a flipping vehicle by its most seen label', () => {
    const labels: DetectionLabel[] = ['truck', 'car', 'truck', 'truck', 'car', 'truck', 'bus', 'truck'];
    const r = run(film([{ label: 'car', x: 100, y: 200, w: 90, h: 50, vx: 50, labelAt: (f) => labels[f]! }], labels.length));
    expect(lastTracks(r).map((t) => t.label)).toEqual(['truck']);
  });
});

describe('Tracker: dense traffic', () => {
  /**
   * Four lanes, two each way, ~30 objects on screen: motorbikes mostly, cars, a few trucks. Each lane holds two
   * files 26 px apart, each file its own pace (±15 % of the lane's), so one file passes the other with the boxes
   * overlapping, and the nearer hides the farther when it covers half of it. Within a file nobody passes through the
   * one ahead: an object enters only when it will not catch up before the far edge.
   */
  function rushHour(seconds: number, seed: number): Mover[] {
    const rnd = randomSource(seed);
    const movers: Mover[] = [];
    const lanes = [
      { y: 130, speed: 130 },
      { y: 185, speed: 170 },
      { y: 245, speed: -150 },
      { y: 305, speed: -110 },
    ];
    for (const lane of lanes) {
      for (const file of [-13, 13]) {
        const pace = lane.speed * (0.85 + rnd() * 0.3);
        let last: Mover | undefined;
        for (let ms = rnd() * 1000; ms < seconds * 1000; ms += 500 + rnd() * 1200) {
          const kind = rnd();
          const [label, w, h]: [DetectionLabel, number, number] =
            kind < 0.65 ? ['motorcycle', 34, 36] : kind < 0.9 ? ['car', 80, 45] : ['truck', 110, 60];
          const vx = pace * (0.97 + rnd() * 0.06);
          const x = vx > 0 ? -w / 2 : WIDTH + w / 2;
          if (last) {
            // where the one ahead is when this one enters, and how much closer it gets before leaving the picture
            const gap = Math.abs(last.vx!) * ((ms - last.fromMs!) / 1000);
            const closing = Math.max(0, Math.abs(vx) - Math.abs(last.vx!)) * ((WIDTH + w) / Math.abs(vx));
            if (gap - closing < (last.w + w) / 2 + 8) continue;
          }
          const y = lane.y + file + (rnd() * 2 - 1) * 3;
          const untilMs = ms + ((WIDTH + w) / Math.abs(vx)) * 1000;
          last = { label, w, h, x, y, vx, fromMs: ms, untilMs, missed: () => rnd() < 0.03 };
          movers.push(last);
        }
      }
    }
    return movers;
  }

  it('keeps identity switches under 2 % with 30 objects in 4 lanes both ways for 60 s', () => {
    const movers = rushHour(60, 7);
    const frames = film(movers, 300, { jitter: 1.5, occlusion: true, scores: [0.35, 0.95], seed: 8 });
    const detections = frames.reduce((n, f) => n + f.detections.length, 0);
    expect(detections / frames.length).toBeGreaterThanOrEqual(25);

    const e = identityErrors(frames, run(frames));
    const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(2)} %`;
    console.info(
      `dense traffic: ${e.movers} objects, ${detections} detections; ${e.switches} identity switches (${pct(e.switches, e.movers)}), ` +
        `${e.takeovers} takeovers of ${e.tracks} confirmed tracks (${pct(e.takeovers, e.tracks)})`,
    );
    expect(e.switches / e.movers).toBeLessThanOrEqual(0.02);
    expect(e.takeovers / e.tracks).toBeLessThanOrEqual(0.02);
  });

  it('updates 40 objects in well under 1 ms a frame', () => {
    const movers = range(40).map(
      (i): Mover => ({ label: i % 3 ? 'motorcycle' : 'car', x: 40 + (i % 8) * 60, y: 40 + Math.floor(i / 8) * 65, w: 36, h: 36, vx: 3, vy: 1 }),
    );
    const frames = film(movers, 200, { jitter: 1 });
    const tracker = new Tracker();
    const start = performance.now();
    for (const f of frames) tracker.update(f.detections, f.t);
    const ms = performance.now() - start;
    console.info(`40 objects: ${(ms / frames.length).toFixed(3)} ms per update`);
    expect(tracker.size).toBe(40);
    expect(ms).toBeLessThan(1000);
  });
});

describe('Tracker: a looped clip wrapping', () => {
  const cases = [
    { name: 'far', jump: 300 },
    { name: 'two box widths', jump: 2 * 36 },
  ];
  it.each(cases)('follows no object across a jump ($name): old tracks end once, new ones start', ({ jump }) => {
    // Six objects in six rows move right for 6 s; then the clip starts again: each is `jump` px back, at once.
    const speed = jump / 6;
    const movers = range(6).map(
      (i): Mover => ({ label: i % 2 ? 'car' : 'motorcycle', x: 100 + (i % 3) * 10, y: 30 + i * 55, w: 36, h: 36, vx: speed }),
    );
    const loop = film(movers, 30, { jitter: 1 });
    const frames = [...loop, ...loop.map((f) => ({ ...f, t: f.t + 30 * FRAME_MS }))];
    const r = run(frames);
    const before = new Set(r.ids.slice(0, 30).flat());
    const after = new Set(r.ids.slice(30).flat());
    expect([...before].filter((id) => after.has(id))).toEqual([]);
    expect(before.size).toBe(6);
    expect(after.size).toBe(6);
    const ended = r.updates.flatMap((u) => u.ended.map((t) => t.id));
    expect(ended.sort()).toEqual([...before].sort());
  });
});

describe('Tracker: lifetimes', () => {
  it('confirms a track after minHits matched frames', () => {
    const tracker = new Tracker({ minHits: 3 });
    const confirmed = range(4).map((i) => tracker.update([det('car', 100 + i * 5, 100, 100, 50)], i * FRAME_MS).tracks[0]!.confirmed);
    expect(confirmed).toEqual([false, false, true, true]);
  });

  it.each<[string, number[], boolean[]]>([
    // the third sighting where the first two said it would be: one hit early
    ['a steady car is confirmed at its third sighting', [100, 110, 120, 130], [false, false, true, true]],
    ['so is one that keeps still', [100, 100, 100, 100], [false, false, true, true]],
    // the second sighting was 30 px on, the third 10: its velocity was a wrong guess, so it waits for the fourth
    ['one whose third sighting is off its course waits for minHits', [100, 130, 140, 150], [false, false, false, true]],
  ])('%s (minHits 4)', (_name, xs, expected) => {
    const tracker = new Tracker({ minHits: 4 });
    expect(xs.map((x, i) => tracker.update([det('car', x, 100, 100, 50)], i * FRAME_MS).tracks[0]!.confirmed)).toEqual(expected);
  });

  it('confirms a weak third sighting only at minHits, steady or not', () => {
    const tracker = new Tracker({ minHits: 4 });
    const scores = [0.8, 0.8, 0.4, 0.8];
    expect(scores.map((score, i) => tracker.update([det('car', 100 + i * 10, 100, 100, 50, score)], i * FRAME_MS).tracks[0]!.confirmed)).toEqual([false, false, false, true]);
  });

  it('drops a tentative track seen once at its first miss, without reporting it', () => {
    const tracker = new Tracker();
    tracker.update([det('person', 100, 100, 20, 45, 0.9)], 0);
    expect(tracker.update([], 200)).toEqual({ tracks: [], ended: [] });
    expect(tracker.size).toBe(0);
  });

  it('lets a tentative track seen twice miss one frame (and confirm after), but not two in a row', () => {
    const tracker = new Tracker();
    const seen = (x: number, t: number) => tracker.update([det('car', x, 200, 80, 45, 0.8)], t);
    seen(100, 0);
    seen(110, 200);
    expect(tracker.update([], 400).tracks.map((t) => [t.id, t.confirmed, t.misses])).toEqual([[1, false, 1]]);
    seen(130, 600);
    expect(seen(140, 800).tracks.map((t) => [t.id, t.confirmed])).toEqual([[1, true]]);
    const other = new Tracker();
    other.update([det('car', 100, 200, 80, 45, 0.8)], 0);
    other.update([det('car', 110, 200, 80, 45, 0.8)], 200);
    other.update([], 400);
    expect(other.update([], 600)).toEqual({ tracks: [], ended: [] });
  });

  it('coasts a lost moving track 1.5 s, then reports it ended exactly once', () => {
    const frames = film([{ label: 'car', x: 100, y: 200, w: 80, h: 45, vx: 50, untilMs: 1000 }], 20);
    const r = run(frames);
    const live = r.updates.map((u) => u.tracks.length);
    const ended = r.updates.map((u) => u.ended.map((t) => t.id));
    // seen in frames 0–5 (1000 ms), coasting until 2500 ms (frame 12), gone at frame 13
    expect(live).toEqual(range(20).map((i) => (i <= 12 ? 1 : 0)));
    expect(ended.flat()).toEqual([1]);
    expect(ended[13]).toEqual([1]);
    // while coasting its box moves on with its velocity
    const coasting = r.updates[10]!.tracks[0]!;
    expect(coasting.misses).toBe(5);
    expect(coasting.box.x).toBeCloseTo(60 + 50 * 2, 0);
  });

  it('coasts a slow track (a walker hidden by a passing car) 4 s, a fast one 1.5 s', () => {
    const hidden = (vx: number) => {
      const tracker = new Tracker();
      const ids = new Set<number>();
      for (let i = 0; i <= 35; i++) {
        const t = T0 + i * 200;
        // seen for 2 s, hidden for 3 s, seen again
        const seen = i <= 10 || i >= 25;
        const u = tracker.update(seen ? [{ label: 'person', score: 0.8, box: { x: 100 + (vx * (t - T0)) / 1000, y: 100, w: 20, h: 60 } }] : [], t);
        for (const k of u.tracks) if (k.confirmed) ids.add(k.id);
      }
      return ids.size;
    };
    expect(hidden(30)).toBe(1); // half a height a second: the same walker
    expect(hidden(300)).toBe(2); // five heights a second: too far to trust the guess
  });

  it('ends every live confirmed track on endAll, once', () => {
    const tracker = new Tracker();
    // a car seen 4 times (confirmed), a person once (tentative)
    const movers: Mover[] = [
      { label: 'car', x: 100, y: 200, w: 80, h: 45, vx: 50 },
      { label: 'person', x: 400, y: 100, w: 20, h: 45, fromMs: 600 },
    ];
    for (const f of film(movers, 4)) tracker.update(f.detections, f.t);
    expect(tracker.endAll().map((t) => t.id)).toEqual([1]);
    expect(tracker.endAll()).toEqual([]);
    expect(tracker.size).toBe(0);
  });

  it('keeps a track alive on weak detections but never starts one from them', () => {
    const weakAfter3 = (f: number) => (f < 3 ? 0.8 : 0.3);
    const tracker = new Tracker();
    const seen = range(10).map((f) => {
      const box = { x: 100 + f * 10, y: 200, w: 80, h: 45 };
      const stray = { x: 500, y: 50, w: 30, h: 30 };
      return tracker.update(
        [
          { label: 'car', score: weakAfter3(f), box },
          { label: 'motorcycle', score: 0.3, box: stray },
        ],
        f * FRAME_MS,
      ).tracks;
    });
    expect(seen.map((tracks) => tracks.map((t) => [t.id, t.misses]))).toEqual(range(10).map(() => [[1, 0]]));
  });

  it('keeps the best score, its box and its time', () => {
    const tracker = new Tracker();
    tracker.update([det('person', 100, 100, 40, 100, 0.5)], 0);
    tracker.update([det('person', 105, 100, 40, 100, 0.9)], 200);
    const [track] = tracker.update([det('person', 110, 100, 40, 100, 0.6)], 400).tracks;
    expect(track).toMatchObject({ score: 0.6, bestScore: 0.9, bestBox: { x: 105, y: 100, w: 40, h: 100 }, bestAtMs: 200, box: { x: 110 } });
  });

  it('does not leak tracks: ended ones are gone for good', () => {
    const tracker = new Tracker();
    for (let i = 0; i < 300; i++) tracker.update([det('person', (i * 97) % 600, 100, 20, 50, 0.9)], i * FRAME_MS);
    expect(tracker.size).toBeLessThanOrEqual(1);
  });
});

describe('Tracker: stationary objects', () => {
  it('keeps one id for a car stopped 2 minutes that the detector often misses', () => {
    // It brakes from 100 px/s to a stop over 2 s, seen at 5 fps; then frames come once a second (no motion, only
    // the pipeline's refresh) and the detector misses it in runs of 5 s.
    const drive = range(11).map((i) => ({ ms: i * 200, x: 300 - 50 * (2 - i / 5) ** 2 }));
    const parked = range(120).map((i) => ({ ms: 3000 + i * 1000, x: 300 + (i % 3) - 1 }));
    const missedRun = (i: number) => i % 20 >= 15; // 5 missed refreshes out of every 20
    const tracker = new Tracker();
    const seen: Track[] = [];
    for (const [i, { ms, x }] of [...drive, ...parked].entries()) {
      const box = { x, y: 200, w: 80, h: 45 };
      const missed = i >= drive.length + 10 && missedRun(i - drive.length);
      const { tracks, ended } = tracker.update(missed ? [] : [{ label: 'car', score: 0.8, box }], T0 + ms);
      expect(ended).toEqual([]);
      seen.push(...tracks);
    }
    expect(new Set(seen.map((t) => t.id))).toEqual(new Set([1]));
    const last = seen.at(-1)!;
    expect(last.stationary).toBe(true);
    expect(Math.hypot(last.velocity.x, last.velocity.y)).toBeLessThan(1);
  });

  it('flags a track stationary once it has barely moved for the whole window, and not before', () => {
    const tracker = new Tracker({ stationaryMs: 2000, stationaryMaxMove: 0.1 });
    // A car parks: ±2 px of detector jitter on a 100×50 box (limit 7.5 px).
    const flags = range(15).map((i) => tracker.update([det('car', 300 + (i % 2) * 2, 200, 100, 50)], i * FRAME_MS).tracks[0]!.stationary);
    expect(flags.slice(0, 10)).toEqual(range(10).map(() => false));
    expect(flags.slice(10)).toEqual(range(5).map(() => true));
    // It drives off: no longer stationary as soon as it has moved.
    const moving = tracker.update([det('car', 315, 200, 100, 50)], 15 * FRAME_MS).tracks[0]!;
    expect(moving.stationary).toBe(false);
  });

  it('keeps a stopped car the detector sees only faintly for 30 s (grey on grey road), right where it stands', () => {
    // It stops at x = 300 and is seen clearly for 2 s, then only at 0.1–0.29 (the dense scene's grey stopper).
    const tracker = new Tracker();
    const ids = new Set<number>();
    for (let i = 0; i < 160; i++) {
      const score = i < 10 ? 0.8 : 0.1 + (i % 20) / 100;
      const { tracks, ended } = tracker.update([{ label: 'car', score, box: { x: 300 + (i % 3) - 1, y: 200, w: 80, h: 45 } }], i * FRAME_MS);
      expect(ended).toEqual([]);
      for (const t of tracks) ids.add(t.id);
    }
    expect([...ids]).toEqual([1]);
    // …but a faint box 40 % of a box away is not where it stands: the track coasts and ends, nothing new starts
    const later = range(60).map((i) => tracker.update([{ label: 'car', score: 0.2, box: { x: 332, y: 200, w: 80, h: 45 } }], (160 + i) * FRAME_MS));
    expect(later.flatMap((u) => u.ended.map((t) => t.id))).toEqual([1]);
    expect(later.at(-1)!.tracks).toEqual([]);
  });

  it('does not let a weak box of two cars in neighbouring lanes (twice as tall) take either track', () => {
    const tracker = new Tracker();
    // a car going right along y 200–245 (45 high); then only a weak box over it and the lane above (y 155–245)
    const updates = range(20).map((i) => {
      const box = { x: 100 + i * 20, y: 200, w: 80, h: 45 };
      const merged = { x: box.x, y: 155, w: 80, h: 90 };
      return tracker.update([i < 8 ? { label: 'car', score: 0.8, box } : { label: 'car', score: 0.4, box: merged }], i * FRAME_MS);
    });
    // it coasts on its prediction and ends; a weak box of its own height would have kept it (the test above)
    expect(updates.slice(8).every((u) => u.tracks.every((t) => t.misses > 0))).toBe(true);
    expect(updates.flatMap((u) => u.ended.map((t) => t.id))).toEqual([1]);
  });

  it('does not let faint boxes hold a moving track or start one', () => {
    const tracker = new Tracker();
    const updates = range(30).map((i) =>
      tracker.update([{ label: 'car', score: i < 6 ? 0.8 : 0.25, box: { x: 100 + i * 20, y: 200, w: 80, h: 45 } }], i * FRAME_MS),
    );
    // confirmed at its 4th frame, then only faint boxes: it coasts 1.5 s and ends, and they start nothing
    expect(updates.flatMap((u) => u.ended.map((t) => t.id))).toEqual([1]);
    expect(updates.at(-1)!.tracks).toEqual([]);
    expect(updates.slice(6).every((u) => u.tracks.every((t) => t.misses > 0))).toBe(true);
  });

  it('does not let a car driving past take the id of a parked car the detector misses', () => {
    const frames = film(
      [
        { label: 'car', x: 300, y: 200, w: 80, h: 45, missed: (f) => f >= 25 && f < 35 },
        { label: 'car', x: 0, y: 205, w: 80, h: 45, vx: 200, fromMs: 4000 },
      ],
      45,
      { jitter: 1 },
    );
    const { ids } = run(frames);
    const byMover = idsOfMovers(frames, ids);
    expect([...byMover.values()]).toEqual([[1], [2]]);
  });
});

describe('Tracker: riders and two-wheelers', () => {
  const bike = (x: number, extra: Partial<Mover> = {}): Mover => ({ label: 'motorcycle', x, y: 200, w: 40, h: 36, vx: 150, ...extra });
  /** A seated rider: head above the bike, hips and legs on it. */
  const rider = (x: number, extra: Partial<Mover> = {}): Mover => ({ label: 'person', x, y: 185, w: 22, h: 50, vx: 150, ...extra });

  const cases: { name: string; movers: Mover[]; label: DetectionLabel; riders: number; inferred?: boolean }[] = [
    { name: 'a person on a motorbike is its rider, not a track of its own', movers: [bike(60), rider(60)], label: 'motorcycle', riders: 1 },
    {
      name: 'a faint motorbike under a clear rider is a confident motorbike',
      movers: [bike(60, { score: 0.3 }), rider(60)],
      label: 'motorcycle',
      riders: 1,
    },
    {
      name: 'a family of three on one motorbike is one track with 3 riders',
      movers: [bike(60, { w: 50 }), rider(52), rider(60), rider(68)],
      label: 'motorcycle',
      riders: 3,
    },
    {
      name: 'frames where only the rider is seen keep the motorbike’s track',
      movers: [bike(60, { missed: (f) => f % 3 === 2 }), rider(60)],
      label: 'motorcycle',
      riders: 1,
    },
    {
      name: 'frames where only the motorbike is seen keep it, riders counted over the last 2 s',
      movers: [bike(60), rider(60, { missed: (f) => f % 2 === 1 })],
      label: 'motorcycle',
      riders: 1,
    },
    {
      name: 'a rider seen alone, then with the motorbike, stays one track',
      movers: [bike(60 + 150 * 1.4, { fromMs: 1400 }), rider(60)],
      label: 'motorcycle',
      riders: 1,
    },
    {
      name: 'a person at motorbike speed (4 heights/s) becomes an inferred motorcycle',
      movers: [rider(40, { vx: 200 })],
      label: 'motorcycle',
      riders: 1,
      inferred: true,
    },
  ];

  it.each(cases)('$name', ({ movers, label, riders, inferred = false }) => {
    const frames = film(movers, 16, { jitter: 1 });
    const r = run(frames);
    const ids = new Set(r.updates.flatMap((u) => u.tracks.map((t) => t.id)));
    expect(ids).toEqual(new Set([1]));
    expect(lastTracks(r).map((t) => ({ label: t.label, riders: t.riders, inferred: t.inferred }))).toEqual([{ label, riders, inferred }]);
  });

  it('decides a person is riding only after ~1 s at vehicle speed', () => {
    const r = run(film([rider(40, { vx: 200 })], 12, { jitter: 1 }));
    const labels = r.updates.map((u) => u.tracks[0]!.label);
    const first = labels.indexOf('motorcycle');
    expect(first).toBeGreaterThanOrEqual(5);
    expect(first).toBeLessThanOrEqual(8);
    expect(labels.slice(first).every((l) => l === 'motorcycle')).toBe(true);
  });

  const walkers = [
    { name: 'a walker (0.8 heights/s)', speed: 0.8 },
    { name: 'a jogger (1.8 heights/s)', speed: 1.8 },
  ];
  it.each(walkers)('$name stays a person', ({ speed }) => {
    // 6 s across the picture
    const r = run(film([{ label: 'person', x: 40, y: 150, w: 20, h: 45, vx: speed * 45, vy: 0.2 * speed * 45 }], 30, { jitter: 1.5 }));
    expect(r.updates.flatMap((u) => u.tracks.map((t) => [t.id, t.label, t.inferred]))).toEqual(range(30).map(() => [1, 'person', false]));
  });

  it('keeps both ids when a pedestrian walks behind a parked motorbike, for a moment looking like its rider', () => {
    const frames = film(
      [
        { label: 'motorcycle', x: 300, y: 200, w: 40, h: 36 },
        { label: 'person', x: 200, y: 192, w: 20, h: 45, vx: 40 },
      ],
      40,
      { jitter: 0.5 },
    );
    const r = run(frames);
    expect([...idsOfMovers(frames, r.ids).values()]).toEqual([[1], [2]]);
    expect(lastTracks(r).map((t) => [t.id, t.label])).toEqual([
      [1, 'motorcycle'],
      [2, 'person'],
    ]);
  });

  it('does not take a pedestrian beside a parked motorbike for its rider', () => {
    const r = run(film([{ label: 'motorcycle', x: 300, y: 200, w: 40, h: 36 }, { label: 'person', x: 345, y: 195, w: 20, h: 45 }], 10));
    expect(lastTracks(r).map((t) => [t.label, t.riders])).toEqual([
      ['motorcycle', 0],
      ['person', 0],
    ]);
  });

  it('does not take a pedestrian crossing past the end of a waiting bicycle for its rider', () => {
    // the street scene: a crosser walks down the zebra past a bicycle waiting at it, 0.35 of its width off its centre;
    // taken for its rider, the bicycle's track walked across the zebra's counting line with them
    const frames = film(
      [
        { label: 'bicycle', x: 150, y: 313, w: 100, h: 66 },
        { label: 'person', x: 185, y: 230, w: 22, h: 60, vy: 40 },
      ],
      25,
      { jitter: 0.5 },
    );
    const r = run(frames);
    expect([...idsOfMovers(frames, r.ids).values()]).toEqual([[1], [2]]);
    expect(Math.max(...r.updates.flatMap((u) => u.tracks.filter((t) => t.id === 1).map((t) => t.riders)))).toBe(0);
  });
});

describe('oneLabelEach', () => {
  const d = (label: DetectionLabel, score: number, x: number): Detection => ({ label, score, box: { x, y: 0, w: 100, h: 50 } });
  it.each<[string, Detection[], string[]]>([
    ['a pick-up named car and truck on one box: the stronger name stays', [d('truck', 0.5, 0), d('car', 0.8, 2)], ['car 0.8']],
    ['a bicycle and a motorcycle on one box', [d('bicycle', 0.6, 0), d('motorcycle', 0.7, 0)], ['motorcycle 0.7']],
    ['two cars side by side are two cars', [d('car', 0.8, 0), d('truck', 0.6, 90)], ['car 0.8', 'truck 0.6']],
    ['a person on a motorbike is not a look-alike', [d('person', 0.8, 0), d('motorcycle', 0.7, 0)], ['person 0.8', 'motorcycle 0.7']],
    ['the same label twice is the detector\'s own NMS business', [d('car', 0.8, 0), d('car', 0.7, 1)], ['car 0.8', 'car 0.7']],
  ])('%s', (_name, detections, kept) => {
    expect(oneLabelEach(detections).map((k) => `${k.label} ${k.score}`)).toEqual(kept);
  });
});

describe('Tracker: looks', () => {
  // Two people meet, stand side by side for 2 s, and each goes back the way they came: where they were heading says
  // nothing after the stop, their colours do (without them the ids swap).
  const red = Float32Array.from({ length: 64 }, (_, i) => (i === 48 ? 1 : 0));
  const blue = Float32Array.from({ length: 64 }, (_, i) => (i === 3 ? 1 : 0));
  const xAt = (who: 'a' | 'b', ms: number): number => {
    const meet = who === 'a' ? 276 : 284;
    const from = who === 'a' ? 100 : 460;
    if (ms <= 2000) return from + ((meet - from) * ms) / 2000;
    if (ms <= 4000) return meet;
    return meet + ((from - meet) * (ms - 4000)) / 2000;
  };
  const frames = range(31).map((i) => i * 200);

  it('keeps each person\'s id through a meeting, by their colours', () => {
    const tracker = new Tracker();
    const seen = { a: new Set<number>(), b: new Set<number>() };
    for (const ms of frames) {
      const a = { label: 'person' as const, score: 0.8, box: { x: xAt('a', ms), y: 200, w: 20, h: 50 }, appearance: red };
      const b = { label: 'person' as const, score: 0.8, box: { x: xAt('b', ms), y: 200, w: 20, h: 50 }, appearance: blue };
      const { tracks } = tracker.update([b, a], T0 + ms);
      const idOf = (box: Box) => holder(tracks, box)?.id;
      if (idOf(a.box)) seen.a.add(idOf(a.box)!);
      if (idOf(b.box)) seen.b.add(idOf(b.box)!);
    }
    expect([...seen.a]).toHaveLength(1);
    expect([...seen.b]).toHaveLength(1);
    expect(seen.a).not.toEqual(seen.b);
  });
});
