import { describe, expect, it } from 'vitest';
import { framePlan } from './frames.js';

/** The times (s) a plan takes from each video, for clips of `seconds`. */
function times(set: 'reference' | 'calibration', seconds: number) {
  return framePlan(set, 'scene.mp4', ['/clips/a.mp4']).map((run) => {
    const n = run.count ?? Math.floor((seconds - run.start) * run.fps);
    return { name: run.name, t: Array.from({ length: n }, (_, i) => run.start + i / run.fps) };
  });
}

describe('framePlan', () => {
  it('the reference takes ≥ 200 scene frames even without the street clips', () => {
    const scene = framePlan('reference', 'scene.mp4', []);
    expect(scene).toHaveLength(1);
    expect(scene[0]!.count).toBeGreaterThanOrEqual(200);
  });
  it('calibration and reference never take the same instant of a video (one frame apart at 30 fps or more)', () => {
    const ref = times('reference', 60);
    const cal = times('calibration', 60);
    for (const r of ref) {
      const c = cal.find((x) => x.name === r.name)!;
      for (const t of c.t) expect(Math.min(...r.t.map((u) => Math.abs(u - t)))).toBeGreaterThanOrEqual(1 / 30 - 1e-9);
    }
  });
});
