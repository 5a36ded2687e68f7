import { describe, expect, it } from 'vitest';
import { planBlur, protectSnapshot } from './privacy.js';
import { noiseJpeg, variance } from '../../testing/hub/forward/test-images.js';

const person = { x: 0.4, y: 0.3, w: 0.1, h: 0.4 };

describe('planBlur', () => {
  it.each([
    ['a car is not blurred', 'car', person, false, { kind: 'none' }],
    ['an operator\'s unblurred share is not blurred', 'person', person, true, { kind: 'none' }],
    // box 128..160 × 54..126 px; margins max(0.35 × box, 0.04 × picture): 0.04 across, 0.14 down
    ['a person is blurred around the box, generously', 'person', person, false, { kind: 'persons', left: 115, top: 28, width: 58, height: 124 }],
    ['a box at the corner is clipped to the picture', 'person', { x: 0, y: 0, w: 0.1, h: 0.2 }, false, { kind: 'persons', left: 0, top: 0, width: 45, height: 49 }],
    ['a person who cannot be located: the whole picture', 'person', null, false, { kind: 'whole' }],
    ['a degenerate box: the whole picture', 'person', { x: 0.5, y: 0.5, w: 0, h: 0.2 }, false, { kind: 'whole' }],
    ['a box outside the picture: the whole picture', 'person', { x: 0.9, y: 0.5, w: 0.3, h: 0.2 }, false, { kind: 'whole' }],
  ] as const)('%s', (_name, label, box, unblurred, expected) => {
    expect(planBlur(label, box, 320, 180, unblurred)).toMatchObject(expected);
  });
});

describe('protectSnapshot', () => {
  it('smooths the region around a person and leaves the rest of the picture alone', async () => {
    const original = await noiseJpeg();
    const out = await protectSnapshot(original, 'person', person, false);
    expect(out.blur).toBe('persons');
    const inBox = { left: 128, top: 54, width: 32, height: 72 };
    const corner = { left: 0, top: 0, width: 60, height: 40 };
    expect(await variance(out.jpeg, inBox)).toBeLessThan((await variance(original, inBox)) / 20);
    expect(await variance(out.jpeg, corner)).toBeGreaterThan((await variance(original, corner)) * 0.7);
  });

  it('blurs everything when the person cannot be located, and nothing for a vehicle or an unblurred share', async () => {
    const original = await noiseJpeg();
    const corner = { left: 0, top: 0, width: 60, height: 40 };
    const whole = await protectSnapshot(original, 'person', null, false);
    expect(whole.blur).toBe('whole');
    expect(await variance(whole.jpeg, corner)).toBeLessThan((await variance(original, corner)) / 20);
    expect((await protectSnapshot(original, 'car', person, false)).jpeg).toBe(original);
    expect((await protectSnapshot(original, 'person', person, true)).jpeg).toBe(original);
  });

  it('throws on a JPEG it cannot read, rather than pass it on unblurred', async () => {
    await expect(protectSnapshot(Buffer.from('not a jpeg'), 'person', person, false)).rejects.toThrow();
  });
});
