// What a detected object looks like, coarsely: the colours in the middle of its box. In dense traffic two objects
// often overlap for a moment (walkers passing each other, a car overtaking another); when they part, where each
// was heading is not always enough to tell which is which, and a red jacket is. Not identity, and no biometrics:
// a 64-bin colour histogram of a box, kept for a second or two on the box, compared only with its neighbours.
import type { Box } from '../geometry.js';
import type { RgbFrame } from './detector.js';

/** levels per channel: 4 × 4 × 4 = 64 bins, coarse enough that shading and compression noise barely move it */
const LEVELS = 4;
export const APPEARANCE_BINS = LEVELS ** 3;
/** the middle of the box (this share of its width and height): its edges are mostly background */
const CORE = 0.6;
/** every n-th pixel each way: a few hundred samples are plenty for 64 bins */
const MAX_SAMPLES_PER_AXIS = 24;

/** The normalised colour histogram of the middle of `box` (frame pixels); undefined for a box too small to say. */
export function appearanceOf(frame: RgbFrame, box: Box): Float32Array | undefined {
  const x0 = Math.max(0, Math.floor(box.x + (box.w * (1 - CORE)) / 2));
  const y0 = Math.max(0, Math.floor(box.y + (box.h * (1 - CORE)) / 2));
  const x1 = Math.min(frame.width, Math.ceil(box.x + box.w - (box.w * (1 - CORE)) / 2));
  const y1 = Math.min(frame.height, Math.ceil(box.y + box.h - (box.h * (1 - CORE)) / 2));
  if (x1 - x0 < 4 || y1 - y0 < 4) return undefined;
  const stepX = Math.max(1, Math.floor((x1 - x0) / MAX_SAMPLES_PER_AXIS));
  const stepY = Math.max(1, Math.floor((y1 - y0) / MAX_SAMPLES_PER_AXIS));
  const hist = new Float32Array(APPEARANCE_BINS);
  const shift = 8 - Math.log2(LEVELS);
  let n = 0;
  for (let y = y0; y < y1; y += stepY) {
    for (let x = x0; x < x1; x += stepX) {
      const i = (y * frame.width + x) * 3;
      const bin = ((frame.data[i]! >> shift) * LEVELS + (frame.data[i + 1]! >> shift)) * LEVELS + (frame.data[i + 2]! >> shift);
      hist[bin]! += 1;
      n++;
    }
  }
  for (let b = 0; b < APPEARANCE_BINS; b++) hist[b]! /= n;
  return hist;
}

/** How alike two histograms are: the Bhattacharyya coefficient, 1 for the same colours, 0 for none in common. */
export function similarity(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.sqrt(a[i]! * b[i]!);
  return Math.min(1, s);
}

/** A track's look follows its object slowly (lighting, a turn): this much of each new sighting goes in. */
export function blend(into: Float32Array, sample: Float32Array, weight = 0.3): void {
  for (let i = 0; i < into.length; i++) into[i] = into[i]! * (1 - weight) + sample[i]! * weight;
}
