import { describe, expect, it } from 'vitest';
import { mergePages } from './merge.js';

const k = (time: number, id: string) => ({ time, id });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id).join(' ');

describe('mergePages', () => {
  it.each([
    ['one page, fewer than the limit', [[k(3, 'C'), k(1, 'A')]], 5, 'desc', 'C A', false],
    ['two cameras interleaved, newest first', [[k(9, 'A9'), k(5, 'A5'), k(1, 'A1')], [k(8, 'B8'), k(6, 'B6')]], 10, 'desc', 'A9 B8 B6 A5 A1', false],
    ['cut at the limit: more exist', [[k(9, 'A9'), k(5, 'A5'), k(1, 'A1')], [k(8, 'B8'), k(6, 'B6')]], 3, 'desc', 'A9 B8 B6', true],
    ['the same time: the larger id first', [[k(5, 'A')], [k(5, 'B')]], 10, 'desc', 'B A', false],
    ['oldest first (follow after)', [[k(1, 'A1'), k(5, 'A5')], [k(2, 'B2')]], 10, 'asc', 'A1 B2 A5', false],
    ['oldest first, same time: the smaller id first', [[k(5, 'B')], [k(5, 'A')]], 1, 'asc', 'A', true],
    ['no pages', [], 10, 'desc', '', false],
  ] as const)('%s', (_name, pages, limit, order, expected, more) => {
    const r = mergePages(pages.map((p) => [...p]), limit, order);
    expect(ids(r.items)).toBe(expected);
    expect(r.more).toBe(more);
  });
});
