import { describe, expect, it } from 'vitest';
import { chunkSlot, emptyBitmap, hasChunk, withChunk } from './clip-chunks.js';

describe('clip chunks', () => {
  const layout = { bytes: 2500, chunkBytes: 1024, chunks: 3 };

  it.each([
    [0, { offset: 0, length: 1024 }],
    [1, { offset: 1024, length: 1024 }],
    [2, { offset: 2048, length: 452 }], // the last one is short
    [3, { error: 'chunk 3 outside 0…2' }],
    [-1, { error: 'chunk -1 outside 0…2' }],
  ])('chunk %i sits at %o', (n, expected) => {
    expect(chunkSlot(layout, n)).toEqual(expected);
  });

  it('marks chunks in a bitmap without changing the original', () => {
    const empty = emptyBitmap(10);
    expect(empty).toHaveLength(2);
    const marked = withChunk(withChunk(empty, 0), 9);
    expect([0, 1, 8, 9].map((n) => hasChunk(marked, n))).toEqual([true, false, false, true]);
    expect(hasChunk(empty, 0)).toBe(false);
  });
});
