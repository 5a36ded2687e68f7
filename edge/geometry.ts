// The box's plane geometry, one copy for detection, tracking, sightings, counting lines and rules: boxes, IoU,
// polygons, ground points and which way a path crosses a line. Pure.
import type { Box } from '../shared/detect/box.js';

// boxes and IoU are the detector's own (shared/detect/box.ts): one copy
export { iou, type Box } from '../shared/detect/box.js';

/** A box in normalised frame coordinates (0–1 from the top-left), as the contract carries it. */
export type NormBox = Box;

/** A point, normalised (0–1 from the top-left) unless said otherwise. */
export type Point = readonly [number, number];

/** A polygon of normalised points (zones, masks, privacy masks). */
export type Polygon = ReadonlyArray<Point>;

/** Share of `a`'s area that lies inside `b` (1: a is wholly inside b). */
export function overlapOf(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0 || a.w <= 0 || a.h <= 0) return 0;
  return (ix * iy) / (a.w * a.h);
}

/** Even-odd rule; a point on an edge may fall either way. */
export function insidePolygon(polygon: Polygon, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i]!;
    const [xj, yj] = polygon[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function centre(b: Box): { cx: number; cy: number } {
  return { cx: b.x + b.w / 2, cy: b.y + b.h / 2 };
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
const round4 = (v: number) => Math.round(v * 10_000) / 10_000;

export function normaliseBox(b: Box, width: number, height: number): NormBox {
  const x0 = clamp01(b.x / width);
  const y0 = clamp01(b.y / height);
  const x1 = clamp01((b.x + b.w) / width);
  const y1 = clamp01((b.y + b.h) / height);
  return { x: round4(x0), y: round4(y0), w: round4(x1 - x0), h: round4(y1 - y0) };
}

/** The point that says where an object is on the ground: the middle of its box's bottom edge (normalised). */
export function groundPoint(b: Box, width: number, height: number): Point {
  return [clamp01((b.x + b.w / 2) / width), clamp01((b.y + b.h) / height)];
}

/** Which side of the directed line a→b the point p is on, as seen on screen (y down): > 0 on the right-hand side of a walker going from a to b, < 0 on the left, 0 on it. */
export function sideOf(a: Point, b: Point, p: Point): number {
  return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]);
}

/**
 * Whether the step from p0 to p1 crosses the segment a→b, and which way: `forward` from the right-hand side of
 * a→b to its left-hand side (on screen: a line drawn left to right is crossed forward going up the picture; one
 * drawn top to bottom, going right), `backward` the other way, undefined when it does not cross. A step that only
 * touches the line does not cross it.
 */
export function crossing(a: Point, b: Point, p0: Point, p1: Point): 'forward' | 'backward' | undefined {
  const s0 = sideOf(a, b, p0);
  const s1 = sideOf(a, b, p1);
  if (s0 === 0 || s1 === 0 || s0 > 0 === s1 > 0) return undefined;
  // the step's own line must separate a and b too, or the crossing is beyond the segment's ends
  const t0 = sideOf(p0, p1, a);
  const t1 = sideOf(p0, p1, b);
  if (t0 === 0 || t1 === 0 || t0 > 0 === t1 > 0) return undefined;
  return s0 > 0 ? 'forward' : 'backward';
}

/** Ids of the zones whose polygon holds the point. */
export function zonesAt(zones: readonly { id: string; polygon: Polygon }[], point: Point): string[] {
  return zones.filter((z) => insidePolygon(z.polygon, point[0], point[1])).map((z) => z.id);
}
