// What the box makes of its cameras' tracks: sightings (what passed, in batches to the hub), counts (per line,
// direction, label and minute) and alerts (an event with snapshot and clip, only where a rule says so).
// Wired in edge/main.ts to the detection service's tracks; the policies are pure (sightings.ts, counts.ts,
// alert-rules.ts), this file holds their state per camera and does the I/O.
import { rm } from 'node:fs/promises';
import { monotonicFactory } from 'ulid';
import type { ResolvedCamera } from '../../shared/config/load.js';
import { countsMessageSchema, MAX_SIGHTINGS_MESSAGE_BYTES, MAX_SIGHTINGS_PER_MESSAGE, sightingsMessageSchema, topics, type Sighting } from '../../shared/contract/index.js';
import type { Db } from '../../shared/db.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { MinuteWindow } from '../../shared/minute-window.js';
import type { Frame } from '../detect/frame-source.js';
import type { TrackerUpdate } from '../detect/track.js';
import type { RecordStore } from '../record/store.js';
import { newMsgId, type Outbox } from '../uplink/outbox.js';
import { AlertRules } from './alert-rules.js';
import { vehicleColour } from './colour.js';
import { LineCounts, type CountedMinute } from './counts.js';
import { EventFinisher, type FinisherCamera } from './finisher.js';
import type { EventChange } from './event-state.js';
import { SightingBook, type SightingDraft } from './sightings.js';
import { EventStore } from './store.js';
import { cropBox, thumbnailJpeg, type Crop } from './vehicle-picture.js';

export interface EventServiceOptions {
  cameras: readonly ResolvedCamera[];
  ward: string;
  db: Db;
  /** only when the box has a hub: sightings and counts are for the hub; alerts are stored either way */
  outbox?: Outbox | undefined;
  /** the same db's segment index: clips are cut from it */
  recordStore: RecordStore;
  tools: FfmpegTools;
  logger: Logger;
  /** alert snapshots and clips: `<clipsDir>/<camera>/<eventId>.jpg|.mp4` */
  clipsDir: string;
  sightings: { batchSeconds: number; longStayMinutes: number; thumbnails: boolean };
  timeZone: string;
  /** whether a camera's frames are arriving now (its minutes are "watched" even when nothing moves) */
  watching: (camera: string) => boolean;
  clock?: () => number;
}

/** Per camera, per minute: what the pages and the hub show to tell a flood or a blind camera. */
export interface CameraEventStatus {
  camera: string;
  sightingsPerMin: number;
  alertsPerMin: number;
  openAlerts: number;
  /** sightings waiting for their batch */
  queued: number;
}

const MINUTE = 60_000;
const DAY_MS = 86_400_000;
/**
 * A minute's counts go out this long after it ends: an object is counted when its sighting is made, when its track
 * ends (it left the picture, then the tracker's 1.5 s of coasting), so its crossing, late in a minute, comes later.
 */
const COUNT_GRACE_MS = 20_000;
/** Counts on the box, for its review page; the district's series live at the hub. */
const COUNTS_KEPT_DAYS = 35;
const VEHICLES = new Set(['bicycle', 'car', 'motorcycle', 'bus', 'truck']);
/** Room left in a sightings message for its envelope (msgId, ward, camera). */
const MAX_BATCH_BYTES = MAX_SIGHTINGS_MESSAGE_BYTES - 512;

interface CameraState {
  camera: ResolvedCamera;
  book: SightingBook;
  counts: LineCounts | undefined;
  rules: AlertRules;
  /** lines already counted of an object still in view (its partial sightings), by sighting id */
  counted: Map<string, number>;
  /** a vehicle's crop at its best moment so far, by track id */
  crops: Map<number, { atMs: number; crop: Crop }>;
  batch: Sighting[];
  /** the batch's JSON size so far: a message must stay under the contract's byte limit */
  batchBytes: number;
  batchSince: number;
  /** sightings and alerts over the last minute */
  sightingsWindow: MinuteWindow;
  alertsWindow: MinuteWindow;
}

const newId = monotonicFactory();

export class EventService {
  private readonly cams = new Map<string, CameraState>();
  private readonly store: EventStore;
  private readonly finisher: EventFinisher;
  private readonly clock: () => number;
  private readonly pictures = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly keepCount;
  private readonly pruneCounts;
  private lastPruneMs = 0;

  private readonly ward: string;
  private readonly db: Db;
  private readonly outbox: Outbox | undefined;
  private readonly logger: Logger;
  private readonly sightings: EventServiceOptions['sightings'];
  private readonly watching: (camera: string) => boolean;

