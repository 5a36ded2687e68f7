import { describe, expect, it } from 'vitest';
import { decideRetrieval, type RecordedSegment } from './policy.js';

const T = Date.UTC(2026, 10, 25, 9, 0, 0);
const seg = (i: number): RecordedSegment => ({ path: `/r/cam-1/${i}.mp4`, startMs: T + i * 10_000, endMs: T + (i + 1) * 10_000, bytes: 1_000_000 });
const segments = [0, 1, 2, 3, 4, 5].map(seg); // T … T+60 s

describe('decideRetrieval', () => {
  const ctx = { ward: 'p01', cameras: ['cam-1', 'cam-2'], segments };
  it.each([
    ['the whole recorded minute', { camera: 'cam-1', from: T, to: T + 60_000 }, { start: T, end: T + 60_000 }],
    ['a range wider than the recording (clamped)', { camera: 'cam-1', from: T - 30_000, to: T + 90_000 }, { start: T, end: T + 60_000 }],
    ['a middle part', { camera: 'cam-1', from: T + 15_000, to: T + 25_000 }, { start: T + 15_000, end: T + 25_000 }],
  ])('cuts %s', (_name, cmd, expected) => {
    const d = decideRetrieval(cmd, ctx);
    expect(d.ok && { start: d.plan.start, end: d.plan.end }).toEqual(expected);
  });

  it.each([
    ['an unknown camera', { camera: 'cam-9', from: T, to: T + 1000 }, {}, /unknown camera: ward p01 has no camera "cam-9" \(cameras: cam-1, cam-2\)/],
    ['a range with no recording', { camera: 'cam-1', from: T + 120_000, to: T + 180_000 }, {}, /no recording of camera cam-1 between 2026-11-25T09:02:00Z and 2026-11-25T09:03:00Z/],
    ['a range over the time limit', { camera: 'cam-1', from: T, to: T + 61 * 60_000 }, { maxRetrieveMs: 60 * 60_000 }, /range too long: 61 minutes, at most 60 minutes/],
    ['a range over the clip size limit', { camera: 'cam-1', from: T, to: T + 60_000 }, { maxClipBytes: 5_000_000 }, /range too long: about 6 MB of recording/],
  ])('refuses %s with the reason', (_name, cmd, extra, reason) => {
    const d = decideRetrieval(cmd, { ...ctx, ...extra });
    expect(d.ok ? 'accepted' : d.reason).toMatch(reason);
  });
});
