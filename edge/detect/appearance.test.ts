import { describe, expect, it } from 'vitest';
import { appearanceOf, blend, similarity } from './appearance.js';

/** A 40×40 frame: the left half red, the right half blue, a grey band across the top. */
function frame() {
  const width = 40;
  const height = 40;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const rgb = y < 8 ? [128, 128, 128] : x < 20 ? [220, 30, 30] : [30, 30, 220];
      data.set(rgb, i);
    }
  }
  return { data, width, height };
}

describe('appearance', () => {
  const f = frame();
  const redBox = appearanceOf(f, { x: 0, y: 8, w: 20, h: 32 })!;
  const redAgain = appearanceOf(f, { x: 2, y: 12, w: 16, h: 26 })!;
  const blueBox = appearanceOf(f, { x: 20, y: 8, w: 20, h: 32 })!;

  it('sums to one, and says the same colours are alike and different ones are not', () => {
    expect(redBox.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(similarity(redBox, redAgain)).toBeCloseTo(1, 5);
    expect(similarity(redBox, blueBox)).toBeCloseTo(0, 5);
  });

  it('looks at the middle of the box, not its edges (the background)', () => {
    // a box over the red half with its top edge in the grey band: its middle is all red
    expect(similarity(appearanceOf(f, { x: 0, y: 2, w: 20, h: 30 })!, redBox)).toBeCloseTo(1, 5);
  });

  it('says nothing for a box too small, or outside the frame', () => {
    expect(appearanceOf(f, { x: 5, y: 5, w: 3, h: 3 })).toBeUndefined();
    expect(appearanceOf(f, { x: 50, y: 50, w: 20, h: 20 })).toBeUndefined();
  });

  it('follows a new look slowly', () => {
    const look = Float32Array.from(redBox);
    blend(look, blueBox);
    expect(similarity(look, redBox)).toBeGreaterThan(similarity(look, blueBox));
  });
});
