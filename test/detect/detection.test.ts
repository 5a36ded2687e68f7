// Detection end to end: fake cameras (traffic, quiet, traffic under a mask), real ffmpeg, the real model in its
// worker, recording on: events against the scene's ground truth, snapshots, clips, outbox messages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsDefaults, recordDefaults } from '../../shared/config/edge.js';
import type { ResolvedCamera } from '../../shared/config/load.js';
import { clipManifestSchema, eventMessageSchema, type EventMessage } from '../../shared/contract/index.js';
import { openDb, type Db } from '../../shared/db.js';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { probe } from '../../shared/ffmpeg/probe.js';
import { createLogger, silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm, type FakeCamera } from '../../test-fixtures/camera/index.js';
import { edgeMigrations } from '../../edge/db.js';
import { DetectionService } from '../../edge/detect/service.js';
import type { EventService } from '../../edge/events/service.js';
import { ANY_OBJECT, boxCamera, boxParts } from '../box.js';
import { packagedModel } from '../../edge/detect/model-file.js';
import type { EventRow } from '../../edge/events/store.js';
import type { RecordingService } from '../../edge/record/service.js';
import { RecordStore } from '../../edge/record/store.js';
import { Outbox } from '../../edge/uplink/outbox.js';

const MODEL = packagedModel().path;
const WARMUP_MS = 4000;
const PRE_RECORD_MS = 8000;
const WATCH_MS = 62_000;
const END_AFTER_S = eventsDefaults.endAfterSeconds;

let tools: FfmpegTools;
let farm: CameraFarm;
let db: Db;
let store: RecordStore;
let outbox: Outbox;
let detection: DetectionService;
let events: EventService;
let recording: RecordingService;
let t0: number;
let traffic: FakeCamera;
const roots: string[] = [];

/** A camera of the farm where every object raises one alert (a presence rule over the whole picture). */
const camera = (id: string, cam: FakeCamera, over: Partial<ResolvedCamera> = {}): ResolvedCamera =>
  boxCamera(id, cam.urlWithCredentials('main'), cam.urlWithCredentials('sub'), { ...ANY_OBJECT, ...over });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wall-clock crossings of the traffic scene (sub stream) that begin after `from` and end before `to`. */
function crossings(cam: FakeCamera, from: number, to: number) {
  const loopStart = cam.loopStartedAtMs(Date.now(), 'sub')!;
  const truth = cam.groundTruth;
  const loopMs = truth.loopSeconds * 1000;
  const out: { label: string; enter: number; leave: number; fullyIn: number }[] = [];
  for (let k = -3; k <= 3; k++) {
    for (const o of truth.objects) {
      const base = loopStart + k * loopMs;
      const c = { label: o.label, enter: base + o.enterSeconds * 1000, leave: base + o.leaveSeconds * 1000, fullyIn: base + o.fullyInFrom * 1000 };
      if (c.leave > from && c.enter < to) out.push(c);
    }
  }
  return out;
}

/** COCO calls the scene's white pick-up a car or a truck (see test-fixtures/camera/scenes.ts). */
const sameObject = (truthLabel: string, label: string) => label === truthLabel || (truthLabel === 'car' && label === 'truck');

beforeAll(async () => {
  tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 3, scenes: ['traffic', 'quiet', 'traffic'], loopSeconds: 60 });
  traffic = farm.cameras[0]!;
  const root = mkdtempSync(path.join(tmpdir(), 'ww-detect-'));
  roots.push(root);
  db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  store = new RecordStore(db);
  outbox = new Outbox(db, 'p07');
  const cameras = [
    camera('cam-t', traffic, { privacyMasks: [[[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1]]] }),
    camera('cam-q', farm.cameras[1]!, { record: { ...recordDefaults, enabled: false } }),
    // the whole band the objects cross
    camera('cam-m', farm.cameras[2]!, { record: { ...recordDefaults, enabled: false }, masks: [[[0, 0.25], [1, 0.25], [1, 0.95], [0, 0.95]]] }),
  ];
  const box = boxParts({ cameras, db, store, outbox, tools, logger: silentLogger(), root, modelPath: MODEL });
  ({ recording, events, detection } = box);
  // recording first, so that the first events have their pre-roll on disk (a recorder's first segment is late)
  await recording.start();
  await sleep(PRE_RECORD_MS);
  events.start();
  await detection.start();
  t0 = Date.now();
  await sleep(WARMUP_MS + WATCH_MS);
  // let the events of the window end and get their snapshots and clips (post-roll + one segment + margin)
  const deadline = Date.now() + (END_AFTER_S + eventsDefaults.postRollSeconds + 30) * 1000;
  const windowEnd = t0 + WARMUP_MS + WATCH_MS;
  while (Date.now() < deadline) {
    const unfinished = events.events.unfinished().filter((e) => e.start < windowEnd);
    if (unfinished.length === 0) break;
    await sleep(500);
  }
}, 240_000);

