// How a tensor's quantization range is chosen from what calibration saw: a histogram per tensor, then either a
// percentile of each tail (the default: 99.99 % keeps the bulk exact and lets a few outliers clip) or the range
// that minimises the expected squared error of uint8 quantization. Raw min/max is the worst choice for a
// network whose activations have long tails: one outlier stretches the step for every other value. Pure.

export const BINS = 2048;

export interface Histogram {
  min: number;
  max: number;
  counts: Float64Array;
}

export function emptyHistogram(min: number, max: number): Histogram {
  return { min, max: max > min ? max : min + 1e-6, counts: new Float64Array(BINS) };
}

/** Adds values to a histogram made with the tensor's overall min and max (values outside go to the end bins). */
export function addValues(h: Histogram, values: Float32Array): void {
  const scale = BINS / (h.max - h.min);
  const { counts, min } = h;
  for (let i = 0; i < values.length; i++) {
    let b = Math.floor((values[i]! - min) * scale);
    if (b < 0) b = 0;
    else if (b >= BINS) b = BINS - 1;
    counts[b]!++;
  }
}

const edge = (h: Histogram, b: number) => h.min + ((h.max - h.min) * b) / BINS;

/** The range holding `percentile` % of the values in each tail (99.99: 0.01 % clip at each end). */
export function percentileRange(h: Histogram, percentile: number): [number, number] {
  const total = h.counts.reduce((a, b) => a + b, 0);
  const cut = (total * (100 - percentile)) / 100;
  let lo = 0;
  for (let acc = 0; lo < BINS; lo++) {
    acc += h.counts[lo]!;
    if (acc > cut) break;
  }
  let hi = BINS - 1;
  for (let acc = 0; hi > 0; hi--) {
    acc += h.counts[hi]!;
    if (acc > cut) break;
  }
  return [edge(h, lo), edge(h, hi + 1)];
}

/** Expected squared error of quantizing the histogram's values to 256 levels over [lo, hi] (lo ≤ 0 ≤ hi). */
export function quantizationError(h: Histogram, lo: number, hi: number): number {
  const step = (hi - lo) / 255;
  let err = 0;
  for (let b = 0; b < BINS; b++) {
    const n = h.counts[b]!;
    if (n === 0) continue;
    const x = (edge(h, b) + edge(h, b + 1)) / 2;
    if (x < lo) err += n * (lo - x) ** 2;
    else if (x > hi) err += n * (x - hi) ** 2;
    else err += (n * step * step) / 12;
  }
  return err;
}

/** The range [α·min, α·max] (α from 1 down to 0.05) with the least expected squared error. */
export function mseRange(h: Histogram): [number, number] {
  const lo0 = Math.min(0, h.min);
  const hi0 = Math.max(0, h.max);
  let best: [number, number] = [lo0, hi0];
  let bestErr = quantizationError(h, lo0, hi0);
  for (let a = 0.99; a >= 0.05; a -= 0.01) {
    const e = quantizationError(h, lo0 * a, hi0 * a);
    if (e < bestErr) {
      bestErr = e;
      best = [lo0 * a, hi0 * a];
    }
  }
  return best;
}

export type RangeMethod = { method: 'percentile'; percentile: number } | { method: 'mse' } | { method: 'minmax' };

/** The range to quantize a tensor over; it always holds 0 (so zero, the padding and ReLU floors, is exact). */
export function chooseRange(h: Histogram, how: RangeMethod): [number, number] {
  const [lo, hi] = how.method === 'percentile' ? percentileRange(h, how.percentile) : how.method === 'mse' ? mseRange(h) : [h.min, h.max];
  return [Math.min(0, lo), Math.max(0, hi)];
}
