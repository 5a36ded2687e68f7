import { describe, expect, it } from 'vitest';
import { crossing, groundPoint, insidePolygon, iou, normaliseBox, overlapOf, type Point } from './geometry.js';

describe('crossing', () => {
  const across: [Point, Point] = [[0, 0.5], [1, 0.5]]; // drawn left to right
  const down: [Point, Point] = [[0.5, 0], [0.5, 1]]; // drawn top to bottom
  it.each<[string, [Point, Point], Point, Point, 'forward' | 'backward' | undefined]>([
    ['up across a left-to-right line: forward', across, [0.3, 0.7], [0.3, 0.3], 'forward'],
    ['down across it: backward', across, [0.3, 0.3], [0.3, 0.7], 'backward'],
    ['right across a top-to-bottom line: forward', down, [0.2, 0.5], [0.8, 0.5], 'forward'],
    ['left across it: backward', down, [0.8, 0.5], [0.2, 0.5], 'backward'],
    ['alongside, no crossing', across, [0.1, 0.7], [0.9, 0.7], undefined],
    ['beyond the segment end', [[0, 0.5], [0.4, 0.5]], [0.8, 0.7], [0.8, 0.3], undefined],
    ['ending on the line is not a crossing yet', across, [0.3, 0.7], [0.3, 0.5], undefined],
    ['starting on the line is not a crossing', across, [0.3, 0.5], [0.3, 0.3], undefined],
  ])('%s', (_name, [a, b], p0, p1, want) => {
    expect(crossing(a, b, p0, p1)).toBe(want);
  });
});

describe('boxes and polygons', () => {
  it('iou and overlapOf', () => {
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 0, w: 10, h: 10 })).toBeCloseTo(50 / 150);
    expect(iou({ x: 0, y: 0, w: 10, h: 10 }, { x: 20, y: 0, w: 10, h: 10 })).toBe(0);
    expect(overlapOf({ x: 2, y: 2, w: 4, h: 4 }, { x: 0, y: 0, w: 10, h: 10 })).toBe(1);
    expect(overlapOf({ x: 5, y: 0, w: 10, h: 10 }, { x: 0, y: 0, w: 10, h: 10 })).toBe(0.5);
  });
  it('insidePolygon, groundPoint, normaliseBox', () => {
    const square: Point[] = [[0, 0], [1, 0], [1, 1], [0, 1]];
    expect(insidePolygon(square, 0.5, 0.5)).toBe(true);
    expect(insidePolygon(square, 1.5, 0.5)).toBe(false);
    expect(groundPoint({ x: 100, y: 100, w: 40, h: 80 }, 640, 360)).toEqual([120 / 640, 180 / 360]);
    expect(normaliseBox({ x: -10, y: 0, w: 20, h: 360 }, 640, 360)).toEqual({ x: 0, y: 0, w: 0.0156, h: 1 });
  });
});
