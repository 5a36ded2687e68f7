import { describe, expect, it } from 'vitest';
import { unlistedStart } from './reconcile.js';

describe('unlistedStart (a killed recorder\'s last segment, named to the second)', () => {
  it.each([
    { name: 'the run went on: the last row\'s end', nameMs: 10_000, candidates: [10_340, 6_000], want: 10_340 },
    { name: 'the run began with it: the gap\'s end', nameMs: 12_000, candidates: [10_300, 12_450], want: 12_450 },
    { name: 'both fit: the later (a run\'s own last end comes after the gap that began it)', nameMs: 10_000, candidates: [10_300, 10_900], want: 10_900 },
    { name: 'a cached GOP: the first frame up to 2 s before the file was opened', nameMs: 12_000, candidates: [8_000, 10_200], want: 10_200 },
    { name: 'the recorder\'s word', nameMs: 10_000, candidates: [undefined, null, 10_700], want: 10_700 },
    { name: 'nothing fits: the name\'s time', nameMs: 10_000, candidates: [5_000, 11_200, undefined], want: 10_000 },
  ])('$name', ({ nameMs, candidates, want }) => {
    expect(unlistedStart(nameMs, candidates)).toBe(want);
  });
});
