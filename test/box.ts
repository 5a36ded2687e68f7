// A ward box's street parts in one process, for the end-to-end tests and the benches: recording, detection and
// events wired as edge/main.ts wires them (no hub, no review page). Never shipped.
import path from 'node:path';
import { detectDefaults, eventsDefaults, recordDefaults } from '../shared/config/edge.js';
import type { ResolvedCamera } from '../shared/config/load.js';
import type { Db } from '../shared/db.js';
import type { FfmpegTools } from '../shared/ffmpeg/locate.js';
import type { Logger } from '../shared/log.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { DetectionService, type DetectionServiceOptions } from '../edge/detect/service.js';
import { EventService } from '../edge/events/service.js';
import type { DiskFloor } from '../edge/record/retention.js';
import { RecordingService } from '../edge/record/service.js';
import type { RecordStore } from '../edge/record/store.js';
import type { Outbox } from '../edge/uplink/outbox.js';

/** An edge.yaml camera with the defaults, reading `main` and `sub` (URLs with their credentials). */
export function boxCamera(id: string, main: string, sub: string, over: Partial<ResolvedCamera> = {}): ResolvedCamera {
  return {
    id,
    name: id,
    zones: [],
    lines: [],
    alerts: [],
    masks: [],
    privacyMasks: [],
    record: { ...recordDefaults },
    detect: { ...detectDefaults, labels: [...detectDefaults.labels] },
    events: { ...eventsDefaults },
    streams: { main: { url: main, authUrl: main }, sub: { url: sub, authUrl: sub } },
    ...over,
  };
}

/** The whole picture as one zone, and a presence rule on it: every object raises one alert (the old per-object event). */
export const ANY_OBJECT: Pick<ResolvedCamera, 'zones' | 'alerts'> = {
  zones: [{ id: 'all', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }],
  alerts: [{ id: 'anything', kind: 'presence', zone: 'all' }],
};

export interface BoxParts {
  recording: RecordingService;
  events: EventService;
  detection: DetectionService;
  /** starts recording first (an alert's pre-roll must be on disk), then events, then detection */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function boxParts(o: {
  cameras: readonly ResolvedCamera[];
  db: Db;
  store: RecordStore;
  outbox?: Outbox;
  tools: FfmpegTools;
  logger: Logger;
  /** recordings under `<root>/rec`, alert clips under `<root>/events` */
  root: string;
  disk?: DiskFloor;
  diskGuardEveryMs?: number;
  threads?: number;
  modelPath?: string;
  /** also told every camera's tracks after each detected frame, before events are (benches: when a track is confirmed) */
  onTracks?: DetectionServiceOptions['onTracks'];
}): BoxParts {
  const recording = new RecordingService({
    root: path.join(o.root, 'rec'),
    cameras: o.cameras.map((c) => ({ id: c.id, url: c.streams.main.authUrl, segmentSeconds: c.record.segmentSeconds, retainDays: c.record.retainDays, enabled: c.record.enabled })),
    store: o.store,
    tools: o.tools,
    logger: o.logger,
    disk: o.disk ?? { floorPercent: 1, floorGb: 0.001, marginGb: 0 },
    ...(o.diskGuardEveryMs ? { diskGuardEveryMs: o.diskGuardEveryMs } : {}),
  });
  const events = new EventService({
    cameras: o.cameras,
    ward: o.outbox?.ward ?? 'p07',
    db: o.db,
    outbox: o.outbox,
    recordStore: o.store,
    tools: o.tools,
    logger: o.logger,
    clipsDir: path.join(o.root, 'events'),
    sightings: { batchSeconds: 5, longStayMinutes: 5, thumbnails: true },
    timeZone: 'Asia/Ho_Chi_Minh',
    watching: () => true,
  });
  const detection = new DetectionService({
    cameras: o.cameras,
    tools: o.tools,
    logger: o.logger,
    modelPath: o.modelPath ?? packagedModel().path,
    threads: o.threads ?? 1,
    onTracks: (camera, frame, update, now) => {
      o.onTracks?.(camera, frame, update, now);
      events.onTracks(camera, frame, update, now);
    },
  });
  return {
    recording,
    events,
    detection,
    async start() {
      await recording.start();
      events.start();
      await detection.start();
    },
    async stop() {
      await detection.stop();
      await events.stop();
      await recording.stop();
    },
  };
}
