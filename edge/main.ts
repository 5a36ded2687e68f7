// The ward box daemon: wires recording, detection and events, the uplink to the hub, box status and the officers'
// review page together.
// No logic here.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { boxIdOf } from '../shared/config/box-id.js';
import type { EdgeConfig } from '../shared/config/load.js';
import { topics } from '../shared/contract/index.js';
import { locateFfmpeg, type FfmpegTools } from '../shared/ffmpeg/locate.js';
import type { Logger } from '../shared/log.js';
import { packageVersion } from '../shared/package.js';
import { createLocalAudit, type LocalAudit } from '../shared/audit/index.js';
import type { Db } from '../shared/db.js';
import { PageTlsError, plainPageWarning, readPageTls, type PageTls } from '../shared/http/index.js';
import { openEdgeDb } from './db.js';
import { ClockWatch } from './clock/watch.js';
import { chooseModel, packagedModel } from './detect/model-file.js';
import { DetectionService } from './detect/service.js';
import { EventService } from './events/service.js';
import { RecordingService, type CameraRecordingStatus } from './record/service.js';
import { RecordStore } from './record/store.js';
import { loadOrCreateExportKey } from './review/export-keys.js';
import { createReviewServer, type ReviewServer } from './review/server.js';
import { cameraStatus, diskOf, wardStatus } from './status.js';
import { Outbox } from './uplink/outbox.js';
import { Uplink } from './uplink/uplink.js';
import { RetrievalService } from './remote/retrievals.js';
import { LiveRelayService } from './remote/live-relay.js';

export interface RunningEdge {
  db: Db;
  tools: FfmpegTools;
  recording: RecordingService;
  recordStore: RecordStore;
  detection: DetectionService;
  /** sightings, counts and alerts from the detection's tracks */
  events: EventService;
  outbox: Outbox | undefined;
  uplink: Uplink | undefined;
  audit: LocalAudit;
  review: ReviewServer;
  /** operators' live views pushed to the hub (cmd/live) */
  liveRelay: LiveRelayService;
  /** base URL of the review page, e.g. http://127.0.0.1:8080; empty when it could not listen */
  reviewUrl: string;
  close(): Promise<void>;
}

export interface EdgeDeps {
  logger: Logger;
  clock?: () => number;
}

