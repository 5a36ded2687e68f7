// Ground truth of objects that follow piecewise-linear paths (the street scene; the traffic scene's crossings
// fit too): where each is at a loop offset, which counting lines it crosses which way, how long it stays in a
// zone. Pure. Lines, zones and the ground point use the product's own geometry (edge/geometry.ts).
import { crossing, insidePolygon, sideOf, type Point } from '../../edge/geometry.js';
import type { Box, CountingLine, GroundTruth, Interval, Keyframe, ObjectLabel, PathObject, Zone } from './truth-types.js';

export type { CountingLine, Interval, Keyframe, PathObject, Zone } from './truth-types.js';

export interface Frame {
  width: number;
  height: number;
}

export type Direction = 'forward' | 'backward';

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** The box's top-left at `t` on the path, unclipped, or undefined outside the path's time span. */
export function positionAt(path: readonly Keyframe[], t: number): { x: number; y: number } | undefined {
  const first = path[0];
  const last = path.at(-1);
  if (!first || !last || t < first[0] || t > last[0]) return undefined;
  for (let i = 1; i < path.length; i++) {
    const [t1, x1, y1] = path[i]!;
    if (t > t1) continue;
    const [t0, x0, y0] = path[i - 1]!;
    const f = (t - t0) / (t1 - t0);
    return { x: x0 + (x1 - x0) * f, y: y0 + (y1 - y0) * f };
  }
  return { x: first[1], y: first[2] }; // a path of one keyframe
}

/** Where the object's box is at a loop offset (main px, unclipped), or undefined when none of it is in frame. */
export function streetBoxAt(object: PathObject, loopOffsetSeconds: number): Box | undefined {
  const t = loopOffsetSeconds;
  if (t < object.inFrame[0] || t > object.inFrame[1]) return undefined;
  const at = positionAt(object.path, t);
  return at && { x: at.x, y: at.y, width: object.width, height: object.height };
}

/** The times in [0, 1] of a segment where `lo ≤ v0 + (v1 − v0)·f ≤ hi`, or undefined. */
function linearRange(v0: number, v1: number, lo: number, hi: number): Interval | undefined {
  if (v0 === v1) return v0 >= lo && v0 <= hi ? [0, 1] : undefined;
  const fa = (lo - v0) / (v1 - v0);
  const fb = (hi - v0) / (v1 - v0);
  const from = Math.max(0, Math.min(fa, fb));
  const to = Math.min(1, Math.max(fa, fb));
  return from <= to ? [from, to] : undefined;
}

/** Joins intervals that touch or overlap (sorted by start). */
function merge(intervals: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const [a, b] of [...intervals].sort((p, q) => p[0] - q[0])) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1e-9) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * When the box's x and y stay within the given ranges (x of the left edge, y of the top edge), as merged
 * intervals: exact, since both move linearly on each segment.
 */
function whenWithin(path: readonly Keyframe[], xRange: [number, number], yRange: [number, number]): Interval[] {
  const found: Interval[] = [];
  for (let i = 1; i < path.length; i++) {
    const [t0, x0, y0] = path[i - 1]!;
    const [t1, x1, y1] = path[i]!;
    const fx = linearRange(x0, x1, ...xRange);
    const fy = linearRange(y0, y1, ...yRange);
    if (!fx || !fy) continue;
    const from = Math.max(fx[0], fy[0]);
    const to = Math.min(fx[1], fy[1]);
    if (from <= to) found.push([t0 + (t1 - t0) * from, t0 + (t1 - t0) * to]);
  }
  return merge(found).filter(([a, b]) => b > a);
}

/** When some of the box is in frame, and when all of it is (rounded to ms). */
export function frameIntervals(path: readonly Keyframe[], size: { width: number; height: number }, frame: Frame): { inFrame: Interval[]; fullyInFrame: Interval[] } {
  const { width: w, height: h } = size;
  const r = (list: Interval[]): Interval[] => list.map(([a, b]) => [round3(a), round3(b)]);
  return {
    inFrame: r(whenWithin(path, [-w, frame.width], [-h, frame.height])),
    fullyInFrame: r(whenWithin(path, [0, frame.width - w], [0, frame.height - h])),
  };
}

/** Where consecutive keyframes share a position: the object stands still. */
export function stopsOf(path: readonly Keyframe[]): Interval[] {
  const stops: Interval[] = [];
  for (let i = 1; i < path.length; i++) {
    const [t0, x0, y0] = path[i - 1]!;
    const [t1, x1, y1] = path[i]!;
    if (x0 === x1 && y0 === y1) stops.push([t0, t1]);
  }
  return merge(stops);
}

/**
 * Every moving object of a scene's truth as a path object: the street scene's, or the traffic scene's straight
 * crossings (two keyframes each), so that the helpers below serve both.
 */
export function pathObjectsOf(truth: GroundTruth): PathObject[] {
  if (truth.street) return truth.street.objects;
  return truth.objects.map((o, i): PathObject => ({
    id: `${o.label}-${i + 1}`,
    label: o.label,
    riders: 0,
    path: [[o.enterSeconds, o.xAtEnter, o.y], [o.leaveSeconds, o.xAtLeave, o.y]],
    width: o.width,
    height: o.height,
    inFrame: [o.enterSeconds, o.leaveSeconds],
    fullyInFrame: [o.fullyInFrom, o.fullyInUntil],
    stops: [],
  }));
}

/**
 * The object's ground point at each keyframe: the middle of the box's bottom edge, normalised. Not clamped to
 * the frame (a detector's box would be clipped there): lines and zones should lie where objects are whole.
 */
