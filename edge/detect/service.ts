// Detection for the whole box: a frame source and pipeline per camera, one detector worker shared through the
// scheduler, events stored (and queued for the hub) as they start, update and end, then snapshots and clips.
import { monotonicFactory } from 'ulid';
import type { ResolvedCamera } from '../../shared/config/load.js';
import type { Label } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { EventFinisher, type FinisherCamera } from '../events/finisher.js';
import type { EventChange } from '../events/lifecycle.js';
import { EventStore } from '../events/store.js';
import type { RecordStore } from '../record/store.js';
import type { Outbox } from '../uplink/outbox.js';
import { DetectorError, type Detector, type DetectorStats } from './detector.js';
import { FrameSource, type Frame, type FrameSourceState } from './frame-source.js';
import { CameraPipeline } from './pipeline.js';
import { DetectScheduler, type SchedulerStats } from './scheduler.js';
import { createWorkerDetector } from './worker-detector.js';

export type DetectorMode = 'onnx' | 'motion-only' | 'off';

export interface DetectionServiceOptions {
  cameras: readonly ResolvedCamera[];
  db: Db;
  /** only when the box has a hub; events are stored either way */
  outbox?: Outbox | undefined;
  /** the same db's segment index: clips are cut from it and protected in it */
  recordStore: RecordStore;
  tools: FfmpegTools;
  logger: Logger;
  modelPath: string;
  threads: number;
  /** event snapshots and clips: `<clipsDir>/<camera>/<eventId>.jpg|.mp4` */
  clipsDir: string;
  clock?: () => number;
  /** RTSP socket timeout of the frame readers, default 5 s */
  socketTimeoutSeconds?: number;
  /** minimum detector score before the cameras' own minScore applies, default 0.3 */
  detectorMinScore?: number;
}

export interface CameraDetectStatus {
  camera: string;
  state: FrameSourceState | 'disabled';
  /** frames analysed per second over the last minute */
  detectFps: number;
  frames: number;
  motionFrames: number;
  /** frames handed to the detector, and answered */
  submitted: number;
  detected: number;
  openEvents: number;
  restarts: number;
}

export interface DetectionStatus {
  detector: DetectorMode;
  cameras: CameraDetectStatus[];
  scheduler: SchedulerStats | null;
  detectorStats: DetectorStats | null;
  /** events waiting for their snapshot / their clip */
  finishing: { ending: number; clipping: number };
}

const newEventId = monotonicFactory();