afterAll(async () => {
  await detection?.stop();
  await events?.stop();
  await recording?.stop();
  await farm?.stop();
  // a minute and a half of 720p recording is ~50 MB
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const eventsOf = (camera: string): EventRow[] => store.db.prepare('SELECT id FROM events WHERE camera = ? ORDER BY start_ms').all(camera).map((r) => events.events.get((r as { id: string }).id)!);

describe('detection on fake cameras', () => {
  it('makes one event per object crossing, with the right label, starting and ending on time', () => {
    const status = detection.status();
    expect(status.detector).toBe('onnx');
    const events = eventsOf('cam-t');
    const all = crossings(traffic, t0 - 120_000, Date.now());
    const report = events.map((e) => `${e.label} start ${e.start - t0} end ${(e.end ?? 0) - t0} top ${e.topScore}`);
    const truth = all.map((c) => `${c.label} enter ${c.enter - t0} fullyIn ${c.fullyIn - t0} leave ${c.leave - t0}`);
    try {
      checkCrossings();
    } catch (error) {
      // what was seen against what was there, to tell a detector miss from a tracking split
      console.log(`events:\n  ${report.join('\n  ')}\ntruth:\n  ${truth.join('\n  ')}\nstatus ${JSON.stringify(status.cameras)}`);
      throw error;
    }
  });

  function checkCrossings(): void {
    const events = eventsOf('cam-t');
    const from = t0 + WARMUP_MS;
    const to = t0 + WARMUP_MS + WATCH_MS;
    const all = crossings(traffic, t0 - 120_000, Date.now());
    const inside = all.filter((c) => c.enter >= from && c.leave + (END_AFTER_S + 1) * 1000 <= to);
    expect(inside.length).toBeGreaterThanOrEqual(2);
    // every event is one of the crossings (no false alarm), and no crossing has two events
    const taken = new Map<object, EventRow[]>();
    for (const e of events) {
      const c = all.find((c) => sameObject(c.label, e.label) && e.start <= c.leave + 1000 && (e.end ?? Infinity) >= c.enter - 1000);
      expect(c, `event ${e.label} at ${e.start - t0} ms matches no crossing`).toBeDefined();
      taken.set(c!, [...(taken.get(c!) ?? []), e]);
    }
    for (const c of inside) {
      const matched = taken.get(c) ?? [];
      expect(matched.map((e) => e.label), `${c.label} entering at ${c.enter - t0} ms`).toHaveLength(1);
      const e = matched[0]!;
      // not before it enters; within 1.5 s of being whole in the picture (the target of bench:detect): a large
      // object entering slowly, like the bicycle, cannot be recognised from its first sliver, and a track is
      // confirmed after 4 matches (0.8 s at 5 fps)
      expect(e.start - c.enter).toBeGreaterThanOrEqual(-500);
      expect(e.start - c.fullyIn).toBeLessThanOrEqual(1500);
      expect(e.state).toBe('ended');
      // its end is its last sighting: the exit (the lifecycle table tests pin that it is declared endAfter later)
      expect(Math.abs(e.end! - c.leave)).toBeLessThanOrEqual(1500);
    }
  }

  it('queues start and end messages the contract accepts, the end one with a JPEG snapshot showing the box', async () => {
    const rows = outbox.next(0, 1000);
    const messages = rows.filter((r) => r.topic === 'wardwatch/v1/p07/events').map((r) => eventMessageSchema.parse(JSON.parse(r.payload.toString())) as EventMessage);
    const ended = eventsOf('cam-t').filter((e) => e.state === 'ended');
    expect(ended.length).toBeGreaterThanOrEqual(2);
    for (const e of ended) {
      const mine = messages.filter((m) => m.event.id === e.id);
      expect(mine[0]!.type).toBe('start');
      expect(mine.at(-1)!.type).toBe('end');
      // message ids grow with each message of the event: the hub keeps the larger one as newer
      const ids = mine.map((m) => m.msgId);
      expect([...ids].sort()).toEqual(ids);
    }
    const end = messages.find((m) => m.type === 'end' && m.event.snapshot !== undefined);
    expect(end, 'an end message with a snapshot').toBeDefined();
    const jpeg = Buffer.from(end!.event.snapshot!, 'base64');
    expect(jpeg.length).toBeLessThanOrEqual(512 * 1024);
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    expect(info.format).toBe('raw');
    expect((await sharp(jpeg).metadata()).format).toBe('jpeg');
    // the box's left edge is drawn red; the privacy mask (top-left 10 %) is black
    const px = (x: number, y: number) => {
      const i = (Math.round(y) * info.width + Math.round(x)) * info.channels;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    };
    const b = end!.event.box;
    const [r, g, bl] = px(b.x * info.width + 1, (b.y + b.h / 2) * info.height);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(110);
    expect(bl).toBeLessThan(110);
    expect(Math.max(...px(info.width * 0.05, info.height * 0.05))).toBeLessThan(30);
  });

  it('cuts a clip by stream copy covering the event with pre- and post-roll, queues it, and leaves its recording deletable', async () => {
    const clipped = eventsOf('cam-t').filter((e) => e.clipState === 'done');
    expect(clipped.length).toBeGreaterThanOrEqual(2);
    const manifests = outbox.next(0, 1000).filter((r) => r.topic.endsWith('/manifest')).map((r) => clipManifestSchema.parse(JSON.parse(r.payload.toString())));
    for (const e of clipped) {
      const p = await probe(tools, e.clipPath!);
      expect(p.streams[0]?.codec).toBe('h264');
      // the recording covered the whole range, so the clip is the event with its pre- and post-roll
      expect(e.clipStartMs).toBe(e.start - eventsDefaults.preRollSeconds * 1000);
      expect(e.clipEndMs).toBe(e.end! + eventsDefaults.postRollSeconds * 1000);
      const expected = (e.end! - e.start) / 1000 + eventsDefaults.preRollSeconds + eventsDefaults.postRollSeconds;
      expect(Math.abs((p.durationSeconds ?? 0) - expected), `clip of ${p.durationSeconds} s, expected ${expected} s`).toBeLessThanOrEqual(2);
      expect(manifests.find((m) => m.eventId === e.id)?.bytes).toBe(e.clipBytes);
      // the clip is a file of its own: once it is cut, nothing keeps its segments from retention or the disk guard
      const protections = store.protectionsInForce(Date.now()).filter((x) => x.fromMs <= e.start && x.toMs >= e.end!);
      expect(protections).toEqual([]);
    }
  });

  it('makes no event on a quiet street or under a mask over the objects\' path', () => {
    expect(eventsOf('cam-q')).toEqual([]);
    expect(eventsOf('cam-m')).toEqual([]);
    const s = detection.status().cameras;
    // the cameras were really watched all along
    for (const id of ['cam-q', 'cam-m']) expect(s.find((c) => c.camera === id)!.frames).toBeGreaterThan(((WARMUP_MS + WATCH_MS) / 1000) * 4);
  });

  it('without a model runs motion-only: says so in the log and in status, and makes no events', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ww-detect-nomodel-'));
    roots.push(root);
    let tracked = 0;
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', destination: { write: (line: string) => void lines.push(line) } });
    const service = new DetectionService({
      cameras: [camera('cam-x', traffic, { record: { ...recordDefaults, enabled: false } })],
      tools,
      logger,
      modelPath: path.join(root, 'models/yolox_nano.onnx'),
      threads: 1,
      onTracks: () => tracked++,
    });
    await service.start();
    try {
      await sleep(4000);
      const status = service.status();
      expect(status.detector).toBe('motion-only');
      expect(status.cameras[0]!.frames).toBeGreaterThan(5);
      expect(status.cameras[0]!.submitted).toBe(0);
      expect(lines.some((l) => /motion-only, NO events/.test(l) && /provision model/.test(l))).toBe(true);
    } finally {
      await service.stop();
    }
    expect(tracked).toBe(0);
  });
});
