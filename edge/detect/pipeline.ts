// One camera's path from frame to event: motion (masks) → detector (via the shared scheduler) → filter → tracker → lifecycle.
import type { Label } from '../../shared/contract/index.js';
import { EventLifecycle, groundPoint, type EventChange, type Zone } from '../events/lifecycle.js';
import type { Detection } from './detector.js';
import type { Frame } from './frame-source.js';
import { MotionDetector } from './motion.js';
import { insidePolygon, type Polygon } from '../geometry.js';
import { Tracker } from './tracker.js';

export interface PipelineCamera {
  id: string;
  width: number;
  height: number;
  labels: readonly Label[];
  minScore: number;
  minFrames: number;
  zones: readonly Zone[];
  masks: readonly Polygon[];
  endAfterMs: number;
}

export interface PipelineOptions {
  camera: PipelineCamera;
  /** 'motion-only' (no model): motion is measured, nothing is detected and no event is made */
  mode: 'onnx' | 'motion-only';
  /** hands a frame to the detector scheduler; the frame is the scheduler's (and then onDetections') from here */
  submit: (frame: Frame) => void;
  /** gives a frame buffer back to its pool */
  release: (frame: Frame) => void;
  onChanges: (changes: EventChange[]) => void;
  newEventId: (nowMs: number) => string;
  /** while tracks are alive, a frame goes to the detector at least this often even without motion (a stopped car) */
  refreshMs?: number;
  updateEveryMs?: number;
}

/** Detections the camera counts: its labels, its minimum score, and not standing on a mask. */
export function keepDetections(detections: readonly Detection[], cam: Pick<PipelineCamera, 'labels' | 'minScore' | 'masks' | 'width' | 'height'>): Detection[] {
  return detections.filter((d) => {
    if (!(cam.labels as readonly string[]).includes(d.label) || d.score < cam.minScore) return false;
    const [x, y] = groundPoint(d.box, cam.width, cam.height);
    return !cam.masks.some((m) => insidePolygon(m, x, y));
  });
}

const WINDOW_S = 60;

export class CameraPipeline {
  readonly motion: MotionDetector;
  private readonly tracker = new Tracker();
  private readonly lifecycle: EventLifecycle;
  private lastSubmitMs = -Infinity;
  /** frames per wall-clock second over the last minute, for the detect fps in camera status */
  private readonly perSecond = new Uint16Array(WINDOW_S);
  private lastSecond = 0;
  frames = 0;
  motionFrames = 0;
  submitted = 0;
  detected = 0;

  constructor(private readonly o: PipelineOptions) {
    const cam = o.camera;
    this.motion = new MotionDetector({ width: cam.width, height: cam.height, masks: cam.masks });
    this.lifecycle = new EventLifecycle(cam.id, {
      labels: cam.labels,
      minScore: cam.minScore,
      minFrames: cam.minFrames,
      zones: cam.zones,
      endAfterMs: cam.endAfterMs,
      updateEveryMs: o.updateEveryMs ?? 2000,
      frameWidth: cam.width,
      frameHeight: cam.height,
    }, o.newEventId);
  }

  onFrame(frame: Frame): void {
    this.frames++;
    this.count(frame.timestampMs);
    let motion = false;
    try {
      motion = this.motion.update(frame).motion;
    } catch (err) {
      this.o.release(frame);
      throw err;
    }
    if (motion) this.motionFrames++;
    const refresh = this.tracker.size > 0 && frame.timestampMs - this.lastSubmitMs >= (this.o.refreshMs ?? 1000);
    if (this.o.mode === 'onnx' && (motion || refresh)) {
      this.lastSubmitMs = frame.timestampMs;
      this.submitted++;
      this.o.submit(frame);
    } else {
      this.o.release(frame);
    }
    this.emit(this.lifecycle.tick(frame.timestampMs));
  }

  /** The detector's answer for a frame this pipeline submitted. */
  onDetections(frame: Frame, detections: readonly Detection[]): void {
    this.detected++;
    const tracks = this.tracker.update(keepDetections(detections, this.o.camera), frame.timestampMs);
    this.emit(this.lifecycle.observe(tracks, frame.timestampMs));
  }

  /** Ends events whose object is gone even when no frame arrives (the camera went offline). */
  tick(nowMs: number): void {
    this.emit(this.lifecycle.tick(nowMs));
  }

  /** The camera restarted: the picture may have jumped, so the background is rebuilt. */
  reset(): void {
    this.motion.reset();
  }

  /** Ends every open event (the box stops). */
  endAll(): void {
    this.emit(this.lifecycle.endAll());
  }

  openEvents(): number {
    return this.lifecycle.openEvents().length;
  }

  /** Frames analysed per second over the last minute. */
  fps(nowMs: number): number {
    this.roll(Math.floor(nowMs / 1000));
    let n = 0;
    for (const c of this.perSecond) n += c;
    return Math.round((n / WINDOW_S) * 10) / 10;
  }

  private count(ms: number): void {
    const s = Math.floor(ms / 1000);
    this.roll(s);
    this.perSecond[s % WINDOW_S]!++;
  }

  private roll(second: number): void {
    if (second <= this.lastSecond) return;
    const steps = Math.min(WINDOW_S, second - this.lastSecond);
    for (let i = 1; i <= steps; i++) this.perSecond[(this.lastSecond + i) % WINDOW_S] = 0;
    this.lastSecond = second;
  }

  private emit(changes: EventChange[]): void {
    if (changes.length > 0) this.o.onChanges(changes);
  }
}
