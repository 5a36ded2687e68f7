// Detection for the whole box: a frame source and pipeline per camera, one detector worker shared through the
// scheduler, tracks handed on (to edge/events/, wired in edge/main.ts). Detection ends at tracks.
import type { ResolvedCamera } from '../../shared/config/load.js';
import type { Label } from '../../shared/contract/index.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { DetectorError, type Detector, type DetectorStats } from './detector.js';
import { FrameSource, type Frame, type FrameSourceState } from './frame-source.js';
import { CameraPipeline } from './pipeline.js';
import { DetectScheduler, type SchedulerStats } from './scheduler.js';
import type { TrackerUpdate } from './track.js';
import { FAINT_SCORE } from './tracker.js';
import { createDetectorPool, defaultArrangement, type DetectorArrangement } from './detector-pool.js';
import { OverloadPlanner } from './rate-plan.js';

export type DetectorMode = 'onnx' | 'motion-only' | 'off';

export interface DetectionServiceOptions {
  cameras: readonly ResolvedCamera[];
  tools: FfmpegTools;
  logger: Logger;
  modelPath: string;
  /** cores for the detector: one 1-thread onnxruntime session per core, each in its own worker (detector-pool.ts) */
  threads: number;
  /** a camera's tracks after each detected frame (its buffer is valid only during the call), and at the end */
  onTracks?: (camera: string, frame: Frame | undefined, update: TrackerUpdate, nowMs: number) => void;
  clock?: () => number;
  /** RTSP socket timeout of the frame readers, default 5 s */
  socketTimeoutSeconds?: number;
  /**
   * minimum detector score before the cameras' own minScore applies, default the tracker's faint score (0.1): boxes that
   * weak only keep a still object's track where it stands (tracker.ts)
   */
  detectorMinScore?: number;
}

export interface CameraDetectStatus {
  camera: string;
  state: FrameSourceState | 'disabled';
  /** frames analysed per second over the last minute */
  detectFps: number;
  /** frames the detector answered per second over the last minute: the camera's effective detect rate */
  detectedFps: number;
  /** the overload plan's current rate for the camera, frames/s; null: not limited */
  limitFps: number | null;
  /** frames that wanted the detector but were skipped by the overload plan (planned, not lost) */
  skipped: number;
  /** …of them over the last minute */
  skippedPerMin: number;
  frames: number;
  motionFrames: number;
  /** frames handed to the detector, and answered */
  submitted: number;
  detected: number;
  /** frames the detector could not take in time (a newer frame of the camera replaced them) */
  dropped: number;
  /** …of them over the last minute */
  lostPerMin: number;
  /** live tracks */
  tracks: number;
  restarts: number;
}

export interface DetectionStatus {
  detector: DetectorMode;
  cameras: CameraDetectStatus[];
  scheduler: SchedulerStats | null;
  detectorStats: DetectorStats | null;
  /** inferences/s the detector gives now, as the overload plan estimates it; null before it knows */
  capacityPerS: number | null;
}

const PLAN_EVERY_MS = 1000;

export class DetectionService {
  private mode: DetectorMode = 'off';
  private detector: Detector | undefined;
  private scheduler: DetectScheduler<Frame> | undefined;
  private readonly sources = new Map<string, FrameSource>();
  private readonly pipelines = new Map<string, CameraPipeline>();
  /** the frame each camera has waiting in the scheduler: a newer one replaces it, and its buffer goes back */
  private readonly waiting = new Map<string, Frame>();
  private readonly clock: () => number;
  private started = false;
  private readonly arrangement: DetectorArrangement;
  private planner: OverloadPlanner | undefined;
  private planTimer: NodeJS.Timeout | undefined;
  private capacityPerS = Infinity;

  private readonly cameras: readonly ResolvedCamera[];
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly modelPath: string;
  private readonly onTracks: DetectionServiceOptions['onTracks'];
  private readonly socketTimeoutSeconds: number | undefined;
  private readonly detectorMinScore: number | undefined;

  constructor({ cameras, tools, logger, modelPath, threads, onTracks, clock, socketTimeoutSeconds, detectorMinScore }: DetectionServiceOptions) {
    this.cameras = cameras;
    this.tools = tools;
    this.logger = logger;
    this.modelPath = modelPath;
    this.onTracks = onTracks;
    this.socketTimeoutSeconds = socketTimeoutSeconds;
    this.detectorMinScore = detectorMinScore;
    this.clock = clock ?? Date.now;
    this.arrangement = defaultArrangement(threads);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const detecting = this.cameras.filter((c) => c.detect.enabled);
    if (detecting.length > 0) await this.startDetector();

    for (const cam of detecting) {
      const pipeline = new CameraPipeline({
        camera: {
          id: cam.id,
          width: cam.detect.width,
          height: cam.detect.height,
          labels: cam.detect.labels as Label[],
          minScore: cam.detect.minScore,
          minFrames: cam.detect.minFrames,
          masks: cam.masks,
        },
        mode: this.mode === 'onnx' ? 'onnx' : 'motion-only',
        submit: (frame) => this.submit(frame),
        release: (frame) => this.release(frame),
        onTracks: (frame, update, now) => this.onTracks?.(cam.id, frame, update, now),
      });
      const source = new FrameSource({
        camera: cam.id,
        url: cam.streams.sub.authUrl,
        fps: cam.detect.fps,
        width: cam.detect.width,
        height: cam.detect.height,
        tools: this.tools,
        logger: this.logger,
        clock: this.clock,
        ...(this.socketTimeoutSeconds ? { socketTimeoutSeconds: this.socketTimeoutSeconds } : {}),
        onFrame: (frame) => {
          try {
            pipeline.onFrame(frame);
          } catch (err) {
            this.logger.error({ camera: cam.id, err: (err as Error).message }, 'frame pipeline failed');
          }
        },
        onRestart: () => pipeline.reset(),
        onState: (state, detail) => this.logger.info({ camera: cam.id, state, detail }, `detect stream ${cam.id} ${state}`),
      });
      this.pipelines.set(cam.id, pipeline);
      this.sources.set(cam.id, source);
      source.start();
    }
    if (this.mode === 'onnx') {
      this.planner = new OverloadPlanner(this.arrangement.sessions);
      this.planTimer = setInterval(() => this.replan(), PLAN_EVERY_MS);
      this.planTimer.unref();
    }
  }