  constructor({ cameras, ward, db, outbox, recordStore, tools, logger, clipsDir, sightings, timeZone, watching, clock }: EventServiceOptions) {
    this.ward = ward;
    this.db = db;
    this.outbox = outbox;
    this.logger = logger;
    this.sightings = sightings;
    this.watching = watching;
    this.clock = clock ?? Date.now;
    this.keepCount = db.prepare('INSERT OR REPLACE INTO line_counts (camera, minute, line, direction, label, n) VALUES (?, ?, ?, ?, ?, ?)');
    this.pruneCounts = db.prepare('DELETE FROM line_counts WHERE minute < ?');
    this.store = new EventStore(db, ward, outbox, this.clock);
    const finisherCameras = new Map<string, FinisherCamera>(
      cameras.map((c) => [
        c.id,
        {
          recording: c.record.enabled,
          segmentSeconds: c.record.segmentSeconds,
          preRollMs: c.events.preRollSeconds * 1000,
          postRollMs: c.events.postRollSeconds * 1000,
          privacyMasks: c.privacyMasks,
        },
      ]),
    );
    this.finisher = new EventFinisher({ store: this.store, recordStore, tools, logger, clipsDir, cameras: finisherCameras, clock: this.clock });
    for (const cam of cameras) {
      const geometry = { camera: cam.id, width: cam.detect.width, height: cam.detect.height, zones: cam.zones, lines: cam.lines };
      this.cams.set(cam.id, {
        camera: cam,
        book: new SightingBook({ ...geometry, longStayMs: sightings.longStayMinutes * MINUTE, newId: (now) => newId(now) }),
        counts: cam.lines.length > 0 ? new LineCounts({ camera: cam.id, lines: cam.lines, graceMs: COUNT_GRACE_MS }) : undefined,
        rules: new AlertRules({
          ...geometry,
          rules: cam.alerts,
          timeZone,
          endAfterMs: cam.events.endAfterSeconds * 1000,
          updateEveryMs: 2000,
          newEventId: (now) => newId(now),
        }),
        counted: new Map(),
        crops: new Map(),
        batch: [],
        batchBytes: 0,
        batchSince: 0,
        sightingsWindow: new MinuteWindow(),
        alertsWindow: new MinuteWindow(),
      });
    }
  }

  get events(): EventStore {
    return this.store;
  }

  /** Picks up alerts a stop or a crash left unfinished, and starts the once-a-second work. */
  start(): void {
    this.finisher.resume(this.store.unfinished());
    this.timer = setInterval(() => this.tick(), 1000);
  }

  /** A camera's tracks after a detected frame (`frame` valid only during this call) or at the end. */
  onTracks(camera: string, frame: Frame | undefined, update: TrackerUpdate, nowMs: number): void {
    const s = this.cams.get(camera);
    if (s === undefined) return;
    if (frame !== undefined && this.sightings.thumbnails) this.keepCrops(s, frame, update);
    const { crossings, sightings } = s.book.observe(update, nowMs);
    // rules see a crossing at once (wrong-way); counts wait for the sighting, whose label is the object's final one
    // (a rider first seen alone is a person until its speed shows it is a two-wheeler)
    this.apply(s, s.rules.observe(update.tracks, crossings, nowMs));
    for (const d of sightings) this.sighted(s, d);
    for (const t of update.ended) s.crops.delete(t.id);
  }

  /** Every second: alerts whose condition ended, minutes that are over, batches that are due, clips to cut. */
  tick(now = this.clock()): void {
    for (const s of this.cams.values()) {
      this.apply(s, s.rules.tick(now));
      if (s.counts && this.watching(s.camera.id)) this.sendCounts(s, s.counts.flush(now));
      if (s.batch.length > 0 && now - s.batchSince >= this.sightings.batchSeconds * 1000) this.sendBatch(s);
    }
    // the box keeps its counts for the review page (the hub keeps the long series), and alerts' files retainDays
    if (now - this.lastPruneMs >= 3_600_000) {
      this.lastPruneMs = now;
      this.pruneCounts.run(now - COUNTS_KEPT_DAYS * DAY_MS);
      void this.expireAlertFiles(now);
    }
    void this.finisher.step();
  }

  /** At stop (after detection has ended its tracks): alerts end, every sighting and finished minute goes out. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const now = this.clock();
    for (const s of this.cams.values()) {
      this.apply(s, s.rules.endAll());
      for (const d of s.book.endAll(now)) this.sighted(s, d);
    }
    await Promise.all([...this.pictures]);
    for (const s of this.cams.values()) {
      if (s.batch.length > 0) this.sendBatch(s);
      if (s.counts) this.sendCounts(s, s.counts.flush(now));
    }
    await this.finisher.drain();
  }

  /** Deletes alerts' clips and snapshots older than their camera's events.retainDays (the rows stay). */
  async expireAlertFiles(now = this.clock()): Promise<number> {
    let n = 0;
    for (const s of this.cams.values()) {
      for (const e of this.store.expired(s.camera.id, now - s.camera.events.retainDays * DAY_MS)) {
        await Promise.all([e.clipPath, e.snapshotPath].map((f) => (f ? rm(f, { force: true }) : undefined)));
        this.store.forgetFiles(e.id);
        n++;
      }
    }
    if (n > 0) this.logger.info({ alerts: n }, 'alert clips past their retention deleted');
    return n;
  }

  /** Finish waiting snapshots and clips now (tests; the service does this every second). */
  finishPending(): Promise<void> {
    return this.finisher.step();
  }

