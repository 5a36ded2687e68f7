// One camera's path from frame to tracks: motion (masks) → detector (via the shared scheduler) → filter → tracker.
// Detection ends here: what the tracks mean (sightings, counts, alerts) is edge/events/'s business.
import type { Label } from '../../shared/contract/index.js';
import { groundPoint } from '../geometry.js';
import type { Detection } from './detector.js';
import type { Frame } from './frame-source.js';
import { MinuteWindow } from '../../shared/minute-window.js';
import { MotionDetector } from './motion.js';
import { insidePolygon, type Polygon } from '../geometry.js';
import type { TrackerUpdate } from './track.js';
import { appearanceOf } from './appearance.js';
import { FrameGate } from './rate-plan.js';
import { Tracker } from './tracker.js';

/**
 * A track is confirmed after 4 matches at least (a steady one at its third, tracker.ts STEADY): with 3 for every track,
 * wrong first guesses on a dense street got confirmed (tracker.test.ts).
 */
const MIN_HITS = 4;

export interface PipelineCamera {
  id: string;
  width: number;
  height: number;
  labels: readonly Label[];
  minScore: number;
  minFrames: number;
  masks: readonly Polygon[];
}

export interface PipelineOptions {
  camera: PipelineCamera;
  /** 'motion-only' (no model): motion is measured, nothing is detected and no event is made */
  mode: 'onnx' | 'motion-only';
  /** hands a frame to the detector scheduler; the frame is the scheduler's (and then onDetections') from here */
  submit: (frame: Frame) => void;
  /** gives a frame buffer back to its pool */
  release: (frame: Frame) => void;
  /** the tracks after a detected frame (the frame's buffer is valid only during the call), or at the end */
  onTracks: (frame: Frame | undefined, update: TrackerUpdate, nowMs: number) => void;
  /** while tracks are alive, a frame goes to the detector at least this often even without motion (a stopped car) */
  refreshMs?: number;
}

/**
 * Detections the camera looks at: its labels, not standing on a mask. Weak ones (under the camera's minScore) stay:
 * they cannot start a track, but they keep one alive through a partial occlusion.
 */
export function keepDetections(detections: readonly Detection[], cam: Pick<PipelineCamera, 'labels' | 'masks' | 'width' | 'height'>): Detection[] {
  return detections.filter((d) => {
    if (!(cam.labels as readonly string[]).includes(d.label)) return false;
    const [x, y] = groundPoint(d.box, cam.width, cam.height);
    return !cam.masks.some((m) => insidePolygon(m, x, y));
  });
}

export class CameraPipeline {
  readonly motion: MotionDetector;
  private readonly tracker: Tracker;
  private lastSubmitMs = -Infinity;
  /** frames analysed, and frames the detector could not take in time, over the last minute */
  private readonly analysed = new MinuteWindow();
  private readonly lost = new MinuteWindow();
  /** frames the detector answered, and frames skipped by the overload plan, over the last minute */
  private readonly detectedWindow = new MinuteWindow();
  private readonly skippedWindow = new MinuteWindow();
  /** the overload plan's say on which frames go to the detector (rate-plan.ts) */
  private readonly gate = new FrameGate();
  frames = 0;
  motionFrames = 0;
  /** frames that wanted the detector (motion, or a live track to refresh): the camera's demand */
  wanted = 0;
  submitted = 0;
  /** frames not sent to the detector because the overload plan lowered this camera's rate: planned, not lost */
  skipped = 0;
  detected = 0;
  /** frames lost since the start */
  lostTotal = 0;
  private readonly camera: PipelineCamera;
  private readonly mode: PipelineOptions['mode'];
  private readonly submit: (frame: Frame) => void;
  private readonly release: (frame: Frame) => void;
  private readonly onTracks: PipelineOptions['onTracks'];
  private readonly refreshMs: number | undefined;

  constructor({ camera, mode, submit, release, onTracks, refreshMs }: PipelineOptions) {
    this.camera = camera;
    this.mode = mode;
    this.submit = submit;
    this.release = release;
    this.onTracks = onTracks;
    this.refreshMs = refreshMs;
    this.motion = new MotionDetector({ width: camera.width, height: camera.height, masks: camera.masks });
    // the camera's minScore is what a detection needs to start a track
    this.tracker = new Tracker({ highScore: camera.minScore, minHits: Math.max(MIN_HITS, camera.minFrames) });
  }

  onFrame(frame: Frame): void {
    this.frames++;
    this.analysed.add(frame.timestampMs);
    let motion = false;
    try {
      motion = this.motion.update(frame).motion;
    } catch (err) {
      this.release(frame);
      throw err;
    }
    if (motion) this.motionFrames++;
    const refresh = this.tracker.size > 0 && frame.timestampMs - this.lastSubmitMs >= (this.refreshMs ?? 1000);
    if (this.mode === 'onnx' && (motion || refresh)) {
      this.wanted++;
      if (this.gate.take(frame.timestampMs)) {
        this.lastSubmitMs = frame.timestampMs;
        this.submitted++;
        this.submit(frame);
        return;
      }
      this.skipped++;
      this.skippedWindow.add(frame.timestampMs);
    }
    this.release(frame);
  }

  /** The overload plan's rate for this camera, frames/s, or null for every frame that wants the detector. */
  setRateLimit(fps: number | null): void {
    this.gate.setLimit(fps);
  }

  rateLimit(): number | null {
    return this.gate.limit;
  }

  /** The detector's answer for a frame this pipeline submitted. */
  onDetections(frame: Frame, detections: readonly Detection[]): void {
    this.detected++;
    this.detectedWindow.add(frame.timestampMs);
    // the tracker takes each detected frame's own time: the interval it predicts over is the real one, skips included
    // each detection's colours, while the frame is at hand: the tracker tells neighbours apart by them
    const described = keepDetections(detections, this.camera).map((d) => ({ ...d, appearance: appearanceOf(frame, d.box) }));
    const update = this.tracker.update(described, frame.timestampMs);
    this.onTracks(frame, update, frame.timestampMs);
  }

  /** The camera restarted: the picture may have jumped, so the background is rebuilt. */
  reset(): void {
    this.motion.reset();
  }

  /** Ends every track (the box stops). */
  endAll(nowMs: number): void {
    const ended = this.tracker.endAll();
    if (ended.length > 0) this.onTracks(undefined, { tracks: [], ended }, nowMs);
  }

  /** Live tracks (confirmed or not). */
  tracks(): number {
    return this.tracker.size;
  }

  /** A frame submitted earlier was replaced by a newer one before the detector took it. */
  frameLost(nowMs: number): void {
    this.lost.add(nowMs);
    this.lostTotal++;
  }

  /** Frames analysed per second over the last minute. */
  fps(nowMs: number): number {
    return this.analysed.rate(nowMs);
  }

  /** Frames the detector answered per second over the last minute: the camera's effective detect rate. */
  detectedFps(nowMs: number): number {
    return this.detectedWindow.rate(nowMs);
  }

  /** Frames skipped by the overload plan over the last minute. */
  skippedPerMinute(nowMs: number): number {
    return this.skippedWindow.total(nowMs);
  }

  /** Frames lost over the last minute. */
  lostPerMinute(nowMs: number): number {
    return this.lost.total(nowMs);
  }
}