function groundPath(object: PathObject, frame: Frame): { t: number; p: Point }[] {
  return object.path.map(([t, x, y]) => ({ t, p: [(x + object.width / 2) / frame.width, (y + object.height) / frame.height] as const }));
}

export interface LineCrossing {
  line: string;
  direction: Direction;
  id: string;
  label: ObjectLabel;
  riders: 0 | 1;
  /** loop offset at which the ground point is on the line */
  t: number;
}

/**
 * Every crossing of the lines by the objects' ground points in one loop, in time order. `forward` is from the
 * right-hand side of the first→second point to its left-hand side, on screen with y down (edge/geometry.ts
 * `crossing`); a path that only touches a line does not cross it, and a keyframe exactly on a line is skipped
 * (the steps on either side of it are joined).
 */
export function expectedCrossings(truth: GroundTruth, lines: readonly CountingLine[]): LineCrossing[] {
  const out: LineCrossing[] = [];
  for (const object of pathObjectsOf(truth)) {
    const points = groundPath(object, truth.frame);
    for (const line of lines) {
      const [a, b] = line.points;
      let prev: { t: number; p: Point; side: number } | undefined;
      let touchedAt: number | undefined;
      for (const { t, p } of points) {
        const side = sideOf(a, b, p);
        if (side === 0) {
          touchedAt ??= t;
          continue;
        }
        if (prev) {
          const direction = crossing(a, b, prev.p, p);
          if (direction) {
            // sideOf is linear along the step: where it is zero is when the ground point is on the line
            const at = touchedAt ?? prev.t + ((t - prev.t) * prev.side) / (prev.side - side);
            out.push({ line: line.id, direction, id: object.id, label: object.label, riders: object.riders, t: round3(at) });
          }
        }
        prev = { t, p, side };
        touchedAt = undefined;
      }
    }
  }
  return out.sort((p, q) => p.t - q.t || p.line.localeCompare(q.line) || p.id.localeCompare(q.id));
}

export type LineCounts = Record<string, Record<Direction, Record<ObjectLabel, number>>>;

const zeroByLabel = (): Record<ObjectLabel, number> => ({ person: 0, bicycle: 0, car: 0 });

/** Crossings per line × direction × label in one loop (every line and label present, zeros included). */
export function expectedLineCounts(truth: GroundTruth, lines: readonly CountingLine[]): LineCounts {
  const counts: LineCounts = {};
  for (const line of lines) counts[line.id] = { forward: zeroByLabel(), backward: zeroByLabel() };
  for (const c of expectedCrossings(truth, lines)) counts[c.line]![c.direction][c.label] += 1;
  return counts;
}

/** Parameter (0–1 along p0→p1) where the segment p0→p1 meets the segment a→b, if it does. */
function meet(p0: Point, p1: Point, a: Point, b: Point): number | undefined {
  const dx = p1[0] - p0[0];
  const dy = p1[1] - p0[1];
  const ex = b[0] - a[0];
  const ey = b[1] - a[1];
  const denom = dx * ey - dy * ex;
  if (denom === 0) return undefined;
  const f = ((a[0] - p0[0]) * ey - (a[1] - p0[1]) * ex) / denom;
  const g = ((a[0] - p0[0]) * dy - (a[1] - p0[1]) * dx) / denom;
  return f >= 0 && f <= 1 && g >= 0 && g <= 1 ? f : undefined;
}

/** When the object's ground point is inside the zone (exact: each step is cut where it meets the polygon's edges). */
export function zoneIntervals(object: PathObject, zone: Zone, frame: Frame): Interval[] {
  const points = groundPath(object, frame);
  const poly = zone.polygon;
  const inside: Interval[] = [];
  for (let i = 1; i < points.length; i++) {
    const { t: t0, p: p0 } = points[i - 1]!;
    const { t: t1, p: p1 } = points[i]!;
    const cuts = [0, 1];
    for (let k = 0; k < poly.length; k++) {
      const f = meet(p0, p1, poly[k]!, poly[(k + 1) % poly.length]!);
      if (f !== undefined) cuts.push(f);
    }
    cuts.sort((p, q) => p - q);
    for (let k = 1; k < cuts.length; k++) {
      const [fa, fb] = [cuts[k - 1]!, cuts[k]!];
      const mid = (fa + fb) / 2;
      if (insidePolygon(poly, p0[0] + (p1[0] - p0[0]) * mid, p0[1] + (p1[1] - p0[1]) * mid)) {
        inside.push([t0 + (t1 - t0) * fa, t0 + (t1 - t0) * fb]);
      }
    }
  }
  return merge(inside).filter(([a, b]) => b > a).map(([a, b]) => [round3(a), round3(b)]);
}

export interface Dwell {
  id: string;
  label: ObjectLabel;
  riders: 0 | 1;
  zone: string;
  /** the stay: ground point inside the zone without a break */
  from: number;
  to: number;
  seconds: number;
  /** of which it stood still */
  stillSeconds: number;
}

/**
 * The objects whose ground point stays in the zone for ≥ `seconds` at a stretch, one entry per such stay
 * (a dwell alert's ground truth: the product's dwell is time inside the zone, moving or not).
 */
export function expectedStoppers(truth: GroundTruth, zone: Zone, seconds: number): Dwell[] {
  const out: Dwell[] = [];
  for (const object of pathObjectsOf(truth)) {
    for (const [from, to] of zoneIntervals(object, zone, truth.frame)) {
      if (to - from < seconds) continue;
      const still = object.stops.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
      out.push({ id: object.id, label: object.label, riders: object.riders, zone: zone.id, from, to, seconds: round3(to - from), stillSeconds: round3(still) });
    }
  }
  return out.sort((p, q) => p.from - q.from);
}
