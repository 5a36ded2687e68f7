// The ward box daemon: wires recording, the uplink to the hub and box status together. No logic here.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EdgeConfig } from '../shared/config/load.js';
import { topics } from '../shared/contract/index.js';
import { locateFfmpeg, type FfmpegTools } from '../shared/ffmpeg/locate.js';
import type { Logger } from '../shared/log.js';
import { packageVersion } from '../shared/package.js';
import type { Db } from '../shared/db.js';
import { openEdgeDb } from './db.js';
import { RecordingService } from './record/service.js';
import { RecordStore } from './record/store.js';
import { cameraStatus, diskOf, wardStatus } from './status.js';
import { Outbox } from './uplink/outbox.js';
import { Uplink } from './uplink/uplink.js';

export interface RunningEdge {
  db: Db;
  tools: FfmpegTools;
  recording: RecordingService;
  recordStore: RecordStore;
  outbox: Outbox | undefined;
  uplink: Uplink | undefined;
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
  mkdirSync(root, { recursive: true });

  const tools = await locateFfmpeg({ ffmpegPath: config.ffmpeg.ffmpegPath, ffprobePath: config.ffmpeg.ffprobePath });
  logger.info({ ffmpeg: tools.ffmpeg.path, version: tools.ffmpeg.version, source: tools.ffmpeg.source }, 'ffmpeg found');

  const db = openEdgeDb(path.join(root, 'edge.db'));
  const recordStore = new RecordStore(db);
  const outbox = config.hub ? new Outbox(db, config.ward.id, clock) : undefined;
  let uplink: Uplink | undefined;
  let disk = await diskOf(root);

  const recording = new RecordingService({
    root: path.join(root, 'recordings'),
    cameras: config.cameras.map((c) => ({ id: c.id, url: c.streams.main.authUrl, segmentSeconds: c.record.segmentSeconds, retainDays: c.record.retainDays, enabled: c.record.enabled })),
    store: recordStore,
    tools,
    logger,
    disk: config.disk,
    clock,
    onStatusChange: (s) => uplink?.publishRetained(topics.cameraStatus(config.ward.id, s.camera), cameraStatus(config.ward.id, s, clock(), 0)),
  });
  mkdirSync(path.join(root, 'recordings'), { recursive: true });

  const boxStatus = () =>
    wardStatus({
      ward: config.ward.id,
      version: packageVersion(),
      startedAt,
      now: clock(),
      disk,
      outboxDepth: outbox?.depth() ?? 0,
      cameras: recording.statuses(),
      detector: 'off',
      alarms: [recording.diskAlarm()].filter((a): a is string => a !== undefined),
    });

  if (config.hub && outbox) {
    const scheme = config.hub.tls ? 'mqtts' : 'mqtt';
    uplink = new Uplink({
      outbox,
      ward: config.ward.id,
      url: `${scheme}://${config.hub.host}:${config.hub.port}`,
      username: config.hub.username,
      password: config.hub.token,
      ca: config.hub.caFile ? readFileSync(config.hub.caFile) : undefined,
      logger,
      status: boxStatus,
    });
    uplink.start();
  } else {
    logger.warn('no hub in the config: this box records and detects alone');
  }

  await recording.start();
  // camera statuses are retained at the hub: refresh them every minute, and the disk figure with them
  const timer = setInterval(() => {
    void diskOf(root).then((d) => (disk = d));
    for (const s of recording.statuses()) uplink?.publishRetained(topics.cameraStatus(config.ward.id, s.camera), cameraStatus(config.ward.id, s, clock(), 0));
  }, 60_000);
  logger.info({ ward: config.ward.id, cameras: config.cameras.length, hub: config.hub ? `${config.hub.host}:${config.hub.port}` : null }, 'ward box running');

  let closing: Promise<void> | undefined;
  return {
    db,
    tools,
    recording,
    recordStore,
    outbox,
    uplink,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await recording.stop();
        // a clean stop sends no Last Will: say "offline" ourselves
        uplink?.publishRetained(topics.wardStatus(config.ward.id), { state: 'offline', ward: config.ward.id });
        await uplink?.stop();
        db.close();
      })();
      return closing;
    },
  };
}
