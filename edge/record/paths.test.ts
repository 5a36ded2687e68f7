import { describe, expect, it } from 'vitest';
import { resolveListedSegment, segmentPattern, timeFromPath } from './paths.js';

const at = (iso: string) => Date.parse(iso);

describe('segment paths', () => {
  it('reads the start time back from a path', () => {
    expect(timeFromPath('/r/cam-01/2026-11-25/08/34.27.mp4')).toBe(at('2026-11-25T08:34:27Z'));
    expect(timeFromPath('/r/cam-01/2026-11-25/08/notes.txt')).toBeUndefined();
  });

  it.each([
    ['within the hour', '34.27.mp4', '2026-11-25T08:34:37.2Z', 10_000, '/r/c/2026-11-25/08/34.27.mp4', '2026-11-25T08:34:27Z'],
    ['a segment opened before midnight and closed after it', '59.55.mp4', '2026-11-26T00:00:05.1Z', 10_000, '/r/c/2026-11-25/23/59.55.mp4', '2026-11-25T23:59:55Z'],
    ['a segment opened just after the hour turned', '00.01.mp4', '2026-11-25T09:00:11Z', 10_000, '/r/c/2026-11-25/09/00.01.mp4', '2026-11-25T09:00:01Z'],
  ])('resolves a listed base name: %s', (_n, base, closed, duration, expectedPath, expectedStart) => {
    expect(resolveListedSegment('/r', 'c', base, at(closed), duration)).toEqual({ path: expectedPath, startMs: at(expectedStart) });
  });

  it('builds the strftime pattern', () => {
    expect(segmentPattern('/r', 'cam-01')).toBe('/r/cam-01/%Y-%m-%d/%H/%M.%S.mp4');
  });
});