export class DetectionService {
  private mode: DetectorMode = 'off';
  private detector: Detector | undefined;
  private scheduler: DetectScheduler<Frame> | undefined;
  private readonly sources = new Map<string, FrameSource>();
  private readonly pipelines = new Map<string, CameraPipeline>();
  /** the frame each camera has waiting in the scheduler: a newer one replaces it, and its buffer goes back */
  private readonly waiting = new Map<string, Frame>();
  private readonly store: EventStore;
  private readonly finisher: EventFinisher;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly o: DetectionServiceOptions) {
    this.clock = o.clock ?? Date.now;
    this.store = new EventStore(o.db, o.outbox?.ward ?? 'local', o.outbox, this.clock);
    const finisherCameras = new Map<string, FinisherCamera>(
      o.cameras.map((c) => [
        c.id,
        {
          recording: c.record.enabled,
          segmentSeconds: c.record.segmentSeconds,
          preRollMs: c.events.preRollSeconds * 1000,
          postRollMs: c.events.postRollSeconds * 1000,
          retainDays: c.events.retainDays,
          privacyMasks: c.privacyMasks,
        },
      ]),
    );
    this.finisher = new EventFinisher({ store: this.store, recordStore: o.recordStore, tools: o.tools, logger: o.logger, clipsDir: o.clipsDir, cameras: finisherCameras, clock: this.clock });
  }

  get events(): EventStore {
    return this.store;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const detecting = this.o.cameras.filter((c) => c.detect.enabled);
    if (detecting.length > 0) await this.startDetector();
    this.finisher.resume(this.store.unfinished());

    for (const cam of detecting) {
      const pipeline = new CameraPipeline({
        camera: {
          id: cam.id,
          width: cam.detect.width,
          height: cam.detect.height,
          labels: cam.detect.labels as Label[],
          minScore: cam.detect.minScore,
          minFrames: cam.detect.minFrames,
          zones: cam.zones,
          masks: cam.masks,
          endAfterMs: cam.events.endAfterSeconds * 1000,
        },
        mode: this.mode === 'onnx' ? 'onnx' : 'motion-only',
        submit: (frame) => this.submit(frame),
        release: (frame) => this.release(frame),
        onChanges: (changes) => this.onChanges(changes),
        newEventId: (now) => newEventId(now),
      });
      const source = new FrameSource({
        camera: cam.id,
        url: cam.streams.sub.authUrl,
        fps: cam.detect.fps,
        width: cam.detect.width,
        height: cam.detect.height,
        tools: this.o.tools,
        logger: this.o.logger,
        clock: this.clock,
        ...(this.o.socketTimeoutSeconds ? { socketTimeoutSeconds: this.o.socketTimeoutSeconds } : {}),
        onFrame: (frame) => {
          try {
            pipeline.onFrame(frame);
          } catch (err) {
            this.o.logger.error({ camera: cam.id, err: (err as Error).message }, 'frame pipeline failed');
          }
        },
        onRestart: () => pipeline.reset(),
        onState: (state, detail) => this.o.logger.info({ camera: cam.id, state, detail }, `detect stream ${cam.id} ${state}`),
      });
      this.pipelines.set(cam.id, pipeline);
      this.sources.set(cam.id, source);
      source.start();
    }
    this.timer = setInterval(() => {
      const now = this.clock();
      for (const p of this.pipelines.values()) p.tick(now);
      void this.finisher.step();
    }, 1000);
  }

  /** Stops the cameras' readers, waits for running detections, ends open events, and closes the worker. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.timer);
    await Promise.all([...this.sources.values()].map((s) => s.stop()));
    await this.scheduler?.close();
    this.waiting.clear();
    for (const p of this.pipelines.values()) p.endAll();
    await this.detector?.close();
    await this.finisher.drain();
    this.sources.clear();
    this.pipelines.clear();
  }

  /** Finish waiting snapshots and clips now (tests; the service does this every second). */
  finishPending(): Promise<void> {
    return this.finisher.step();
  }

  status(): DetectionStatus {
    const now = this.clock();
    return {
      detector: this.mode,
      cameras: this.o.cameras.map((c): CameraDetectStatus => {
        const p = this.pipelines.get(c.id);
        const s = this.sources.get(c.id);
        return {
          camera: c.id,
          state: s?.currentState ?? 'disabled',
          detectFps: p?.fps(now) ?? 0,
          frames: p?.frames ?? 0,
          motionFrames: p?.motionFrames ?? 0,
          submitted: p?.submitted ?? 0,
          detected: p?.detected ?? 0,
          openEvents: p?.openEvents() ?? 0,
          restarts: s?.restarts ?? 0,
        };
      }),
      scheduler: this.scheduler?.stats() ?? null,
      detectorStats: this.detector?.stats() ?? null,
      finishing: this.finisher.backlog,
    };
  }

  /** ffmpeg pids of the frame readers (CPU accounting in benches). */
  pids(): number[] {
    return [...this.sources.values()].map((s) => s.pid()).filter((p): p is number => p !== undefined);
  }

  private async startDetector(): Promise<void> {
    try {
      this.detector = await createWorkerDetector({ modelPath: this.o.modelPath, threads: this.o.threads, minScore: this.o.detectorMinScore ?? 0.3, logger: this.o.logger });
    } catch (err) {
      this.mode = 'motion-only';
      const code = err instanceof DetectorError ? err.code : 'UNKNOWN';
      // An event needs a label the contract knows; motion alone has none, so a box without its model makes
      // no events at all rather than invent one. Said loudly, and shown in status as "motion-only".
      this.o.logger.warn(
        { code, modelPath: this.o.modelPath },
        `object detector unavailable (${(err as Error).message}): running motion-only, NO events will be made until the model is installed (wardwatch provision model)`,
      );
      return;
    }
    this.mode = 'onnx';
    const detector = this.detector;
    this.scheduler = new DetectScheduler<Frame>({
      // two in flight: the worker has the next frame queued the moment it finishes one
      concurrency: 2,
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
      onError: (camera, err) => this.o.logger.warn({ camera, err: (err as Error).message }, 'detection failed'),
    });
    this.o.logger.info({ modelPath: this.o.modelPath, threads: this.o.threads }, 'object detector ready (worker thread)');
  }

  private submit(frame: Frame): void {
    const replaced = this.waiting.get(frame.camera);
    if (replaced !== undefined) this.release(replaced);
    this.waiting.set(frame.camera, frame);
    this.scheduler?.submit(frame.camera, frame);
  }

  private release(frame: Frame): void {
    this.sources.get(frame.camera)?.pool.give(frame.data);
  }

  private onChanges(changes: EventChange[]): void {
    for (const c of changes) {
      try {
        if (c.type === 'start') this.store.start(c.event);
        else if (c.type === 'update') this.store.update(c.event);
        else this.finisher.end(c.event);
        if (c.type !== 'update') this.o.logger.info({ event: c.event.id, camera: c.event.camera, label: c.event.label, type: c.type }, `event ${c.type}`);
      } catch (err) {
        this.o.logger.error({ event: c.event.id, type: c.type, err: (err as Error).message }, 'cannot record the event change');
      }
    }
  }
}
