import { describe, expect, it } from 'vitest';
import { addValues, chooseRange, emptyHistogram, mseRange, percentileRange, quantizationError } from './ranges.js';

/** A million values spread over [-0.25, 4] and one outlier at 100, as a SiLU output with a long tail. */
function tailed() {
  const values = new Float32Array(1_000_001);
  for (let i = 0; i < 1_000_000; i++) values[i] = -0.25 + (4.25 * i) / 1_000_000;
  values[1_000_000] = 100;
  const h = emptyHistogram(-0.25, 100);
  addValues(h, values);
  return h;
}

describe('ranges', () => {
  it('a percentile lets the outlier clip and keeps the bulk', () => {
    const [lo, hi] = percentileRange(tailed(), 99.99);
    expect(lo).toBeCloseTo(-0.25, 1);
    expect(hi).toBeGreaterThan(3.9);
    expect(hi).toBeLessThan(4.2);
  });
  it('min/max keeps the outlier, at a step 24 times coarser and a larger error over all values', () => {
    const h = tailed();
    const [lo, hi] = chooseRange(h, { method: 'minmax' });
    expect(hi - lo).toBeCloseTo(100.25, 1);
    expect(quantizationError(h, ...percentileRange(h, 99.99))).toBeLessThan(quantizationError(h, lo, hi));
  });
  it('the least-error range has no more error than either, and clips the outlier', () => {
    const h = tailed();
    const range = mseRange(h);
    expect(range[1]).toBeLessThan(100);
    expect(quantizationError(h, ...range)).toBeLessThanOrEqual(quantizationError(h, ...percentileRange(h, 99.99)));
    expect(quantizationError(h, ...range)).toBeLessThanOrEqual(quantizationError(h, h.min, h.max));
  });
  it('every range holds 0', () => {
    const h = emptyHistogram(2, 5);
    addValues(h, Float32Array.from([2, 3, 4, 5]));
    expect(chooseRange(h, { method: 'percentile', percentile: 99.99 })[0]).toBe(0);
    expect(chooseRange(h, { method: 'mse' })[0]).toBe(0);
  });
});
