import { describe, expect, it } from 'vitest';
import type { Frame } from './frame-source.js';
import { CameraPipeline } from './pipeline.js';

const W = 160;
const H = 90;

/** A frame whose picture changes every time (a bright block that moves): motion in every frame after warm-up. */
function movingFrame(seq: number): Frame {
  const data = new Uint8Array(W * H * 3).fill(40);
  const x0 = (seq * 17) % (W - 40);
  for (let y = 20; y < 70; y++) for (let x = x0; x < x0 + 40; x++) data.fill(230, (y * W + x) * 3, (y * W + x) * 3 + 3);
  const t = 1_000_000 + seq * 200; // 5 fps
  return { data, width: W, height: H, camera: 'cam-1', timestampMs: t, arrivedMs: t, seq };
}

function pipeline() {
  const submitted: number[] = [];
  const p = new CameraPipeline({
    camera: { id: 'cam-1', width: W, height: H, labels: ['car'], minScore: 0.5, minFrames: 4, masks: [] },
    mode: 'onnx',
    submit: (f) => submitted.push(f.seq),
    release: () => {},
    onTracks: () => {},
  });
  return { p, submitted };
}

describe('CameraPipeline under the overload plan', () => {
  it('sends every frame with motion while it is not limited', () => {
    const { p, submitted } = pipeline();
    for (let i = 0; i < 60; i++) p.onFrame(movingFrame(i));
    expect(p.wanted).toBeGreaterThan(40);
    expect(submitted.length).toBe(p.wanted);
    expect(p.skipped).toBe(0);
  });

  it('held at 2 of its 5 fps, skips three frames in five by plan and counts them apart from lost ones', () => {
    const { p, submitted } = pipeline();
    for (let i = 0; i < 10; i++) p.onFrame(movingFrame(i)); // warm-up of the background
    const wantedBefore = p.wanted;
    p.setRateLimit(2);
    for (let i = 10; i < 60; i++) p.onFrame(movingFrame(i));
    const wanted = p.wanted - wantedBefore;
    const sent = submitted.filter((s) => s >= 10).length;
    expect(wanted).toBe(50);
    expect(sent).toBeGreaterThanOrEqual(19);
    expect(sent).toBeLessThanOrEqual(21);
    expect(p.skipped).toBe(wanted - sent);
    expect(p.skippedPerMinute(1_000_000 + 60 * 200)).toBe(p.skipped);
    expect(p.lostPerMinute(1_000_000 + 60 * 200)).toBe(0);
    // the frames that go are spread evenly: no two in a row, none more than three apart
    const gaps = submitted.filter((s) => s >= 10).slice(1).map((s, i) => s - submitted.filter((x) => x >= 10)[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(3);
  });
});