export async function startEdge(config: EdgeConfig, deps: EdgeDeps): Promise<RunningEdge> {
  const { logger } = deps;
  const clock = deps.clock ?? Date.now;
  const startedAt = clock();
  const root = config.storage.root;
  // everything MQTT (topics, payloads' `ward`, the login) speaks as the box; the review page belongs to the ward
  const box = boxIdOf(config);
  mkdirSync(root, { recursive: true });

  const tools = await locateFfmpeg({ ffmpegPath: config.ffmpeg.ffmpegPath, ffprobePath: config.ffmpeg.ffprobePath });
  logger.info({ ffmpeg: tools.ffmpeg.path, version: tools.ffmpeg.version, source: tools.ffmpeg.source }, 'ffmpeg found');

  const model = chooseModel(config.model, packagedModel().path, existsSync);
  const db = openEdgeDb(path.join(root, 'edge.db'));
  const recordStore = new RecordStore(db);
  const outbox = config.hub ? new Outbox(db, box, clock) : undefined;
  let uplink: Uplink | undefined;
  let remote: RetrievalService | undefined = undefined; // set once the audit exists; the uplink may call before
  let liveRelay: LiveRelayService | undefined = undefined; // set once the review page's live readers exist; until then cmd/live is dropped (the operator retries)
  let disk = await diskOf(root);
  let statusSoon: NodeJS.Timeout | undefined;

  const recording = new RecordingService({
    root: path.join(root, 'recordings'),
    cameras: config.cameras.map((c) => ({ id: c.id, url: c.streams.main.authUrl, segmentSeconds: c.record.segmentSeconds, retainDays: c.record.retainDays, enabled: c.record.enabled })),
    store: recordStore,
    tools,
    logger,
    disk: config.disk,
    clock,
    onStatusChange: (s) => {
      publishCamera(s);
      // the box's own status carries "cameras recording": refresh it too, at most once a second
      statusSoon ??= setTimeout(() => {
        statusSoon = undefined;
        uplink?.publishRetained(topics.wardStatus(box), boxStatus());
      }, 1000);
    },
  });
  mkdirSync(path.join(root, 'recordings'), { recursive: true });

  const boxStatus = () =>
    wardStatus({
      ward: box,
      version: packageVersion(),
      startedAt,
      now: clock(),
      disk,
      outboxDepth: outbox?.depth() ?? 0,
      cameras: recording.statuses(),
      detector: detection.status().detector,
      model: model.source,
      alarms: [recording.diskAlarm()].filter((a): a is string => a !== undefined),
      ntp: clocks.ntp(),
    });

  if (config.hub && outbox) {
    const scheme = config.hub.tls ? 'mqtts' : 'mqtt';
    uplink = new Uplink({
      outbox,
      ward: box,
      url: `${scheme}://${config.hub.host}:${config.hub.port}`,
      username: config.hub.username,
      password: config.hub.token,
      ca: config.hub.caFile ? readFileSync(config.hub.caFile) : undefined,
      hubKeys: { tokenSecret: config.hub.tokenSecret, caFile: config.hub.caFile, ward: config.ward.id },
      logger,
      status: boxStatus,
      onCommand: (name, payload) => (name === 'live' ? liveRelay?.command(name, payload) : remote?.command(name, payload)),
    });
    uplink.start();
  } else {
    logger.warn('no hub in the config: this box records and detects alone');
  }

  const events = new EventService({
    cameras: config.cameras,
    ward: box,
    db,
    outbox,
    recordStore,
    tools,
    logger,
    clipsDir: path.join(root, 'events'),
    sightings: config.sightings,
    timeZone: config.timeZone,
    watching: (camera) => detection.watching(camera),
    clock,
  });
  const detection = new DetectionService({
    cameras: config.cameras,
    tools,
    logger,
    modelPath: model.path,
    threads: config.model.threads,
    onTracks: (camera, frame, update, now) => events.onTracks(camera, frame, update, now),
    clock,
  });
  const street = (camera: string) => {
    const d = detection.status().cameras.find((c) => c.camera === camera);
    const e = events.status().find((c) => c.camera === camera);
    return {
      detectFps: d?.detectFps ?? 0,
      sightingsPerMin: e?.sightingsPerMin ?? 0,
      alertsPerMin: e?.alertsPerMin ?? 0,
      framesLostPerMin: d?.lostPerMin ?? 0,
      detectedFps: d?.detectedFps ?? 0,
      framesSkippedPerMin: d?.skippedPerMin ?? 0,
    };
  };
  const publishCamera = (s: CameraRecordingStatus) =>
    uplink?.publishRetained(topics.cameraStatus(box, s.camera), cameraStatus(box, s, clock(), street(s.camera), clocks.skewMs(s.camera), config.cameras.find((c) => c.id === s.camera)?.location));
  // the box's NTP state and its ONVIF cameras' clock skew (edge/clock/), sent with the statuses after each round
  const clocks = new ClockWatch({
    cameras: config.cameras.map((c) => ({ id: c.id, onvifUrl: c.onvif?.url })),
    everyMs: config.clock.checkMinutes * 60_000,
    logger,
    clock,
    onChecked: () => {
      uplink?.publishRetained(topics.wardStatus(box), boxStatus());
      for (const s of recording.statuses()) publishCamera(s);
    },
  });

  await recording.start();
  events.start();
  await detection.start();
  clocks.start();
  // camera statuses are retained at the hub: refresh them every minute, and the disk figure with them
  const timer = setInterval(() => {
    void diskOf(root).then((d) => (disk = d));
    for (const s of recording.statuses()) publishCamera(s);
  }, 60_000);
  const audit = createLocalAudit(db, { clock });
  // operators' cmd/retrieve from the hub (edge/remote/); commands that came before this point are resent by the hub
  remote = outbox
    ? new RetrievalService({ db, outbox, recordStore, audit, ffmpegPath: tools.ffmpeg.path, ward: box, cameras: config.cameras.map((c) => c.id), dir: path.join(root, 'retrievals'), logger, clock })
    : undefined;
  remote?.resume();
  // a certificate that cannot serve stops the review page, never recording, and never falls back to plain HTTP
  let reviewTls: PageTls | undefined;
  let tlsProblem: string | undefined;
  try {
    reviewTls = config.review.tls && readPageTls(config.review.tls, { key: 'review.tls', make: `wardwatch provision credentials tls --out DIR --box ${box} --host ADDRESS (on the hub, where the CA is)` });
  } catch (err) {
    if (!(err instanceof PageTlsError)) throw err;
    tlsProblem = err.message;
  }
  const review = await createReviewServer({
    ward: { id: config.ward.id, name: config.ward.name },
    cameras: config.cameras.map((c) => ({ id: c.id, name: c.name, mainUrl: c.streams.main.authUrl, subUrl: c.streams.sub.authUrl, zones: c.zones, lines: c.lines, alerts: c.alerts })),
    root,
    db,
    store: recordStore,
    audit,
    signer: loadOrCreateExportKey(path.join(root, 'keys')),
    tools,
    logger,
    clock,
    timeZone: config.timeZone,
    clocks,
    tls: reviewTls,
    trustProxy: config.review.trustProxy,
    detection: street,
  });
  // a box records whatever else fails: a review port already taken is an error in the log, not a dead box
  if (tlsProblem) logger.error({ err: tlsProblem }, `review page not started: ${tlsProblem}. Recording goes on`);
  const reviewUrl = tlsProblem ? '' : await review.listen(config.review.host, config.review.port).catch((err: Error) => {
    logger.error({ err: err.message, host: config.review.host, port: config.review.port }, 'review page cannot listen; recording goes on (fix review.host/port in edge.yaml)');
    return '';
  });
  if (reviewUrl) logger.info({ url: reviewUrl }, 'review page listening');
  const clear = reviewUrl ? plainPageWarning({ key: 'review', host: config.review.host, tls: reviewTls !== undefined, trustProxy: config.review.trustProxy ?? false }) : undefined;
  if (clear) logger.warn({}, clear);
  // operators' cmd/live from the hub (edge/remote/), sharing the review page's camera readers
  const relays = new LiveRelayService({
    live: review.live,
    ward: box,
    cameras: config.cameras.map((c) => ({ id: c.id, mainUrl: c.streams.main.authUrl, subUrl: c.streams.sub.authUrl })),
    audit,
    ca: config.hub?.caFile ? readFileSync(config.hub.caFile) : undefined,
    logger,
  });
  liveRelay = relays;
  logger.info(
    { ward: config.ward.id, box, cameras: config.cameras.length, hub: config.hub ? `${config.hub.host}:${config.hub.port}` : null, detector: detection.status().detector, model: model.source, modelPath: model.path },
    `ward box running (detector: ${detection.status().detector}, ${model.source === 'packaged' ? 'the model that ships with Wardwatch' : `model ${model.source} at ${model.path}`})`,
  );

  let closing: Promise<void> | undefined;
  return {
    db,
    tools,
    recording,
    recordStore,
    detection,
    events,
    outbox,
    uplink,
    audit,
    review,
    liveRelay: relays,
    reviewUrl,
    close() {
      closing ??= (async () => {
        // ffmpeg children may get the same SIGTERM and exit before their turn below: that is the shutdown, not a crash
        recording.beginShutdown();
        clearInterval(timer);
        clearTimeout(statusSoon);
        await clocks.stop();
        liveRelay?.stop();
        await review.close();
        await detection.stop();
        await events.stop();
        await recording.stop();
        // a clean stop sends no Last Will: say "offline" ourselves
        uplink?.publishRetained(topics.wardStatus(box), { state: 'offline', ward: box });
        await uplink?.stop();
        await remote?.stop();
        // stopping the recorders changes camera states, which schedules a box status: not after the db is closed
        clearTimeout(statusSoon);
        db.close();
      })();
      return closing;
    },
  };
}
