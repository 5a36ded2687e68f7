// Recording for the whole box: a recorder per camera, the segment index, gaps, retention, the disk guard and
// camera status. It imports nothing of detection, events, uplink or review: a box records whatever else fails.
import { mkdir, rm, statfs } from 'node:fs/promises';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { CameraRecorder, type ClosedSegment, type RecorderState } from './recorder.js';
import { reconcileCamera, reconcileRecent } from './reconcile.js';
import { bytesToFree, expiredSegments, segmentsToFree, type DiskFloor, type DiskState } from './retention.js';
import type { RecordStore, SegmentRow } from './store.js';

export interface RecordedCamera {
  id: string;
  url: string;
  segmentSeconds: number;
  retainDays: number;
  enabled: boolean;
}

export interface CameraRecordingStatus {
  camera: string;
  state: RecorderState | 'disabled';
  lastSegmentAt: number | null;
  gapsToday: number;
  bytesPerSecond: number;
}

export interface RecordingOptions {
  root: string;
  cameras: RecordedCamera[];
  store: RecordStore;
  tools: FfmpegTools;
  logger: Logger;
  disk: DiskFloor;
  clock?: () => number;
  /** free space of the recording disk; a seam for tests of the guard on a real small file system */
  diskState?: (root: string) => Promise<DiskState>;
  diskGuardEveryMs?: number;
  retentionEveryMs?: number;
  socketTimeoutSeconds?: number;
  onStatusChange?: (status: CameraRecordingStatus) => void;
}

