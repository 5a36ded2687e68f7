import { describe, expect, it } from 'vitest';
import { supersedes, type SightingVersion } from './sighting-merge.js';

const partial = (last: number): SightingVersion => ({ final: false, last });
const final = (last: number): SightingVersion => ({ final: true, last });

describe('supersedes', () => {
  it.each<[string, SightingVersion | undefined, SightingVersion, boolean]>([
    ['a first sighting is stored', undefined, partial(10), true],
    ['a later partial replaces a partial', partial(10), partial(20), true],
    ['an earlier partial does not replace a later one', partial(20), partial(10), false],
    ['the same partial again changes nothing', partial(10), partial(10), false],
    ['a final replaces a partial', partial(20), final(20), true],
    ['a final replaces a partial seen later than it (final wins)', partial(30), final(20), true],
    ['a partial arriving after the final does not overwrite it', final(20), partial(10), false],
    ['a partial with a later last still does not overwrite a final', final(20), partial(30), false],
    ['the same final again changes nothing', final(20), final(20), false],
    ['a final with a later last replaces a final', final(20), final(25), true],
  ])('%s', (_name, stored, incoming, expected) => {
    expect(supersedes(stored, incoming)).toBe(expected);
  });

  it('reaches the same version whatever order partial, partial, final and repeats arrive in', () => {
    const versions = [partial(10), partial(20), final(30)];
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0, 1],
      [2, 0, 2, 1],
    ];
    for (const order of orders) {
      let stored: SightingVersion | undefined;
      for (const i of order) if (supersedes(stored, versions[i]!)) stored = versions[i]!;
      expect(stored).toEqual(final(30));
    }
  });
});
