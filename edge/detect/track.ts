// What the tracker hands on: one camera's objects over time. Detection ends here; edge/events/ reads tracks.
import type { Box } from '../geometry.js';
import type { DetectionLabel } from './detector.js';

export interface Track {
  /** 1, 2, 3 … per tracker, never reused */
  id: number;
  /** the object's label; a person riding a two-wheeler is part of the two-wheeler's track (see `riders`) */
  label: DetectionLabel;
  /** latest box in detect-frame pixels: the matched detection, or the predicted box while coasting */
  box: Box;
  /** score of the latest matched detection */
  score: number;
  bestScore: number;
  bestBox: Box;
  /** frame time of the best score */
  bestAtMs: number;
  /** matched updates so far */
  hits: number;
  /** consecutive updates without a match (0 = seen in this update) */
  misses: number;
  confirmed: boolean;
  /** has barely moved for a while (a parked or stopped vehicle): keeps its id, moves no line */
  stationary: boolean;
  firstSeenMs: number;
  lastSeenMs: number;
  /** box-centre velocity in detect-frame pixels per second (the motion model's estimate) */
  velocity: { x: number; y: number };
  /** people riding this two-wheeler: person detections merged into it */
  riders: number;
  /** true when the label was inferred (a `person` moving at vehicle speed along the road is a two-wheeler) */
  inferred: boolean;
}

export interface TrackerUpdate {
  /** live tracks after this frame, confirmed or not, seen or coasting */
  tracks: Track[];
  /** tracks that ended at this frame (lost for too long); each appears here exactly once */
  ended: Track[];
}
