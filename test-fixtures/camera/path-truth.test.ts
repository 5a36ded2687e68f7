// The path ground truth's helpers against hand-made paths whose answers are worked out on paper.
import { describe, expect, it } from 'vitest';
import {
  expectedCrossings,
  expectedLineCounts,
  expectedStoppers,
  frameIntervals,
  pathObjectsOf,
  positionAt,
  stopsOf,
  streetBoxAt,
  type CountingLine,
  type Keyframe,
  type Zone,
} from './path-truth.js';
import { groundTruthFor, type GroundTruth, type ObjectLabel } from './scenes.js';
import type { StreetObject } from './street-scene.js';

const FRAME = { width: 400, height: 300 };

/** A path object with its frame times and stops worked out by the helpers under test (checked separately below). */
function object(id: string, path: Keyframe[], size: { width: number; height: number } = { width: 100, height: 50 }, label: ObjectLabel = 'car'): StreetObject {
  const { inFrame, fullyInFrame } = frameIntervals(path, size, FRAME);
  return {
    id, label, riders: 0, path, ...size,
    inFrame: inFrame[0]!, fullyInFrame: fullyInFrame[0] ?? null, stops: stopsOf(path),
    role: 'lane', colour: 'white', flipped: false, layer: 1,
  };
}

function truthOf(objects: StreetObject[]): GroundTruth {
  return { scene: 'street', loopSeconds: 10, frame: FRAME, objects: [], street: { seed: 0, objects, lines: [], zones: [] } };
}

// in from the left, along y 50, stands 2 s, then down and out of the bottom
const TURNER: Keyframe[] = [[1, -100, 50], [3, 100, 50], [5, 100, 50], [7, 100, 300]];

describe('frame times and stops of a path', () => {
  it('finds when some and when all of the box is in frame, and where it stands still', () => {
    expect(frameIntervals(TURNER, { width: 100, height: 50 }, FRAME)).toEqual({ inFrame: [[1, 7]], fullyInFrame: [[2, 6.6]] });
    expect(stopsOf(TURNER)).toEqual([[3, 5]]);
  });

  it('gives two intervals for a box that leaves and comes back, and none for one that never gets all in', () => {
    const outAndBack: Keyframe[] = [[0, 100, 100], [1, 100, -100], [2, 100, 100]];
    expect(frameIntervals(outAndBack, { width: 100, height: 50 }, FRAME)).toEqual({ inFrame: [[0, 0.75], [1.25, 2]], fullyInFrame: [[0, 0.5], [1.5, 2]] });
    expect(frameIntervals([[0, -50, 0], [1, -40, 0]], { width: 100, height: 50 }, FRAME).fullyInFrame).toEqual([]);
  });
});

describe('streetBoxAt', () => {
  const turner = object('car-1', TURNER);
  it.each([
    { t: 0.5, box: undefined },
    { t: 2, box: { x: 0, y: 50, width: 100, height: 50 } },
    { t: 4, box: { x: 100, y: 50, width: 100, height: 50 } },
    { t: 6, box: { x: 100, y: 175, width: 100, height: 50 } },
    { t: 7, box: { x: 100, y: 300, width: 100, height: 50 } },
    { t: 7.5, box: undefined },
  ])('at $t s: $box', ({ t, box }) => {
    expect(streetBoxAt(turner, t)).toEqual(box);
  });

  it('is undefined where the path runs outside the frame', () => {
    const late = object('car-2', [[0, -300, 50], [4, 500, 50]]);
    expect(late.inFrame).toEqual([1, 3.5]);
    expect(positionAt(late.path, 0.5)).toEqual({ x: -200, y: 50 });
    expect(streetBoxAt(late, 0.5)).toBeUndefined();
  });
});

