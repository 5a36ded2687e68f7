import { describe, expect, it } from 'vitest';
import type { Colour } from '../../shared/contract/index.js';
import { vehicleColour } from './colour.js';

type RGB = readonly [number, number, number];

/** A deterministic ±amount noise (a small LCG), so a failing case fails the same way every time. */
function noise(seed: number, amount: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return Math.round(((s / 2 ** 32) * 2 - 1) * amount);
  };
}

/** An RGB24 crop of width × height whose pixel at (x, y) is `paint(x, y)`, plus noise. */
function crop(width: number, height: number, paint: (x: number, y: number) => RGB, amount = 0, seed = 1): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const jitter = noise(seed, amount);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = paint(x, y);
      for (let k = 0; k < 3; k++) out[(y * width + x) * 3 + k] = Math.min(255, Math.max(0, c[k]! + jitter()));
    }
  }
  return out;
}

const ROAD: RGB = [110, 112, 108];
const WINDOW: RGB = [18, 20, 24];
const TYRE: RGB = [25, 25, 25];
const HIGHLIGHT: RGB = [250, 250, 252];

/**
 * A car seen from the side or behind in a box of 120 × 80 with road showing around it: body of `body`, windows along
 * its upper third, tyres at the bottom corners and a few specular highlights on the body.
 */
const car = (body: RGB) => (x: number, y: number): RGB => {
  const [w, h] = [120, 80];
  if (x < w * 0.08 || x >= w * 0.92 || y < h * 0.1 || y >= h * 0.92) return ROAD;
  if (y < h * 0.4 && x > w * 0.2 && x < w * 0.8) return WINDOW;
  if (y > h * 0.78 && (x < w * 0.3 || x > w * 0.7)) return TYRE;
  if ((x + 3 * y) % 37 === 0) return HIGHLIGHT;
  return body;
};

const SOLID: [Colour, RGB][] = [
  ['white', [240, 240, 238]],
  ['black', [22, 22, 26]],
  ['grey', [95, 97, 100]],
  ['silver', [172, 175, 180]],
  ['red', [190, 22, 30]],
  ['blue', [30, 60, 170]],
  ['yellow', [235, 200, 30]],
  ['green', [30, 130, 60]],
  ['brown', [105, 68, 40]],
  ['orange', [240, 130, 20]],
];

describe('vehicleColour', () => {
  it.each(SOLID)('a solid %s crop', (want, rgb) => {
    expect(vehicleColour(crop(40, 30, () => rgb), 40, 30)).toBe(want);
  });

  it.each(SOLID)('a noisy %s crop (±20 per channel)', (want, rgb) => {
    expect(vehicleColour(crop(64, 48, () => rgb, 20, want.length), 64, 48)).toBe(want);
  });

  it.each(SOLID)('a %s car with black windows, tyres, highlights and grey road around it', (want, rgb) => {
    expect(vehicleColour(crop(120, 80, car(rgb), 8), 120, 80)).toBe(want);
  });

  it.each<[string, (x: number, y: number) => RGB, Colour]>([
    ['a red car with a wide band of road left in its box', (x, y) => (x < 30 || y > 60 ? ROAD : [200, 25, 35]), 'red'],
    ['a black car with a few blue reflections of the sky', (x, y) => (y % 10 === 0 ? [60, 110, 200] : [20, 22, 25]), 'black'],
    ['a white car in the shade of a tree: light and darker patches', (x) => (x % 20 < 8 ? [170, 172, 170] : [235, 235, 235]), 'white'],
    ['a beige car: a pale brown', () => [200, 175, 135], 'brown'],
    ['a dark red (maroon) car', () => [110, 20, 30], 'red'],
  ])('%s', (_name, paint, want) => {
    expect(vehicleColour(crop(100, 70, paint, 6), 100, 70)).toBe(want);
  });

  it('names a crop too small to trim its border from all of it', () => {
    expect(vehicleColour(crop(2, 2, () => [30, 60, 170]), 2, 2)).toBe('blue');
  });

  it('refuses a buffer that is not an RGB24 picture of the size given', () => {
    expect(() => vehicleColour(new Uint8Array(10), 4, 4)).toThrow(RangeError);
  });
});
