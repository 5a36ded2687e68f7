// The fake cameras' ground truth as types: scenes, objects and their boxes, the street scene's paths, lines and
// zones. Types only, imported by scenes.ts, path-truth.ts, street-scene.ts and cutouts.ts, which import each other's
// code one way (scenes.ts on top); each of them re-exports the types it used to define.
import type { Point, Polygon } from '../../edge/geometry.js';

export type SceneName = 'quiet' | 'traffic' | 'jump' | 'street';

export type ObjectLabel = 'person' | 'bicycle' | 'car';

/**
 * One object crossing the picture. Coordinates are main-stream pixels (scale for the sub stream).
 * The object moves at constant speed with its left edge going from `xAtEnter` to `xAtLeave`:
 * - `enterSeconds` … `leaveSeconds`: any part of it is in frame (it is drawn only then);
 * - `fullyInFrom` … `fullyInUntil`: all of it is in frame (best window for a detector to see it).
 */
export interface GroundTruthObject {
  label: ObjectLabel;
  enterSeconds: number;
  leaveSeconds: number;
  fullyInFrom: number;
  fullyInUntil: number;
  direction: 'left-to-right' | 'right-to-left';
  xAtEnter: number;
  xAtLeave: number;
  y: number;
  width: number;
  height: number;
}

export interface GroundTruth {
  scene: SceneName;
  /** seconds of one loop; every time below is a loop offset in [0, loopSeconds) */
  loopSeconds: number;
  /** the frame the boxes are measured in (the main stream) */
  frame: { width: number; height: number };
  objects: GroundTruthObject[];
  /**
   * `jump` scene: at every loop wrap (offset 0) the RTP timestamps of both streams jump forward by
   * `jumpSeconds` (cumulative: after n loops they are n × jumpSeconds ahead of the wall clock).
   */
  timestampJump?: { atLoopOffsetSeconds: 0; jumpSeconds: number } | undefined;
  /** `street` scene: its objects (`objects` above is empty there) and the lines and zones it suggests */
  street?: StreetTruth | undefined;
}

export interface StreetTruth {
  seed: number;
  objects: StreetObject[];
  lines: readonly CountingLine[];
  zones: readonly Zone[];
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `[t, x, y]`: loop offset in seconds, and the box's top-left corner in main-stream pixels. */
export type Keyframe = [t: number, x: number, y: number];

/** A time interval `[from, to]` in loop seconds. */
export type Interval = [from: number, to: number];

export interface PathObject {
  id: string;
  label: ObjectLabel;
  /** 1: a person rides it (one object in the truth, its box spans bicycle and rider) */
  riders: 0 | 1;
  /**
   * Keyframes with strictly increasing times; the box moves in a straight line at constant speed between two,
   * stands still between two with the same position, and is not drawn before the first or after the last.
   */
  path: Keyframe[];
  /** the box's size, constant along the path (main-stream pixels) */
  width: number;
  height: number;
  /** some of it is in frame (exact: the first and last keyframes lie outside the frame) */
  inFrame: Interval;
  /** all of it is in frame; null if never */
  fullyInFrame: Interval | null;
  /** where it stands still */
  stops: Interval[];
}

/** A counting line as edge.yaml has it: normalised ends (0–1 from the top-left). */
export interface CountingLine {
  id: string;
  points: [Point, Point];
}

/** A zone as edge.yaml has it: a normalised polygon. */
export interface Zone {
  id: string;
  polygon: Polygon;
}

/** What an object does in the scene (tests pick by it). */
export type StreetRole = 'lane' | 'walk' | 'turn' | 'cross' | 'stop' | 'overtake';

export interface StreetObject extends PathObject {
  role: StreetRole;
  colour: string;
  /** drawn mirrored: it moves the other way from the photo it is cut from */
  flipped: boolean;
  /** drawing order, lowest first: nearer lanes cover further ones; crossers are drawn over everything */
  layer: number;
  /** a rider's two cut-outs inside the box, as offsets from its top-left, in drawing order (the box spans both) */
  parts?: { label: 'person' | 'bicycle'; dx: number; dy: number; width: number; height: number; colour: string }[];
}
