import { describe, expect, it } from 'vitest';
import { parseRange, startsView } from './range.js';

describe('parseRange', () => {
  it.each([
    ['no header', undefined, 1000, { kind: 'full' }],
    ['from the start', 'bytes=0-', 1000, { kind: 'partial', start: 0, end: 999 }],
    ['a middle slice', 'bytes=100-199', 1000, { kind: 'partial', start: 100, end: 199 }],
    ['an end past the file, clamped', 'bytes=900-5000', 1000, { kind: 'partial', start: 900, end: 999 }],
    ['the last byte', 'bytes=999-999', 1000, { kind: 'partial', start: 999, end: 999 }],
    ['a suffix', 'bytes=-100', 1000, { kind: 'partial', start: 900, end: 999 }],
    ['a suffix longer than the file', 'bytes=-5000', 1000, { kind: 'partial', start: 0, end: 999 }],
    ['spaces around the parts', ' bytes = 10 - 20 ', 1000, { kind: 'partial', start: 10, end: 20 }],
    ['a start at the end', 'bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['a start past the end', 'bytes=5000-6000', 1000, { kind: 'unsatisfiable' }],
    ['an empty suffix', 'bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['any range of an empty file', 'bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['an absurd start', 'bytes=99999999999999999999-', 1000, { kind: 'unsatisfiable' }],
    ['an end before the start (RFC 9110: 416)', 'bytes=500-100', 1000, { kind: 'unsatisfiable' }],
    ['several ranges (served whole)', 'bytes=0-10,20-30', 1000, { kind: 'full' }],
    ['another unit', 'items=0-10', 1000, { kind: 'full' }],
    ['nothing in it', 'bytes=-', 1000, { kind: 'full' }],
    ['the unit in capitals', 'BYTES=0-9', 1000, { kind: 'partial', start: 0, end: 9 }],
    ['one byte of a one-byte file', 'bytes=0-0', 1, { kind: 'partial', start: 0, end: 0 }],
  ])('%s', (_name, header, size, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });
});

describe('startsView', () => {
  it.each([
    [undefined, true],
    ['bytes=0-', true],
    ['bytes=0-1023', true],
    ['bytes=1024-', false],
    ['bytes=-100', false],
    ['bytes=5000-', false],
    ['bytes=500-100', false],
    ['bytes=-5000', true],
  ])('%s → %s', (header, expected) => {
    expect(startsView(header, 2000)).toBe(expected);
  });
});
