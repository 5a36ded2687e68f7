// Finishing ended events: the snapshot once the segment of the best moment is recorded (then the end message),
// the clip once the post-roll is recorded (then its upload). The clip's segments are protected from the disk guard
// only while the clip waits to be cut: the clip is a file of its own. Resumes after a restart from the db.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../shared/atomic.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { describeClip } from '../uplink/outbox.js';
import type { Polygon } from '../detect/motion.js';
import type { RecordStore } from '../record/store.js';
import { clipPlan, cutClip } from './clip.js';
import type { EventState } from './event-state.js';
import { takeSnapshot } from './snapshot.js';
import { rowToState, type EventRow, type EventStore } from './store.js';

export interface FinisherCamera {
  recording: boolean;
  segmentSeconds: number;
  preRollMs: number;
  postRollMs: number;
  privacyMasks: readonly Polygon[];
}

export interface FinisherOptions {
  store: EventStore;
  recordStore: RecordStore;
  tools: FfmpegTools;
  logger: Logger;
  /** event snapshots and clips go under `<clipsDir>/<camera>/` */
  clipsDir: string;
  cameras: ReadonlyMap<string, FinisherCamera>;
  clock: () => number;
}

/** A pending clip's protection lapses after this even if the box never gets to cut it. */
const PENDING_CLIP_MS = 86_400_000;

/** How long to wait for a segment to be closed and indexed before doing without it. */
const segmentWaitMs = (cam: FinisherCamera) => cam.segmentSeconds * 3000 + 5000;
/** half the frame interval of a 15 fps main stream (most cameras send 15–30 fps) */
const NEAREST_FRAME_MS = 33;

export class EventFinisher {
  private readonly ending = new Map<string, EventState>();
  private readonly clipping = new Map<string, EventState>();
  private running: Promise<void> | undefined;

  private readonly store: EventStore;
  private readonly recordStore: RecordStore;
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly clipsDir: string;
  private readonly cameras: ReadonlyMap<string, FinisherCamera>;
  private readonly clock: () => number;

  constructor({ store, recordStore, tools, logger, clipsDir, cameras, clock }: FinisherOptions) {
    this.store = store;
    this.recordStore = recordStore;
    this.tools = tools;
    this.logger = logger;
    this.clipsDir = clipsDir;
    this.cameras = cameras;
    this.clock = clock;
    if (recordStore.db !== store.db) throw new Error('events and recordings must share the edge db (one transaction protects a clip and queues it)');
  }

  /** Events waiting for their snapshot, and ended ones waiting for their clip. */
  get backlog(): { ending: number; clipping: number } {
    return { ending: this.ending.size, clipping: this.clipping.size };
  }

  /** The rules decided this event has ended. */
  end(ev: EventState): void {
    this.ending.set(ev.id, ev);
  }

  /** Until its clip is cut (or given up), the event's recording must outlive a full disk. */
  private protectPending(ev: EventState, cam: FinisherCamera): void {
    const now = this.clock();
    this.recordStore.protect({ camera: ev.camera, fromMs: ev.start - cam.preRollMs, toMs: (ev.end ?? ev.lastSeenMs) + cam.postRollMs, kind: 'event', ref: ev.id, keepUntilMs: now + PENDING_CLIP_MS, now });
  }

  private clipGivenUp(id: string): void {
    this.store.db.transaction(() => {
      this.store.clipMissing(id);
      this.recordStore.releaseRef('event', id, this.clock());
    })();
  }

  /** Unfinished events found in the db at start: open ones ended at their last sighting (the box stopped). */
  resume(rows: readonly EventRow[]): void {
    for (const row of rows) {
      const ev = rowToState(row);
      if (row.state === 'open') this.end({ ...ev, end: ev.lastSeenMs });
      else if (row.clipState === 'pending') this.clipping.set(ev.id, ev);
    }
  }

  /** One pass over the work that is ready; passes never overlap. */
  step(): Promise<void> {
    this.running ??= this.pass(false).finally(() => (this.running = undefined));
    return this.running;
  }

  /** At shutdown: end every waiting event now, with a snapshot only if its segment is recorded already. */
  async drain(): Promise<void> {
    await this.running;
    await this.pass(true);
  }

