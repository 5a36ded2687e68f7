// The feeder timeline: wall clock of RTP ticks from keyframe arrivals, per ffmpeg run, bounded.
import { describe, expect, it } from 'vitest';
import { Timeline } from './timeline.js';

const SECOND = 90_000; // ticks

/** Run 1 started at 1000 ms; keyframes every 2 s from 1000 ms, each late by `delays[i]` ms. */
function timelineWith(delays: number[]): Timeline {
  const timeline = new Timeline();
  timeline.startRun(1, 1000);
  delays.forEach((delay, i) => timeline.markKeyframe(i * 2 * SECOND, 1000 + i * 2000 + delay));
  return timeline;
}

describe('Timeline.wallClockOfTicks', () => {
  it.each([
    { what: 'a late keyframe is timed by the media clock through the least delayed one near it', delays: [80, 3, 7], ticks: 0, ms: 1003 },
    { what: 'a keyframe later in the run, likewise', delays: [80, 3, 7], ticks: 4 * SECOND, ms: 5003 },
    { what: 'a frame between marks goes at the media rate from the less delayed mark', delays: [0, 9], ticks: SECOND, ms: 2000 },
    { what: "a run's late first keyframe does not bend the frames after it", delays: [80, 3], ticks: 0.1 * SECOND, ms: 1103 },
    { what: 'past the last keyframe: extrapolated at the media rate', delays: [0, 4], ticks: 3 * SECOND, ms: 4000 },
    { what: 'before the first kept keyframe: likewise', delays: [5], ticks: -SECOND, ms: 5 },
  ])('$what', ({ delays, ticks, ms }) => {
    expect(timelineWith(delays).wallClockOfTicks(ticks, 1)).toBeCloseTo(ms, 6);
  });

  it('knows nothing of a run it has no keyframes of', () => {
    expect(timelineWith([0]).wallClockOfTicks(0, 2)).toBeUndefined();
  });

  it('keeps each ffmpeg run apart: ticks restart at 0 with a run', () => {
    const timeline = timelineWith([0, 0]);
    timeline.startRun(2, 10_000);
    timeline.markKeyframe(0, 10_100);
    expect(timeline.wallClockOfTicks(0, 1)).toBe(1000);
    expect(timeline.wallClockOfTicks(0, 2)).toBe(10_100);
    expect(timeline.runAt(9_999)?.run).toBe(1);
    expect(timeline.runAt(10_000)?.run).toBe(2);
    expect(timeline.runAt(0)?.run).toBe(1); // before anything: the oldest kept
  });

  it('inverts: ticksAtWallClock from the nearest keyframe', () => {
    expect(timelineWith([0, 0, 0]).ticksAtWallClock(3500, 1)).toBe(2.5 * SECOND);
  });

  it('forgets the oldest keyframes beyond its bound, and a run once all of it is gone', () => {
    const timeline = new Timeline(3);
    timeline.startRun(1, 0);
    timeline.markKeyframe(0, 0);
    timeline.markKeyframe(2 * SECOND, 2000);
    timeline.startRun(2, 3000);
    timeline.markKeyframe(0, 3000);
    timeline.markKeyframe(2 * SECOND, 5000);
    expect(timeline.runs.map((r) => [r.run, r.keyframes.length])).toEqual([[1, 1], [2, 2]]);
    timeline.markKeyframe(4 * SECOND, 7000);
    expect(timeline.runs.map((r) => [r.run, r.keyframes.length])).toEqual([[2, 3]]);
  });
});
