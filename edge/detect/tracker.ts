// Object tracking: IoU association of one camera's detections over time into tracks with stable ids.
import type { Detection, DetectionLabel } from './detector.js';
import { iou, type Box } from '../geometry.js';

export interface TrackerOptions {
  /** minimum IoU between a track's predicted box and a detection to be the same object, default 0.3 */
  iouThreshold?: number;
  /** matched updates before a track is confirmed, default 2 */
  minHits?: number;
  /** consecutive updates without a match before the track is dropped, default 5 */
  maxMisses?: number;
  /** time without a match before the track is dropped, default 3000 ms */
  maxAgeMs?: number;
  /** how long a track must have barely moved to be stationary, default 10 000 ms */
  stationaryMs?: number;
  /** "barely moved": centre within this fraction of the box size (mean of w and h), default 0.1 */
  stationaryMaxMove?: number;
}

export interface Track {
  /** 1, 2, 3 … per tracker, never reused */
  id: number;
  label: DetectionLabel;
  /** latest matched box and score */
  box: Box;
  score: number;
  bestScore: number;
  bestBox: Box;
  /** matched updates so far */
  hits: number;
  /** consecutive updates without a match (0 = seen in this update) */
  misses: number;
  confirmed: boolean;
  stationary: boolean;
  firstSeenMs: number;
  lastSeenMs: number;
}

interface Sample {
  t: number;
  cx: number;
  cy: number;
}

interface TrackState extends Track {
  /** box centre velocity in px/ms, for predicting where the box is at the next frame */
  vx: number;
  vy: number;
  history: Sample[];
}

/** Velocity smoothing: half the new measurement, half the old estimate. */
const VELOCITY_BLEND = 0.5;

/** One per camera. Pure: no clock of its own, the caller passes frame timestamps. */
export class Tracker {
  private readonly iouThreshold: number;
  private readonly minHits: number;
  private readonly maxMisses: number;
  private readonly maxAgeMs: number;
  private readonly stationaryMs: number;
  private readonly stationaryMaxMove: number;
  private tracks: TrackState[] = [];
  private nextId = 1;

  constructor(options: TrackerOptions = {}) {
    this.iouThreshold = options.iouThreshold ?? 0.3;
    this.minHits = options.minHits ?? 2;
    this.maxMisses = options.maxMisses ?? 5;
    this.maxAgeMs = options.maxAgeMs ?? 3000;
    this.stationaryMs = options.stationaryMs ?? 10_000;
    this.stationaryMaxMove = options.stationaryMaxMove ?? 0.1;
  }

  /** Live tracks after this frame's detections, confirmed or not, seen or coasting. */
  update(detections: readonly Detection[], timestampMs: number): Track[] {
    // A track unseen for longer than maxAgeMs is gone even if something now appears where it was.
    this.tracks = this.tracks.filter((t) => timestampMs - t.lastSeenMs <= this.maxAgeMs);
    const matchedTracks = new Set<TrackState>();
    const matchedDetections = new Set<number>();

    // Greedy association, best IoU first: with a handful of objects per camera it gives the
    // same answer as Hungarian in practice, at a fraction of the code.
    const pairs: { track: TrackState; det: number; overlap: number }[] = [];
    for (const track of this.tracks) {
      const predicted = predict(track, timestampMs);
      detections.forEach((d, det) => {
        if (d.label !== track.label) return;
        const overlap = iou(predicted, d.box);
        if (overlap >= this.iouThreshold) pairs.push({ track, det, overlap });
      });
    }
    pairs.sort((a, b) => b.overlap - a.overlap);
    for (const { track, det } of pairs) {
      if (matchedTracks.has(track) || matchedDetections.has(det)) continue;
      matchedTracks.add(track);
      matchedDetections.add(det);
      this.observe(track, detections[det]!, timestampMs);
    }

    for (const track of this.tracks) if (!matchedTracks.has(track)) track.misses++;
    this.tracks = this.tracks.filter((t) => t.misses <= this.maxMisses);

    detections.forEach((d, det) => {
      if (!matchedDetections.has(det)) this.tracks.push(this.start(d, timestampMs));
    });
    return this.tracks.map(snapshot);
  }

  /** Number of live tracks (bounded by maxMisses/maxAgeMs). */
  get size(): number {
    return this.tracks.length;
  }

  private start(d: Detection, t: number): TrackState {
    const box = { ...d.box };
    return {
      id: this.nextId++,
      label: d.label,
      box,
      score: d.score,
      bestScore: d.score,
      bestBox: box,
      hits: 1,
      misses: 0,
      confirmed: this.minHits <= 1,
      stationary: false,
      firstSeenMs: t,
      lastSeenMs: t,
      vx: 0,
      vy: 0,
      history: [{ t, ...centre(box) }],
    };
  }

  private observe(track: TrackState, d: Detection, t: number): void {
    const before = centre(track.box);
    const now = centre(d.box);
    const dt = t - track.lastSeenMs;
    if (dt > 0) {
      const vx = (now.cx - before.cx) / dt;
      const vy = (now.cy - before.cy) / dt;
      const first = track.hits === 1;
      track.vx = first ? vx : VELOCITY_BLEND * vx + (1 - VELOCITY_BLEND) * track.vx;
      track.vy = first ? vy : VELOCITY_BLEND * vy + (1 - VELOCITY_BLEND) * track.vy;
    }
    track.box = { ...d.box };
    track.score = d.score;
    if (d.score > track.bestScore) {
      track.bestScore = d.score;
      track.bestBox = track.box;
    }
    track.hits++;
    track.misses = 0;
    track.lastSeenMs = t;
    if (track.hits >= this.minHits) track.confirmed = true;

    track.history.push({ t, ...now });
    // Keep one sample at or before the window start, so that we know the window is covered.
    while (track.history.length > 1 && track.history[1]!.t <= t - this.stationaryMs) track.history.shift();
    const oldest = track.history[0]!;
    const limit = this.stationaryMaxMove * ((d.box.w + d.box.h) / 2);
    track.stationary =
      t - oldest.t >= this.stationaryMs &&
      track.history.every((s) => Math.hypot(s.cx - now.cx, s.cy - now.cy) <= limit);
  }
}

/** Where the track's box should be at time t, moving at its estimated velocity. */
function predict(track: TrackState, t: number): Box {
  const dt = t - track.lastSeenMs;
  if (dt <= 0) return track.box;
  return { ...track.box, x: track.box.x + track.vx * dt, y: track.box.y + track.vy * dt };
}

function centre(b: Box): { cx: number; cy: number } {
  return { cx: b.x + b.w / 2, cy: b.y + b.h / 2 };
}

function snapshot(t: TrackState): Track {
  return {
    id: t.id,
    label: t.label,
    box: { ...t.box },
    score: t.score,
    bestScore: t.bestScore,
    bestBox: { ...t.bestBox },
    hits: t.hits,
    misses: t.misses,
    confirmed: t.confirmed,
    stationary: t.stationary,
    firstSeenMs: t.firstSeenMs,
    lastSeenMs: t.lastSeenMs,
  };
}
