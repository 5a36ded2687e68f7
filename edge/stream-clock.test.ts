import { describe, expect, it } from 'vitest';
import { frameIntervalOf, StreamClock } from './stream-clock.js';

const frames = (fps: number, indices: number[], start = 0) => indices.map((i) => start + (i * 1000) / fps);

describe('frameIntervalOf', () => {
  it.each([
    { name: '15 fps, reports every 7–9 frames', times: frames(15, [10, 18, 25, 33, 42, 50, 57]), interval: 1000 / 15 },
    { name: '25 fps from a non-zero start', times: frames(25, [3, 16, 29, 41, 54, 66, 79], 1234.5), interval: 40 },
    { name: '10 fps, one frame each', times: frames(10, [0, 1, 2, 3, 4, 5]), interval: 100 },
    { name: '29.97 fps', times: frames(29.97, [0, 15, 31, 46, 62, 77, 93]), interval: 1000 / 29.97 },
    // every step a multiple of 4 frames at 30 fps: 7.5 fps fits too, and is all that can be told
    { name: 'an ambiguous lattice gives the longer interval', times: frames(30, [0, 16, 32, 48, 64, 80]), interval: 1000 / 7.5 },
    { name: 'too few times', times: frames(15, [0, 8, 16]), interval: undefined },
    { name: 'times on no camera lattice', times: [0, 13, 29, 41, 58, 77, 90], interval: undefined },
  ])('$name', ({ times, interval }) => {
    const got = frameIntervalOf(times);
    if (interval === undefined) expect(got).toBeUndefined();
    else expect(got).toBeCloseTo(interval, 6);
  });
});

/** A camera whose frame n is taken at t0 + n × interval and reaches us `delays[n]` ms later. */
function feed(clock: StreamClock, o: { t0: number; interval: number; delays: number[] }): void {
  o.delays.forEach((delay, n) => clock.observe(o.t0 + n * o.interval + delay, n * o.interval));
}

describe('StreamClock', () => {
  it.each([
    { name: 'steady delay: the fastest arrival minus one frame (the parser holds a frame until the next begins)', delays: [100, 100, 100, 100], interval: 100, known: true, offset: 1_000_000 + 100 - 100 },
    { name: 'jittery delays: the fastest wins', delays: [140, 120, 180, 100, 130], interval: 100, known: true, offset: 1_000_000 },
    {
      name: 'a cached GOP and a probe: the first 20 frames arrive at once, 2 s late at first',
      delays: [...Array.from({ length: 20 }, (_, n) => 2000 - n * 100), 100, 100, 100],
      interval: 100,
      known: true,
      offset: 1_000_000,
    },
    { name: 'interval not known yet: no latency taken off', delays: [100, 100], interval: 100, known: false, offset: 1_000_100 },
  ])('$name', ({ delays, interval, known, offset }) => {
    const clock = new StreamClock(known ? { frameIntervalMs: interval } : {});
    feed(clock, { t0: 1_000_000, interval, delays });
    expect(clock.offsetMs).toBe(offset);
    expect(clock.toWall(500)).toBe(offset + 500);
  });

  it('learns the frame interval from the stream times when nobody says it', () => {
    const clock = new StreamClock();
    feed(clock, { t0: 5000, interval: 1000 / 15, delays: Array.from({ length: 12 }, () => 1000 / 15) });
    expect(clock.frameIntervalMs).toBeCloseTo(1000 / 15, 6);
    expect(clock.offsetMs).toBeCloseTo(5000, 6);
  });

  it('says how late a frame arrived compared with the live ones', () => {
    const clock = new StreamClock({ frameIntervalMs: 100 });
    feed(clock, { t0: 0, interval: 100, delays: [100, 100, 100] });
    expect(clock.lagMs(300 + 100, 300)).toBe(0);
    expect(clock.lagMs(300 + 1600, 300)).toBe(1500);
  });

  it('follows a drifting camera clock: the fastest arrival is looked for over the last window only', () => {
    const clock = new StreamClock({ frameIntervalMs: 100, windowMs: 10_000 });
    // the camera's clock runs 1 % slow: the same delay each frame, its stream times falling behind ours
    for (let n = 0; n < 600; n++) clock.observe(n * 101 + 100, n * 100);
    // at frame 599 the stream is ~0.6 s behind; a whole-run minimum would still say 0
    expect(clock.offsetMs).toBeGreaterThan(450);
    expect(clock.offsetMs).toBeLessThan(600);
  });

  it('has no offset before its first observation', () => {
    const clock = new StreamClock();
    expect(clock.offsetMs).toBeUndefined();
    expect(clock.toWall(0)).toBeUndefined();
    expect(clock.lagMs(1000, 0)).toBe(0);
  });
});
