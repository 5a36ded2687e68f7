import { describe, expect, it } from 'vitest';
import { checkRange, coverageRuns, playbackPlan, type TimedSegment } from './timeline.js';

const seg = (startS: number, endS: number): TimedSegment => ({ path: `/r/${startS}.mp4`, startMs: startS * 1000, endMs: endS * 1000 });

describe('coverageRuns', () => {
  it.each([
    ['nothing', [], []],
    ['back-to-back segments make one run', [seg(0, 4), seg(4, 8), seg(8.2, 12)], [{ fromMs: 0, toMs: 12_000 }]],
    ['a gap of seconds splits runs', [seg(0, 4), seg(10, 14)], [{ fromMs: 0, toMs: 4000 }, { fromMs: 10_000, toMs: 14_000 }]],
    ['order does not matter', [seg(10, 14), seg(0, 4), seg(4, 8)], [{ fromMs: 0, toMs: 8000 }, { fromMs: 10_000, toMs: 14_000 }]],
  ])('%s', (_name, segments, runs) => {
    expect(coverageRuns(segments)).toEqual(runs);
  });
});

describe('playbackPlan', () => {
  const day = [seg(0, 4), seg(4, 8), seg(8, 12), seg(20, 24), seg(24, 28)];
  it.each([
    ['starts in the segment holding the moment, offset into it', 5, 3600, ['/r/4.mp4', '/r/8.mp4'], 4000, 12_000, 1],
    ['a moment in a gap starts at the next recording, offset 0', 15, 3600, ['/r/20.mp4', '/r/24.mp4'], 20_000, 28_000, 0],
    ['stops at the first gap', 0, 3600, ['/r/0.mp4', '/r/4.mp4', '/r/8.mp4'], 0, 12_000, 0],
    ['stops once the limit is reached', 0, 6, ['/r/0.mp4', '/r/4.mp4'], 0, 8000, 0],
  ])('%s', (_name, fromS, maxS, paths, startMs, endMs, offset) => {
    const plan = playbackPlan(day, fromS * 1000, maxS * 1000)!;
    expect(plan.segments.map((s) => s.path)).toEqual(paths);
    expect([plan.startMs, plan.endMs, plan.offsetSeconds]).toEqual([startMs, endMs, offset]);
  });
  it('has nothing after the last recording', () => {
    expect(playbackPlan(day, 30_000, 3_600_000)).toBeUndefined();
  });
  it('skips an overlapping leftover of a recorder restart', () => {
    expect(playbackPlan([seg(0, 4), seg(2, 6), seg(4, 8)], 0, 3_600_000)!.segments.map((s) => s.path)).toEqual(['/r/0.mp4', '/r/4.mp4']);
  });
});

describe('checkRange', () => {
  it.each([
    [0, 1000, undefined],
    [-1, 1000, 'from'],
    [1000, 1000, 'to'],
    [0, 3 * 86_400_000, 'to'],
  ])('%s → %s', (from, to, field) => {
    const problem = checkRange(from, to, 2 * 86_400_000);
    expect(problem?.split(':')[0]).toBe(field);
  });
});
