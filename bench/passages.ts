// The dense street scene's ground-truth passages over a measured window, and how what the box saw is matched to them:
// one piece for bench/street.ts (final sightings: identity switches) and bench/detect.ts (when each passage was first
// held as a confirmed track). Also the scene's true line counts over whole minutes, which both benches count against.
import { iou, type NormBox } from '../edge/geometry.js';
import { expectedCrossings, pathObjectsOf, streetBoxAt, type CountingLine, type PathObject } from '../test-fixtures/camera/path-truth.js';
import type { GroundTruth } from '../test-fixtures/camera/scenes.js';

/** Detector labels by what the ground truth calls the object (COCO flips look-alikes; a rider's bicycle may be a motorcycle). */
const GROUP: Record<string, string> = { person: 'person', bicycle: 'two-wheeler', motorcycle: 'two-wheeler', car: 'car', truck: 'car', bus: 'car' };
export const group = (label: string): string => GROUP[label] ?? label;

/** a passage counts when the object is wholly in the picture this long: two-wheelers cross in ~1.5 s */
export const FULL_VIEW_S = 1;

/**
 * How far a sighting's time may be from the truth's: frames carry the time the camera took them (edge/stream-clock.ts),
 * measured within 50 ms (p90) on bench/street.ts; ±300 ms leaves room. A wider window (it was 0–2 s when frame times
 * were arrival times) lets a sighting fit a neighbour's earlier position: walkers on a pavement were given to each other.
 */
const LAG_MS = [-300, 300] as const;

/** below this IoU at the best time offset, a sighting fits no passage */
const MIN_FIT = 0.3;

/** One object's trip through the picture in one loop of the scene. */
export interface Passage {
  o: PathObject;
  /** wall-clock ms of the loop's start (the farm's `loopStartedAtMs` plus whole loops) */
  base: number;
}

/** What the box saw of one object: a final sighting, or a track as it ended (its best box, normalised). */
export type Seen = { label: string; box: NormBox; bestAt: number; first: number; last: number };

/**
 * The passages of one camera's scene wholly inside [t0, t1) with 5 s to spare each side, in full view for at least
 * FULL_VIEW_S (long enough for the tracker to confirm them: 5 detect frames).
 */
export function passagesIn(truth: GroundTruth, loopStartedAtMs: number, t0: number, t1: number): Passage[] {
  const loopMs = truth.loopSeconds * 1000;
  const out: Passage[] = [];
  for (let k = Math.floor((t0 - loopStartedAtMs) / loopMs) - 1; loopStartedAtMs + k * loopMs < t1; k++) {
    const base = loopStartedAtMs + k * loopMs;
    for (const o of pathObjectsOf(truth)) {
      const full = o.fullyInFrame;
      if (!full || full[1] - full[0] < FULL_VIEW_S || base + o.inFrame[0] * 1000 < t0 + 5000 || base + o.inFrame[1] * 1000 > t1 - 5000) continue;
      out.push({ o, base });
    }
  }
  return out;
}

/** Wall-clock ms when the passage's object is first wholly in the picture. */
export const fullyInAt = (p: Passage): number => p.base + p.o.fullyInFrame![0] * 1000;

/**
 * How well what was seen fits this passage: the IoU of its best box with the object's (0 for another kind or time),
 * and the time offset where it fits best.
 */
export function fitOf(s: Seen, p: Passage, truth: GroundTruth): { fit: number; lagMs: number } {
  const { o, base } = p;
  const none = { fit: 0, lagMs: 0 };
  if (group(s.label) !== group(o.label) && !(o.riders && s.label === 'person')) return none;
  const from = base + o.inFrame[0] * 1000;
  const to = base + o.inFrame[1] * 1000;
  if (s.last < from - 1500 || s.first > to + 1500) return none;
  const { width, height } = truth.frame;
  let fit = 0;
  let bestLag = 0;
  for (let lagMs = LAG_MS[0]; lagMs <= LAG_MS[1]; lagMs += 50) {
    const box = streetBoxAt(o, (s.bestAt - lagMs - base) / 1000);
    const f = box ? iou({ x: box.x / width, y: box.y / height, w: box.width / width, h: box.height / height }, s.box) : 0;
    if (f > fit) [fit, bestLag] = [f, lagMs];
  }
  return { fit, lagMs: bestLag };
}

/**
 * The one passage what was seen belongs to: the one its best box fits best (one to one: in a dense lane, a loose test
 * would let one sighting fit its neighbours too), or undefined when none fits.
 */
export function bestPassage<P extends Passage>(s: Seen, passages: readonly P[], truth: GroundTruth): { passage: P; lagMs: number } | undefined {
  let best: { passage: P; lagMs: number } | undefined;
  let bestFit = MIN_FIT;
  for (const p of passages) {
    const f = fitOf(s, p, truth);
    if (f.fit >= bestFit) [best, bestFit] = [{ passage: p, lagMs: f.lagMs }, f.fit];
  }
  return best;
}

/**
 * A box's confirmed tracks frame by frame (in frame order) against the passages: each frame where a track's box fits a
 * passage best and its next frame fits the same one (so a track brushing past a neighbour for one frame does not count),
 * with that passage. The first such frame of a passage is when the box first held it.
 */
export function heldPassages<H extends Seen & { track: number }, P extends Passage>(holds: readonly H[], passages: readonly P[], truth: GroundTruth): [H, P][] {
  const out: [H, P][] = [];
  const previous = new Map<number, { h: H; p: P | undefined }>();
  for (const h of holds) {
    const p = bestPassage(h, passages, truth)?.passage;
    const before = previous.get(h.track);
    if (before?.p !== undefined && before.p === p) out.push([before.h, p]);
    previous.set(h.track, { h, p });
  }
  return out;
}

/** The scene's true line crossings in the whole minutes [firstMinute, lastMinute): "line direction group" → n. */
export function truthCounts(truth: GroundTruth, loopStartedAtMs: number, lines: readonly CountingLine[], firstMinute: number, lastMinute: number): Map<string, number> {
  const counts = new Map<string, number>();
  const loopMs = truth.loopSeconds * 1000;
  const crossings = expectedCrossings(truth, lines);
  for (let k = Math.floor((firstMinute - loopStartedAtMs) / loopMs) - 1; loopStartedAtMs + k * loopMs < lastMinute; k++) {
    for (const c of crossings) {
      const at = loopStartedAtMs + k * loopMs + c.t * 1000;
      const key = `${c.line} ${c.direction} ${group(c.label)}`;
      if (at >= firstMinute && at < lastMinute) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** The p-th quantile (0–1) of some values, nearest rank below; null when there are none. */
export function quantile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(p * (sorted.length - 1))]!;
}