describe('expectedLineCounts', () => {
  // normalised: a vertical line down the middle (drawn top to bottom: forward is rightward) and a horizontal one
  // across the middle (drawn left to right: forward is upward), both from 0.2 to 0.8
  const LINES: CountingLine[] = [
    { id: 'down', points: [[0.5, 0.2], [0.5, 0.8]] },
    { id: 'across', points: [[0.2, 0.5], [0.8, 0.5]] },
  ];
  // boxes 40×20: the ground point is (x + 20, y + 20); the vertical line is at x = 200 px, the horizontal at y = 150 px
  const size = { width: 40, height: 20 };
  const cases: { name: string; path: Keyframe[]; label?: ObjectLabel; counts: Record<string, [number, number]> }[] = [
    { name: 'rightward across the vertical line', path: [[0, -40, 80], [4, 400, 80]], counts: { down: [1, 0] } },
    { name: 'leftward across it', path: [[0, 400, 80], [4, -40, 80]], counts: { down: [0, 1] } },
    { name: 'over and back', path: [[0, -40, 80], [2, 300, 80], [4, -40, 80]], counts: { down: [1, 1] } },
    { name: 'up to the line and away: no crossing', path: [[0, -40, 80], [2, 180, 80], [4, -40, 80]], counts: {} },
    { name: 'beyond the end of the line', path: [[0, -40, 250], [4, 400, 250]], counts: {} },
    { name: 'with a keyframe exactly on the line: once', path: [[0, -40, 80], [2, 180, 80], [3, 180, 80], [4, 400, 80]], counts: { down: [1, 0] } },
    { name: 'upward across the horizontal line', label: 'person', path: [[0, 80, 300], [4, 80, -20]], counts: { across: [1, 0] } },
    { name: 'diagonally down-right across both', label: 'bicycle', path: [[0, 40, 40], [4, 300, 240]], counts: { down: [1, 0], across: [0, 1] } },
  ];
  it.each(cases)('$name', ({ path, label = 'car', counts }) => {
    const result = expectedLineCounts(truthOf([object('o-1', path, size, label)]), LINES);
    for (const line of ['down', 'across']) {
      const [forward, backward] = counts[line] ?? [0, 0];
      expect(result[line], line).toEqual({
        forward: { person: 0, bicycle: 0, car: 0, [label]: forward },
        backward: { person: 0, bicycle: 0, car: 0, [label]: backward },
      });
    }
  });

  it('sums over objects and dates each crossing by when the ground point is on the line', () => {
    const truth = truthOf(cases.map((c, i) => object(`o-${i}`, c.path, size, c.label ?? 'car')));
    expect(expectedLineCounts(truth, LINES)).toEqual({
      down: { forward: { person: 0, bicycle: 1, car: 3 }, backward: { person: 0, bicycle: 0, car: 2 } },
      across: { forward: { person: 1, bicycle: 0, car: 0 }, backward: { person: 0, bicycle: 1, car: 0 } },
    });
    const first = expectedCrossings(truthOf([object('o-1', cases[0]!.path, size)]), LINES);
    // the ground point goes from x −20 to 420 in 4 s and is at 200 after 2 s
    expect(first).toEqual([{ line: 'down', direction: 'forward', id: 'o-1', label: 'car', riders: 0, t: 2 }]);
  });

  it('counts the traffic scene too: the person and the car go right, the bicycle left', () => {
    const traffic = groundTruthFor('traffic', 60, { width: 1280, height: 720 });
    expect(pathObjectsOf(traffic).map((o) => o.id)).toEqual(['person-1', 'bicycle-2', 'car-3']);
    expect(expectedLineCounts(traffic, [{ id: 'mid', points: [[0.5, 0], [0.5, 1]] }])).toEqual({
      mid: { forward: { person: 1, bicycle: 0, car: 1 }, backward: { person: 0, bicycle: 1, car: 0 } },
    });
  });
});

describe('expectedStoppers', () => {
  // a zone around x 100–300, y 100–200 px (ground points)
  const ZONE: Zone = { id: 'bay', polygon: [[0.25, 1 / 3], [0.75, 1 / 3], [0.75, 2 / 3], [0.25, 2 / 3]] };
  const size = { width: 40, height: 20 };
  const objects = [
    // in at x 100 (t 1), stands 10 s from t 2, out at x 300 (t 13)
    object('stands-10', [[0, 60, 130], [1, 80, 130], [2, 130, 130], [12, 130, 130], [13, 280, 130], [14, 400, 130]], size),
    object('stands-5', [[0, 60, 130], [1, 80, 130], [2, 130, 130], [7, 130, 130], [8, 280, 130], [9, 400, 130]], size),
    object('passes', [[0, -40, 130], [4, 400, 130]], size),
    object('stands-outside', [[0, -40, 20], [2, 130, 20], [20, 130, 20], [22, 400, 20]], size),
  ];
  const truth = truthOf(objects);

  it.each([
    { seconds: 8, ids: ['stands-10'] },
    { seconds: 4, ids: ['stands-10', 'stands-5'] },
    { seconds: 1, ids: ['stands-10', 'stands-5', 'passes'] },
  ])('≥ $seconds s in the zone: $ids', ({ seconds, ids }) => {
    expect(expectedStoppers(truth, ZONE, seconds).map((d) => d.id).sort()).toEqual(ids.sort());
  });

  it('gives the stay exactly, and how much of it stood still', () => {
    expect(expectedStoppers(truth, ZONE, 8)).toEqual([
      { id: 'stands-10', label: 'car', riders: 0, zone: 'bay', from: 1, to: 13, seconds: 12, stillSeconds: 10 },
    ]);
  });
});