async function realDiskState(root: string): Promise<DiskState> {
  const s = await statfs(root);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

function startOfTodayUtc(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

export class RecordingService {
  private readonly recorders = new Map<string, CameraRecorder>();
  private readonly recent = new Map<string, { bytes: number; ms: number; at: number }[]>();
  private readonly lastSegmentAt = new Map<string, number>();
  private timers: NodeJS.Timeout[] = [];
  private alarm: string | undefined;
  private readonly clock: () => number;
  private guardRunning = false;

  private readonly root: string;
  private readonly cameras: RecordedCamera[];
  private readonly store: RecordStore;
  private readonly tools: FfmpegTools;
  private readonly logger: Logger;
  private readonly disk: DiskFloor;
  private readonly diskState: ((root: string) => Promise<DiskState>) | undefined;
  private readonly diskGuardEveryMs: number | undefined;
  private readonly retentionEveryMs: number | undefined;
  private readonly socketTimeoutSeconds: number | undefined;
  private readonly onStatusChange: ((status: CameraRecordingStatus) => void) | undefined;

  constructor({ root, cameras, store, tools, logger, disk, clock, diskState, diskGuardEveryMs, retentionEveryMs, socketTimeoutSeconds, onStatusChange }: RecordingOptions) {
    this.root = root;
    this.cameras = cameras;
    this.store = store;
    this.tools = tools;
    this.logger = logger;
    this.disk = disk;
    this.diskState = diskState;
    this.diskGuardEveryMs = diskGuardEveryMs;
    this.retentionEveryMs = retentionEveryMs;
    this.socketTimeoutSeconds = socketTimeoutSeconds;
    this.onStatusChange = onStatusChange;
    this.clock = clock ?? Date.now;
  }

  async start(): Promise<void> {
    // the disk guard measures this file system before any recorder has written into it
    await mkdir(this.root, { recursive: true });
    const now = this.clock();
    for (const cam of this.cameras) {
      const r = await reconcileCamera(this.root, cam.id, this.store, this.tools, this.logger);
      if (r.adopted || r.dropped || r.deletedUnreadable) this.logger.info({ camera: cam.id, ...r }, 'segment index reconciled with the disk');
      const last = this.store.lastSegment(cam.id);
      if (last) {
        this.lastSegmentAt.set(cam.id, last.endMs);
        // a box that died without closing its gap (power loss, SIGKILL) still gets the gap on record
        this.store.openGap(cam.id, last.endMs, 'restarted');
      }
      if (!cam.enabled) continue;
      const recorder = new CameraRecorder({
        camera: cam.id,
        url: cam.url,
        root: this.root,
        segmentSeconds: cam.segmentSeconds,
        tools: this.tools,
        logger: this.logger,
        ...(this.socketTimeoutSeconds ? { socketTimeoutSeconds: this.socketTimeoutSeconds } : {}),
        clock: this.clock,
        events: {
          segment: (seg) => this.onSegment(seg),
          runStarted: (firstFrameMs) => this.store.endGapAt(cam.id, firstFrameMs),
          retimed: (rows, firstOfRun) => this.store.retime(cam.id, rows, { firstOfRun }),
          stopped: (reason, openSegmentStartMs) => this.onStopped(cam.id, reason, openSegmentStartMs),
          state: (state, detail) => {
            this.logger.info({ camera: cam.id, state, detail }, `camera ${cam.id} ${state}`);
            this.persistStatus(cam.id);
          },
        },
      });
      this.recorders.set(cam.id, recorder);
      recorder.start();
    }
    await this.runDiskGuard();
    await this.runRetention(now);
    this.timers.push(setInterval(() => void this.runDiskGuard(), this.diskGuardEveryMs ?? 10_000));
    this.timers.push(setInterval(() => void this.runRetention(), this.retentionEveryMs ?? 600_000));
  }

  /** The box is stopping: from now on, recorders that end end for the shutdown (even before stop() reaches them). */
  beginShutdown(): void {
    for (const r of this.recorders.values()) r.beginShutdown();
  }

  async stop(): Promise<void> {
    this.beginShutdown();
    this.timers.forEach(clearInterval);
    this.timers = [];
    await Promise.all([...this.recorders.values()].map((r) => r.stop()));
  }

  recorder(camera: string): CameraRecorder | undefined {
    return this.recorders.get(camera);
  }

  /** The disk alarm, when the guard could not free enough (everything left is protected). */
  diskAlarm(): string | undefined {
    return this.alarm;
  }

  status(camera: string): CameraRecordingStatus {
    const cam = this.cameras.find((c) => c.id === camera);
    const recorder = this.recorders.get(camera);
    const recent = this.recent.get(camera) ?? [];
    const ms = recent.reduce((a, r) => a + r.ms, 0);
    return {
      camera,
      state: !cam?.enabled ? 'disabled' : (recorder?.currentState ?? 'stopped'),
      lastSegmentAt: this.lastSegmentAt.get(camera) ?? null,
      gapsToday: this.store.gapsSince(camera, startOfTodayUtc(this.clock())),
      bytesPerSecond: ms ? Math.round((recent.reduce((a, r) => a + r.bytes, 0) * 1000) / ms) : 0,
    };
  }

  statuses(): CameraRecordingStatus[] {
    return this.cameras.map((c) => this.status(c.id));
  }

  private persistStatus(camera: string): void {
    const s = this.status(camera);
    this.store.setStatus(camera, s.state, s.lastSegmentAt, s.bytesPerSecond, this.clock());
    this.onStatusChange?.(s);
  }

  private onSegment(seg: ClosedSegment): void {
    const { firstOfRun, ...row } = seg;
    this.store.addSegment(row, { firstOfRun });
    this.lastSegmentAt.set(seg.camera, seg.endMs);
    const list = this.recent.get(seg.camera) ?? [];
    list.push({ bytes: seg.bytes, ms: seg.endMs - seg.startMs, at: seg.endMs });
    while (list.length && list[0]!.at < seg.endMs - 60_000) list.shift();
    this.recent.set(seg.camera, list);
  }

  private async onStopped(camera: string, reason: Parameters<RecordStore['openGap']>[2], openSegmentStartMs: number | undefined): Promise<void> {
    // a killed (or signalled) ffmpeg may leave its open segment unlisted: index it, so the gap starts where
    // recording really ended and the index matches the disk
    await reconcileRecent(this.root, camera, this.store, this.tools, this.logger, this.clock(), openSegmentStartMs);
    const last = this.store.lastSegment(camera);
    this.store.openGap(camera, last?.endMs ?? this.clock(), reason);
    this.persistStatus(camera);
  }

  /** Deletes segments past their camera's retention, unless an event clip or a hold needs them. */
  async runRetention(now = this.clock()): Promise<number> {
    const days = new Map(this.cameras.map((c) => [c.id, c.retainDays]));
    const minDays = Math.min(...this.cameras.map((c) => c.retainDays));
    const protections = this.store.protectionsInForce(now);
    let deleted = 0;
    // in pages, oldest first: a year of 32 cameras is millions of rows
    const cutoff = now - minDays * 86_400_000;
    for (let after = { startMs: -1, id: 0 }; ; ) {
      const page = this.store.oldestSegments(2000, after);
      const candidates = page.filter((s) => s.endMs < cutoff);
      const victims = expiredSegments(candidates, protections, (c) => days.get(c) ?? minDays, now);
      if (victims.length) await this.deleteSegments(victims);
      deleted += victims.length;
      if (page.length < 2000 || candidates.length < page.length) break;
      after = page[page.length - 1]!;
    }
    if (deleted) this.logger.info({ deleted }, 'retention deleted old segments');
    return deleted;
  }

  /** Frees space before ffmpeg can hit ENOSPC: oldest unprotected segments first, across all cameras. */
  async runDiskGuard(): Promise<number> {
    if (this.guardRunning) return 0;
    this.guardRunning = true;
    try {
      const state = await (this.diskState ?? realDiskState)(this.root);
      let need = bytesToFree(state, this.disk);
      if (need <= 0) {
        if (this.alarm) this.logger.info('disk space is back above the floor');
        this.alarm = undefined;
        return 0;
      }
      const now = this.clock();
      const protections = this.store.protectionsInForce(now);
      let freed = 0;
      let after = { startMs: -1, id: 0 };
      while (need > 0) {
        const page = this.store.oldestSegments(500, after);
        if (!page.length) break;
        after = page[page.length - 1]!;
        const victims = segmentsToFree(page, protections, need, now);
        await this.deleteSegments(victims);
        const bytes = victims.reduce((a, v) => a + v.bytes, 0);
        freed += bytes;
        need -= bytes;
      }
      if (need > 0) {
        const message = `disk below its floor and nothing left to delete (${Math.round(state.freeBytes / 1e6)} MB free; everything older is held)`;
        if (this.alarm !== message) this.logger.error({ freeBytes: state.freeBytes }, message);
        this.alarm = message;
      } else {
        this.alarm = undefined;
      }
      if (freed) this.logger.warn({ freedBytes: freed, freeBytes: state.freeBytes }, 'disk guard deleted the oldest segments');
      return freed;
    } finally {
      this.guardRunning = false;
    }
  }

  private async deleteSegments(victims: readonly SegmentRow[]): Promise<void> {
    for (const v of victims) await rm(v.path, { force: true });
    this.store.deleteSegments(victims.map((v) => v.id));
  }
}