  /** The overload plan, once a second: each camera's demand and the detector's capacity → each camera's rate. */
  private replan(): void {
    const stats = this.detector?.stats();
    if (this.planner === undefined || stats === undefined) return;
    const plan = this.planner.tick({
      nowMs: this.clock(),
      inferences: stats.inferences,
      busyMs: stats.preprocessMs + stats.runMs + stats.decodeMs,
      wanted: [...this.pipelines].map(([camera, p]) => ({ camera, count: p.wanted })),
      lost: [...this.pipelines.values()].reduce((n, p) => n + p.lostTotal, 0),
    });
    this.capacityPerS = plan.capacityPerS;
    for (const [camera, limit] of plan.limits) this.pipelines.get(camera)?.setRateLimit(limit);
  }

  /** Stops the cameras' readers, waits for running detections, ends every track, and closes the worker. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.planTimer);
    await Promise.all([...this.sources.values()].map((s) => s.stop()));
    await this.scheduler?.close();
    this.waiting.clear();
    for (const p of this.pipelines.values()) p.endAll(this.clock());
    await this.detector?.close();
    this.sources.clear();
    this.pipelines.clear();
  }

  /** Whether a camera's frames are arriving now (its reader is running). */
  watching(camera: string): boolean {
    return this.sources.get(camera)?.currentState === 'running';
  }

  status(): DetectionStatus {
    const now = this.clock();
    const scheduler = this.scheduler?.stats() ?? null;
    return {
      detector: this.mode,
      cameras: this.cameras.map((c): CameraDetectStatus => {
        const p = this.pipelines.get(c.id);
        const s = this.sources.get(c.id);
        return {
          camera: c.id,
          state: s?.currentState ?? 'disabled',
          detectFps: p?.fps(now) ?? 0,
          detectedFps: p?.detectedFps(now) ?? 0,
          limitFps: p?.rateLimit() ?? null,
          skipped: p?.skipped ?? 0,
          skippedPerMin: p?.skippedPerMinute(now) ?? 0,
          frames: p?.frames ?? 0,
          motionFrames: p?.motionFrames ?? 0,
          submitted: p?.submitted ?? 0,
          detected: p?.detected ?? 0,
          dropped: scheduler?.perCamera[c.id]?.dropped ?? 0,
          tracks: p?.tracks() ?? 0,
          lostPerMin: p?.lostPerMinute(now) ?? 0,
          restarts: s?.restarts ?? 0,
        };
      }),
      scheduler,
      detectorStats: this.detector?.stats() ?? null,
      capacityPerS: Number.isFinite(this.capacityPerS) ? Math.round(this.capacityPerS * 10) / 10 : null,
    };
  }

  /** ffmpeg pids of the frame readers (CPU accounting in benches). */
  pids(): number[] {
    return [...this.sources.values()].map((s) => s.pid()).filter((p): p is number => p !== undefined);
  }

  private async startDetector(): Promise<void> {
    try {
      this.detector = await createDetectorPool({ modelPath: this.modelPath, ...this.arrangement, minScore: this.detectorMinScore ?? FAINT_SCORE, logger: this.logger });
    } catch (err) {
      this.mode = 'motion-only';
      const code = err instanceof DetectorError ? err.code : 'UNKNOWN';
      // An event needs a label the contract knows; motion alone has none, so a box without its model makes
      // no events at all rather than invent one. Said loudly, and shown in status as "motion-only".
      this.logger.warn(
        { code, modelPath: this.modelPath },
        `object detector unavailable (${(err as Error).message}): running motion-only, NO events will be made until the model is installed (wardwatch provision model)`,
      );
      return;
    }
    this.mode = 'onnx';
    const detector = this.detector;
    this.scheduler = new DetectScheduler<Frame>({
      // two in flight per session: a worker has its next frame in hand the moment it finishes one
      concurrency: 2 * this.arrangement.sessions,
      detect: (frame) => {
        if (this.waiting.get(frame.camera) === frame) this.waiting.delete(frame.camera);
        return detector.detect(frame);
      },
      onResult: (camera, frame, detections) => {
        try {
          this.pipelines.get(camera)?.onDetections(frame, detections);
        } finally {
          this.release(frame);
        }
      },
      onError: (camera, err) => this.logger.warn({ camera, err: (err as Error).message }, 'detection failed'),
    });
    this.logger.info({ modelPath: this.modelPath, ...this.arrangement }, 'object detector ready (worker threads)');
  }

  private submit(frame: Frame): void {
    const replaced = this.waiting.get(frame.camera);
    if (replaced !== undefined) {
      this.release(replaced);
      this.pipelines.get(frame.camera)?.frameLost(frame.timestampMs);
    }
    this.waiting.set(frame.camera, frame);
    this.scheduler?.submit(frame.camera, frame);
  }

  private release(frame: Frame): void {
    this.sources.get(frame.camera)?.pool.give(frame.data);
  }
}