  status(now = this.clock()): CameraEventStatus[] {
    return [...this.cams.values()].map((s) => ({
      camera: s.camera.id,
      sightingsPerMin: s.sightingsWindow.total(now),
      alertsPerMin: s.alertsWindow.total(now),
      openAlerts: s.rules.openAlerts().length,
      queued: s.batch.length,
    }));
  }

  /** Alerts waiting for their snapshot / their clip. */
  get finishing(): { ending: number; clipping: number } {
    return this.finisher.backlog;
  }

  private keepCrops(s: CameraState, frame: Frame, update: TrackerUpdate): void {
    for (const t of update.tracks) {
      // a vehicle's picture is taken at its best moment; people get none (no person crops leave the box)
      if (!t.confirmed || !VEHICLES.has(t.label) || t.bestAtMs !== frame.timestampMs) continue;
      if (s.crops.get(t.id)?.atMs === t.bestAtMs) continue;
      const crop = cropBox(frame, t.bestBox, s.camera.privacyMasks);
      if (crop) s.crops.set(t.id, { atMs: t.bestAtMs, crop });
    }
  }

  private sighted(s: CameraState, d: SightingDraft): void {
    if (d.final) s.sightingsWindow.add(this.clock());
    this.count(s, d);
    const { trackId, bestBoxPx: _box, ...sighting } = d;
    const crop = VEHICLES.has(d.label) ? s.crops.get(trackId)?.crop : undefined;
    if (crop === undefined) {
      this.queue(s, sighting);
      return;
    }
    const colour = vehicleColour(crop.data, crop.width, crop.height);
    const picture = (this.sightings.thumbnails ? thumbnailJpeg(crop) : Promise.resolve(undefined))
      .then((jpeg) => this.queue(s, { ...sighting, colour, ...(jpeg ? { thumbnail: jpeg.toString('base64') } : {}) }))
      .catch((err: unknown) => {
        this.logger.warn({ camera: s.camera.id, err: (err as Error).message }, 'no thumbnail for a sighting');
        this.queue(s, { ...sighting, colour });
      })
      .finally(() => this.pictures.delete(picture));
    this.pictures.add(picture);
  }

  /** Counts the lines a sighting crossed that its earlier (partial) sightings did not already count. */
  private count(s: CameraState, d: SightingDraft): void {
    if (s.counts === undefined) return;
    const done = s.counted.get(d.id) ?? 0;
    for (const l of d.lines.slice(done)) s.counts.add({ trackId: d.trackId, camera: d.camera, label: d.label, line: l.line, direction: l.direction, at: l.at });
    if (d.final) s.counted.delete(d.id);
    else s.counted.set(d.id, d.lines.length);
  }

  private queue(s: CameraState, sighting: Sighting): void {
    const bytes = JSON.stringify(sighting).length + 1;
    // a full batch goes before this one would push it over the broker's message size
    if (s.batch.length > 0 && s.batchBytes + bytes > MAX_BATCH_BYTES) this.sendBatch(s);
    if (s.batch.length === 0) s.batchSince = this.clock();
    s.batch.push(sighting);
    s.batchBytes += bytes;
    if (s.batch.length >= MAX_SIGHTINGS_PER_MESSAGE) this.sendBatch(s);
  }

  private sendBatch(s: CameraState): void {
    const sightings = s.batch.splice(0);
    s.batchBytes = 0;
    if (this.outbox === undefined || sightings.length === 0) return;
    try {
      const message = sightingsMessageSchema.parse({ msgId: newMsgId(this.clock()), ward: this.ward, camera: s.camera.id, sightings });
      this.outbox.enqueue(topics.sightings(this.ward), message);
    } catch (err) {
      this.logger.error({ camera: s.camera.id, sightings: sightings.length, err: (err as Error).message }, 'cannot queue sightings');
    }
  }

  /** A minute's counts are kept on the box (the review page's "today") and queued for the hub in one transaction. */
  private sendCounts(s: CameraState, minutes: CountedMinute[]): void {
    for (const m of minutes) {
      try {
        const message = countsMessageSchema.parse({ msgId: newMsgId(this.clock()), ward: this.ward, camera: s.camera.id, minute: m.minute, counts: m.counts });
        this.db.transaction(() => {
          for (const c of m.counts) this.keepCount.run(s.camera.id, m.minute, c.line, c.direction, c.label, c.n);
          this.outbox?.enqueue(topics.counts(this.ward), message);
        })();
      } catch (err) {
        this.logger.error({ camera: s.camera.id, minute: m.minute, err: (err as Error).message }, 'cannot keep or queue counts');
      }
    }
  }

  private apply(s: CameraState, changes: EventChange[]): void {
    for (const c of changes) {
      try {
        if (c.type === 'start') {
          this.store.start(c.event);
          s.alertsWindow.add(this.clock());
        } else if (c.type === 'update') this.store.update(c.event);
        else this.finisher.end(c.event);
        if (c.type !== 'update') this.logger.info({ event: c.event.id, camera: c.event.camera, label: c.event.label, rule: c.event.rule?.id, type: c.type }, `alert ${c.type}`);
      } catch (err) {
        this.logger.error({ event: c.event.id, type: c.type, err: (err as Error).message }, 'cannot record the alert');
      }
    }
  }
}
