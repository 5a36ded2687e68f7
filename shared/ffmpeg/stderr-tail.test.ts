import { describe, expect, it } from 'vitest';
import { StderrTail } from './stderr-tail.js';

describe('StderrTail', () => {
  it.each([
    { max: 100, lines: [], all: '', last: '' },
    { max: 100, lines: ['Connection refused'], all: 'Connection refused\n', last: 'Connection refused' },
    { max: 100, lines: ['a', '', '   ', 'b'], all: 'a\nb\n', last: 'b' },
    // bounded: only the newest characters are kept
    { max: 8, lines: ['first line', 'second'], all: '\nsecond\n', last: 'second' },
    { max: 4, lines: ['abcdefgh'], all: 'fgh\n', last: 'fgh' },
  ])('keeps $all of $lines (at most $max chars)', ({ max, lines, all, last }) => {
    const tail = new StderrTail(max);
    for (const l of lines) tail.push(l);
    expect(tail.all).toBe(all);
    expect(tail.lastLine).toBe(last);
  });
});
