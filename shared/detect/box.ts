// An axis-aligned box in frame pixels and the overlap of two: what the detector's NMS needs, and the base of the
// box's plane geometry (edge/geometry.ts re-exports them). Pure.

/** An axis-aligned box in frame pixels. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Intersection over union of two boxes; 0 when they do not overlap or either is empty. */
export function iou(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
