import { describe, expect, it } from 'vitest';
import type { GroundTruth } from '../test-fixtures/camera/scenes.js';
import type { PathObject } from '../test-fixtures/camera/truth-types.js';
import { heldPassages, passagesIn, type Seen } from './passages.js';

// Two walkers on one pavement, A going right and B going left, meeting in the middle at 15 s.
const walker = (id: string, from: number, to: number): PathObject => ({
  id, label: 'person', riders: 0, path: [[10, from, 100], [20, to, 100]], width: 40, height: 100,
  inFrame: [10, 20], fullyInFrame: [10 + 40 / 72, 10 + 640 / 72], stops: [],
});
const A = walker('A', -40, 680);
const B = walker('B', 680, -40);
const truth = {
  scene: 'street', loopSeconds: 60, frame: { width: 640, height: 360 }, objects: [],
  street: { seed: 1, objects: [A, B], lines: [], zones: [] },
} as unknown as GroundTruth;

/** where an object's box is at t (s), normalised like a sighting's */
const boxOf = (o: PathObject, t: number) => ({ x: (o.path[0]![1] + ((o.path[1]![1] - o.path[0]![1]) * (t - 10)) / 10) / 640, y: 100 / 360, w: 40 / 640, h: 100 / 360 });
const hold = (track: number, t: number, box: Seen['box']) => ({ track, label: 'person', box, bestAt: t * 1000, first: t * 1000, last: t * 1000 });
const at = (from: number, to: number) => Array.from({ length: Math.round((to - from) / 0.2) + 1 }, (_, i) => from + i * 0.2);

describe('heldPassages', () => {
  const passages = passagesIn(truth, 0, 0, 60_000);

  it('holds a passage from the first of two frames a confirmed track is on it, also when the track took it over', () => {
    const holds = [
      // track 1 follows A from 11 s, and goes on with B after they meet
      ...at(11, 14.8).map((t) => hold(1, t, boxOf(A, t))),
      ...at(15.4, 17).map((t) => hold(1, t, boxOf(B, t))),
    ].sort((a, b) => a.bestAt - b.bestAt);
    const first = new Map<string, number>();
    for (const [h, p] of heldPassages(holds, passages, truth)) if (!first.has(p.o.id)) first.set(p.o.id, h.bestAt);
    expect(Object.fromEntries(first)).toEqual({ A: 11_000, B: 15_400 });
  });

  it('does not count a track that is on a passage for one frame only', () => {
    const elsewhere = { x: 0.9, y: 0.9, w: 0.05, h: 0.05 };
    const holds = [hold(2, 12, boxOf(B, 12)), hold(2, 12.2, elsewhere), hold(2, 12.4, boxOf(B, 12.4)), hold(2, 12.6, elsewhere)];
    expect(heldPassages(holds, passages, truth)).toEqual([]);
    // …and counts it from the first frame once it stays
    const stays = [...holds, hold(2, 12.8, boxOf(B, 12.8)), hold(2, 13, boxOf(B, 13))];
    expect(heldPassages(stays, passages, truth).map(([h, p]) => [p.o.id, h.bestAt])).toEqual([['B', 12_800]]);
  });
});
