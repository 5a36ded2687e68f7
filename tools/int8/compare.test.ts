import { describe, expect, it } from 'vitest';
import { compareFrame, verdict, type FrameComparison } from './compare.js';

const det = (label: 'car' | 'person', score: number, x = 100, w = 100) => ({ label, score, box: { x, y: 100, w, h: 50 } });

describe('compareFrame', () => {
  const cases: { name: string; fp32: ReturnType<typeof det>[]; int8: ReturnType<typeof det>[]; expected: FrameComparison }[] = [
    { name: 'the same detection is kept', fp32: [det('car', 0.8)], int8: [det('car', 0.78)], expected: { fp32: 1, int8: 1, kept: 1, added: 0 } },
    { name: 'a score 0.06 off is not kept (and not added either: the box is there)', fp32: [det('car', 0.8)], int8: [det('car', 0.74)], expected: { fp32: 1, int8: 1, kept: 0, added: 0 } },
    { name: 'another label is neither kept nor the same object', fp32: [det('car', 0.8)], int8: [det('person', 0.8)], expected: { fp32: 1, int8: 1, kept: 0, added: 1 } },
    { name: 'a box moved to IoU < 0.7 is lost and added', fp32: [det('car', 0.8)], int8: [det('car', 0.8, 120)], expected: { fp32: 1, int8: 1, kept: 0, added: 1 } },
    { name: 'a box moved a little (IoU 0.82) is kept', fp32: [det('car', 0.8)], int8: [det('car', 0.8, 110)], expected: { fp32: 1, int8: 1, kept: 1, added: 0 } },
    { name: 'just under the threshold in int8 (0.27 for 0.31) is kept', fp32: [det('car', 0.31)], int8: [det('car', 0.27)], expected: { fp32: 1, int8: 0, kept: 1, added: 0 } },
    { name: 'just over it in int8 (0.31 for 0.28) is not added', fp32: [det('car', 0.28)], int8: [det('car', 0.31)], expected: { fp32: 0, int8: 1, kept: 0, added: 0 } },
    { name: 'one int8 box keeps one fp32 box, not two', fp32: [det('car', 0.8), det('car', 0.79, 105)], int8: [det('car', 0.8)], expected: { fp32: 2, int8: 1, kept: 1, added: 0 } },
    { name: 'a new object is added', fp32: [], int8: [det('person', 0.5)], expected: { fp32: 0, int8: 1, kept: 0, added: 1 } },
  ];
  for (const c of cases) it(c.name, () => expect(compareFrame(c.fp32, c.int8)).toEqual(c.expected));
});

describe('verdict', () => {
  const frames = (n: number, f: FrameComparison) => Array.from({ length: n }, () => f);
  it('passes at ≥ 95 % kept and ≤ 3 % added on ≥ 200 frames', () => {
    const v = verdict(frames(200, { fp32: 20, int8: 20, kept: 19, added: 0.5 * 1 }));
    expect(v).toMatchObject({ frames: 200, fp32_detections: 4000, kept: 3800, kept_pct: 95, passed: true, failures: [] });
  });
  it('fails on too few kept, too many added or too few frames, saying which', () => {
    expect(verdict(frames(200, { fp32: 20, int8: 20, kept: 18, added: 0 })).failures).toEqual(['kept 90 % of the fp32 detections, at least 95 % needed']);
    expect(verdict(frames(200, { fp32: 20, int8: 21, kept: 20, added: 1 })).failures).toEqual(['added 5 % (of the fp32 count), at most 3 % allowed']);
    expect(verdict(frames(199, { fp32: 20, int8: 20, kept: 20, added: 0 })).failures).toEqual(['199 reference frames, at least 200 needed']);
    expect(verdict(frames(200, { fp32: 0, int8: 0, kept: 0, added: 0 })).passed).toBe(false);
  });
});