  private async pass(now: boolean): Promise<void> {
    for (const ev of [...this.ending.values()]) {
      try {
        await this.tryEnd(ev, now);
      } catch (err) {
        this.logger.error({ event: ev.id, err: (err as Error).message }, 'cannot end the event');
        this.ending.delete(ev.id);
      }
    }
    if (now) return; // clips wait for their post-roll: a restart picks them up from the db
    for (const ev of [...this.clipping.values()]) {
      try {
        await this.tryClip(ev);
      } catch (err) {
        this.logger.error({ event: ev.id, err: (err as Error).message }, 'cannot cut the event clip');
        this.clipping.delete(ev.id);
        this.clipGivenUp(ev.id);
      }
    }
  }

  private async tryEnd(ev: EventState, now: boolean): Promise<void> {
    const cam = this.cameras.get(ev.camera);
    const segment = cam?.recording ? this.recordStore.segmentsInRange(ev.camera, ev.bestAtMs, ev.bestAtMs + 1)[0] : undefined;
    if (segment === undefined && cam?.recording && !now && this.clock() - ev.bestAtMs < segmentWaitMs(cam)) return;
    let snapshot: { path: string; base64: string } | undefined;
    if (segment !== undefined && cam !== undefined) {
      try {
        const jpeg = await takeSnapshot({
          ffmpegPath: this.tools.ffmpeg.path,
          segmentPath: segment.path,
          // ffmpeg gives the first frame at or after the offset: half a frame earlier makes it the nearest one
          offsetSeconds: Math.max(0, (ev.bestAtMs - segment.startMs - NEAREST_FRAME_MS) / 1000),
          box: ev.box,
          privacyMasks: cam.privacyMasks,
        });
        const file = path.join(this.cameraDir(ev.camera), `${ev.id}.jpg`);
        await writeFileAtomic(file, jpeg);
        snapshot = { path: file, base64: jpeg.toString('base64') };
      } catch (err) {
        this.logger.warn({ event: ev.id, err: (err as Error).message }, 'no snapshot for the event');
      }
    }
    this.ending.delete(ev.id);
    // the end and the protection of its clip's recording in one transaction: a SIGKILL leaves both or neither
    const ended = this.store.db.transaction(() => {
      const changed = this.store.end(ev, snapshot);
      if (changed && cam?.recording) this.protectPending(ev, cam);
      return changed;
    })();
    if (ended) this.clipping.set(ev.id, ev);
    this.logger.info({ event: ev.id, camera: ev.camera, label: ev.label, snapshot: snapshot !== undefined }, 'event ended');
  }

  private async tryClip(ev: EventState): Promise<void> {
    const cam = this.cameras.get(ev.camera);
    const end = ev.end ?? ev.lastSeenMs;
    if (cam === undefined || !cam.recording) {
      this.clipping.delete(ev.id);
      this.clipGivenUp(ev.id);
      return;
    }
    const fromMs = ev.start - cam.preRollMs;
    const toMs = end + cam.postRollMs;
    const last = this.recordStore.lastSegment(ev.camera);
    const recorded = last !== undefined && last.endMs >= toMs;
    if (!recorded && this.clock() - toMs < segmentWaitMs(cam)) return;
    this.clipping.delete(ev.id);
    const plan = clipPlan(this.recordStore.segmentsInRange(ev.camera, fromMs, toMs), fromMs, toMs);
    if (plan === undefined) {
      this.logger.warn({ event: ev.id, camera: ev.camera }, 'no recording covers the event: no clip');
      this.clipGivenUp(ev.id);
      return;
    }
    const file = path.join(this.cameraDir(ev.camera), `${ev.id}.mp4`);
    await cutClip(this.tools.ffmpeg.path, plan, file);
    const clip = await describeClip(file);
    this.store.clipDone(ev.id, { ...clip, camera: ev.camera, start: plan.start, end: plan.end }, () => {
      this.recordStore.releaseRef('event', ev.id, this.clock());
    });
    this.logger.info({ event: ev.id, camera: ev.camera, bytes: clip.bytes, seconds: plan.durationSeconds }, 'event clip cut');
  }

  private cameraDir(camera: string): string {
    const dir = path.join(this.clipsDir, camera);
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}
