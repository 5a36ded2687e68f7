import { describe, expect, it } from 'vitest';
import type { Detection, DetectionLabel } from './detector.js';
import { Tracker, type Track, type TrackerOptions } from './tracker.js';

const FRAME_MS = 200; // 5 fps, the default detect rate

function det(label: DetectionLabel, x: number, y: number, w: number, h: number, score = 0.8): Detection {
  return { label, score, box: { x, y, w, h } };
}

/** The id of the track that took each detection this frame (a seen track holds the detection's box). */
function idsFor(tracks: Track[], detections: Detection[]): number[] {
  const taken = new Set<Track>();
  return detections.map((d) => {
    const t = tracks.find(
      (t) => !taken.has(t) && t.misses === 0 && t.label === d.label && t.box.x === d.box.x && t.box.y === d.box.y,
    );
    if (t === undefined) throw new Error(`no track took ${JSON.stringify(d)}`);
    taken.add(t);
    return t.id;
  });
}

interface Case {
  name: string;
  options?: TrackerOptions;
  /** detections per frame; frames are FRAME_MS apart */
  frames: Detection[][];
  /** for each frame, the track id each detection got */
  ids: number[][];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const cases: Case[] = [
  {
    name: 'an object moving across frames keeps one id',
    frames: range(10).map((i) => [det('car', 20 + i * 25, 100, 120, 60)]),
    ids: range(10).map(() => [1]),
  },
  {
    name: 'two objects crossing keep their ids',
    // Same label, same row, 40 px wide, walking 10 px a frame towards each other, 5 px apart at
    // frame 10. Right after, each one's last box overlaps the OTHER one's new box more than its
    // own: only following the velocity keeps the ids from swapping.
    frames: range(21).map((i) => [det('person', 50 + i * 10, 100, 40, 100), det('person', 255 - i * 10, 100, 40, 100)]),
    ids: range(21).map(() => [1, 2]),
  },
  {
    name: 'a gap of one frame does not lose the track',
    frames: range(8).map((i) => (i === 4 ? [] : [det('bicycle', 100 + i * 10, 80, 60, 60)])),
    ids: range(8).map((i) => (i === 4 ? [] : [1])),
  },
  {
    name: 'a new object gets a new id',
    frames: range(6).map((i) => (i < 3 ? [det('car', 100, 100, 100, 50)] : [det('car', 100, 100, 100, 50), det('truck', 400, 60, 150, 90)])),
    ids: range(6).map((i) => (i < 3 ? [1] : [1, 2])),
  },
  {
    name: 'another label in the same place is another object',
    frames: [[det('car', 100, 100, 100, 50)], [det('truck', 100, 100, 100, 50)]],
    ids: [[1], [2]],
  },
  {
    name: 'after max age the track is dropped and the object comes back with a new id',
    options: { maxAgeMs: 1000, maxMisses: 100 },
    // Frames 1–5 empty: 1200 ms after the last sighting.
    frames: range(8).map((i) => (i === 0 || i >= 6 ? [det('person', 100, 100, 40, 100)] : [])),
    ids: range(8).map((i) => (i === 0 ? [1] : i >= 6 ? [2] : [])),
  },
  {
    name: 'after max misses the track is dropped',
    options: { maxMisses: 2, maxAgeMs: 60_000 },
    frames: range(6).map((i) => (i === 0 || i === 4 ? [det('person', 100, 100, 40, 100)] : [])),
    ids: range(6).map((i) => (i === 0 ? [1] : i === 4 ? [2] : [])),
  },
];

describe('Tracker', () => {
  it.each(cases)('$name', ({ options, frames, ids }) => {
    const tracker = new Tracker(options);
    frames.forEach((detections, i) => {
      const tracks = tracker.update(detections, 1_000_000 + i * FRAME_MS);
      expect(idsFor(tracks, detections), `frame ${i}`).toEqual(ids[i]);
    });
  });

  it('confirms a track after minHits matched frames', () => {
    const tracker = new Tracker({ minHits: 3 });
    const confirmed = range(4).map((i) => tracker.update([det('car', 100 + i * 5, 100, 100, 50)], i * FRAME_MS)[0]!.confirmed);
    expect(confirmed).toEqual([false, false, true, true]);
  });

  it('keeps the best score and its box', () => {
    const tracker = new Tracker();
    tracker.update([det('person', 100, 100, 40, 100, 0.5)], 0);
    tracker.update([det('person', 105, 100, 40, 100, 0.9)], 200);
    const [track] = tracker.update([det('person', 110, 100, 40, 100, 0.6)], 400);
    expect(track).toMatchObject({ score: 0.6, bestScore: 0.9, bestBox: { x: 105, y: 100, w: 40, h: 100 }, box: { x: 110 } });
  });

  it('flags a track stationary once it has barely moved for the whole window, and not before', () => {
    const tracker = new Tracker({ stationaryMs: 2000, stationaryMaxMove: 0.1 });
    // A car parks: ±2 px of detector jitter on a 100×50 box (limit 7.5 px).
    const flags = range(15).map((i) => tracker.update([det('car', 300 + (i % 2) * 2, 200, 100, 50)], i * FRAME_MS)[0]!.stationary);
    expect(flags.slice(0, 10)).toEqual(range(10).map(() => false));
    expect(flags.slice(10)).toEqual(range(5).map(() => true));
    // It drives off: no longer stationary as soon as it has moved.
    const moving = tracker.update([det('car', 315, 200, 100, 50)], 15 * FRAME_MS)[0]!;
    expect(moving.stationary).toBe(false);
  });

  it('does not leak tracks: dropped ones are gone for good', () => {
    const tracker = new Tracker({ maxMisses: 1 });
    for (let i = 0; i < 100; i++) tracker.update([det('person', (i * 97) % 600, 100, 20, 50)], i * FRAME_MS);
    expect(tracker.size).toBeLessThanOrEqual(2);
  });
});
