import { describe, expect, it } from 'vitest';
import { FrameTimes, parseShowinfo, STALE_MS, type ShowinfoLine } from './frame-times.js';

describe('parseShowinfo', () => {
  it.each([
    { line: '[Parsed_showinfo_2 @ 0x8783b40] config in time_base: 1/90000, frame_rate: 10/1', want: { kind: 'config', timeBase: 1 / 90000, frameIntervalMs: 100 } },
    { line: '[Parsed_showinfo_2 @ 0x8783b40] config in time_base: 1/90000, frame_rate: 0/0', want: { kind: 'config', timeBase: 1 / 90000, frameIntervalMs: undefined } },
    { line: '[Parsed_showinfo_2 @ 0x8783b40] config in time_base: 1001/30000, frame_rate: 30000/1001', want: { kind: 'config', timeBase: 1001 / 30000, frameIntervalMs: 1001 / 30 } },
    { line: '[Parsed_showinfo_2 @ 0x8783b40] n:  12 pts: 216000 pts_time:2.4     pos:       -1 fmt:rgb24', want: { kind: 'frame', pts: 216000 } },
    { line: '[Parsed_showinfo_2 @ 0x8783b40] config out time_base: 0/0, frame_rate: 0/0', want: undefined },
    { line: '[Parsed_showinfo_2 @ 0x8783b40] color_range:tv color_space:unknown', want: undefined },
    { line: 'Stream #0:0: Video: h264 (Main), yuv420p(progressive), 640x360, 10 fps, 10 tbr', want: undefined },
    { line: '[rtsp @ 0x44e1ac80] method DESCRIBE failed: 401 Unauthorized', want: undefined },
  ] as { line: string; want: ShowinfoLine | undefined }[])('$line', ({ line, want }) => {
    const got = parseShowinfo(line);
    if (want?.kind === 'config' && got?.kind === 'config') {
      expect(got.timeBase).toBeCloseTo(want.timeBase, 12);
      const interval = want.frameIntervalMs;
      if (interval === undefined) expect(got.frameIntervalMs).toBeUndefined();
      else expect(got.frameIntervalMs).toBeCloseTo(interval, 9);
    } else {
      expect(got).toEqual(want);
    }
  });
});

/** Runs frames (arrival ms, stream ms) through one FrameTimes; returns which were kept (with their times) and dropped. */
function run(frames: [arrived: number, stream: number][], intervalMs = 100): { kept: [number, number][]; dropped: number[] } {
  const times = new FrameTimes<number>(intervalMs);
  const kept: [number, number][] = [];
  const dropped: number[] = [];
  frames.forEach(([arrivedMs, streamMs], i) => {
    const d = times.accept({ item: i, arrivedMs, streamMs });
    for (const k of d.keep) kept.push([k.item, k.takenMs]);
    dropped.push(...d.drop);
  });
  return { kept, dropped };
}

// A camera at 10 fps, read at 5 fps: frames taken at 10 000 + stream time, reaching us 100 ms later (one frame).
const live = (from: number, n: number): [number, number][] => Array.from({ length: n }, (_, i) => [10_100 + from + i * 200, from + i * 200]);

describe('FrameTimes', () => {
  it('stamps live frames with the time they were taken, the first once the second shows the pace', () => {
    const { kept, dropped } = run(live(0, 4));
    expect(dropped).toEqual([]);
    expect(kept).toEqual([
      [0, 10_000],
      [1, 10_200],
      [2, 10_400],
      [3, 10_600],
    ]);
  });

  it('drops the burst a reconnect brings (a cached GOP, a probe) and keeps its last, fresh, frame', () => {
    // 11 frames of the last 2 s arrive at once at 12 100, then the live ones
    const burst: [number, number][] = Array.from({ length: 11 }, (_, i) => [12_100 + i, i * 200]);
    const { kept, dropped } = run([...burst, ...live(2200, 3)]);
    expect(dropped).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(kept.map(([i]) => i)).toEqual([10, 11, 12, 13]);
    // the burst's last frame was taken at 12 000, not when it arrived
    expect(kept[0]).toEqual([10, 12_000]);
  });

  it('drops frames that fall more than STALE_MS behind (a reader catching up after a hiccup)', () => {
    // live up to stream 800, then nothing until 12 600, when the backlog from stream 1000 on comes at once
    const backlog: [number, number][] = Array.from({ length: 8 }, (_, i) => [12_600 + i, 1000 + i * 200]);
    const { kept, dropped } = run([...live(0, 5), ...backlog, ...live(2600, 2)]);
    // lags 1500, 1301, 1102 ms: stale; from stream 1600 on (903 ms) fresh enough, and correctly stamped
    expect(STALE_MS).toBe(1000);
    expect(dropped).toEqual([5, 6, 7]);
    expect(kept.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14]);
    expect(kept.find(([i]) => i === 8)![1]).toBe(11_600);
  });

  it('maps afresh when frames keep coming late at the live pace (the early ones were the odd ones out)', () => {
    // the first frames came 1.5 s "early" (a source that ran ahead of its own timestamps), then it settled
    const early: [number, number][] = live(0, 3).map(([a, s]) => [a - 1500, s]);
    const { kept, dropped } = run([...early, ...live(600, 10)]);
    // five late frames at the live pace, then the new mapping holds
    expect(dropped).toEqual([3, 4, 5, 6]);
    expect(kept.slice(-5).map(([, t]) => t)).toEqual([11_600, 11_800, 12_000, 12_200, 12_400]);
  });
});
