import { describe, expect, it } from 'vitest';
import { clipPlan, concatList } from './clip.js';

const seg = (startS: number, endS: number) => ({ path: `/rec/${startS}.mp4`, startMs: startS * 1000, endMs: endS * 1000 });
const SEGMENTS = [seg(0, 10), seg(10, 20), seg(20, 30), seg(40, 50)];

describe('clipPlan', () => {
  it.each([
    { name: 'inside one segment', from: 12, to: 18, paths: [10], offset: 2, duration: 6 },
    { name: 'across segments', from: 5, to: 25, paths: [0, 10, 20], offset: 5, duration: 20 },
    { name: 'starts before the recording', from: -5, to: 5, paths: [0], offset: 0, duration: 5 },
    { name: 'ends after the recording', from: 45, to: 60, paths: [40], offset: 5, duration: 5 },
    { name: 'across a gap (the gap is not in the clip)', from: 25, to: 45, paths: [20, 40], offset: 5, duration: 20 },
  ])('$name', ({ from, to, paths, offset, duration }) => {
    const plan = clipPlan(SEGMENTS, from * 1000, to * 1000)!;
    expect(plan.segments.map((s) => s.path)).toEqual(paths.map((p) => `/rec/${p}.mp4`));
    expect(plan.offsetSeconds).toBe(offset);
    expect(plan.durationSeconds).toBe(duration);
  });

  it('has nothing to cut where nothing was recorded', () => {
    expect(clipPlan(SEGMENTS, 31_000, 39_000)).toBeUndefined();
    expect(clipPlan([], 0, 10_000)).toBeUndefined();
  });
});

describe('concatList', () => {
  it('quotes paths, escaping a quote the way the concat demuxer reads it, and stops each file but the last at its row\'s end', () => {
    const list = concatList([
      { path: '/a/b.mp4', startMs: 1000, endMs: 4250 },
      { path: "/it's/c.mp4", startMs: 4250, endMs: 9000 },
    ]);
    expect(list).toBe("ffconcat version 1.0\nfile '/a/b.mp4'\noutpoint 3.250\nfile '/it'\\''s/c.mp4'\n");
  });
});
