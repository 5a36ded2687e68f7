// The two streams on one clock, end to end: a box watching the dense street scene raises alerts for cars on the
// road; each alert's snapshot (a main-stream frame picked by the detection's time, from the sub stream) must show
// its car inside the box, and each clip must begin at the alert's start minus the pre-roll. The fake camera knows
// which scene frame every recorded packet is (test-fixtures/camera/segment-truth.ts), so "the frame the snapshot
// used" and "the clip's first frame" are facts, not estimates.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../shared/db.js';
import { locateFfmpeg, type FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { edgeMigrations } from '../../edge/db.js';
import { iou } from '../../edge/geometry.js';
import type { EventRow } from '../../edge/events/store.js';
import { RecordStore } from '../../edge/record/store.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { pathObjectsOf, streetBoxAt } from '../../test-fixtures/camera/path-truth.js';
import { segmentTruth } from '../../test-fixtures/camera/segment-truth.js';
import { STREET_ZONES } from '../../test-fixtures/camera/street-scene.js';
import { boxCamera, boxParts, type BoxParts } from '../box.js';

const run = promisify(execFile);
const ALERTS = 20;
const MAIN = { width: 1280, height: 720, fps: 15 };
const FRAME_MS = 1000 / MAIN.fps;
const PRE_ROLL_S = 3;

let tools: FfmpegTools;
let farm: CameraFarm;
let db: Db;
let store: RecordStore;
let box: BoxParts;
let root: string;

beforeAll(async () => {
  tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 1, scene: 'street', loopSeconds: 60 });
  // the feeder's very first frame reaches it a frame late against the rest: start past it
  await new Promise((r) => setTimeout(r, 3000));
  root = mkdtempSync(path.join(tmpdir(), 'ww-align-'));
  db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  store = new RecordStore(db);
  const cam = farm.cameras[0]!;
  const road = STREET_ZONES.find((z) => z.id === 'road')!;
  box = boxParts({
    cameras: [
      boxCamera('cam-s', cam.urlWithCredentials('main'), cam.urlWithCredentials('sub'), {
        zones: [{ id: 'road', polygon: road.polygon.map(([x, y]) => [x, y] as [number, number]) }],
        alerts: [{ id: 'cars', kind: 'presence', zone: 'road', labels: ['car'] }],
        record: { enabled: true, segmentSeconds: 4, retainDays: 1 },
        events: { preRollSeconds: PRE_ROLL_S, postRollSeconds: 2, endAfterSeconds: 2, retainDays: 1 },
      }),
    ],
    db,
    store,
    tools,
    logger: silentLogger(),
    root,
    threads: 2,
  });
  await box.start();
  // until 20 alerts have their snapshot and clip (a car is on the road for ~6 s: about a minute)
  const deadline = Date.now() + 200_000;
  while (finished().length < ALERTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
}, 300_000);

afterAll(async () => {
  await box?.stop();
  await farm?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function finished(): EventRow[] {
  const ids = db.prepare("SELECT id FROM events WHERE camera = 'cam-s' AND clip_state = 'done' AND snapshot_path IS NOT NULL ORDER BY start_ms").all() as { id: string }[];
  return ids.map((r) => box.events.events.get(r.id)!);
}

/** Packets of a file ffprobe reads, with their pts: how many an edit list hides before the first shown frame. */
async function hiddenPackets(file: string): Promise<number> {
  const { stdout } = await run(tools.ffprobe.path, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n').filter((t) => Number(t) < 0).length;
}

describe('an alert on the dense street', () => {
  it(`puts its snapshot box on its car in the main-stream frame wherever the detector's box fits its car (${ALERTS} alerts)`, async () => {
    const alerts = finished().slice(0, ALERTS);
    expect(alerts.length, 'alerts with a snapshot and a clip within 200 s').toBe(ALERTS);
    const cam = farm.cameras[0]!;
    const objects = pathObjectsOf(cam.groundTruth);
    const loopFrames = cam.groundTruth.loopSeconds * MAIN.fps;
    const report: string[] = [];
    const poorBoxes: string[] = [];
    for (const a of alerts) {
      // the frame the snapshot took: the segment holding bestAt, at the offset the finisher asked ffmpeg for
      const segment = store.segmentsInRange(a.camera, a.bestAtMs, a.bestAtMs + 1)[0]!;
      const truth = await segmentTruth({ ffprobePath: tools.ffprobe.path, camera: cam, stream: 'main', file: segment.path, approxStartMs: segment.startMs });
      const k = Math.ceil((a.bestAtMs - segment.startMs - 33) / FRAME_MS - 1e-6);
      const loopOffset = ((truth.sceneFrame + k) % loopFrames) / MAIN.fps;
      const drawn = { x: a.box.x * MAIN.width, y: a.box.y * MAIN.height, w: a.box.w * MAIN.width, h: a.box.h * MAIN.height };
      const bestAt = (offset: number) => {
        let best = 0;
        for (const o of objects) {
          if (o.label !== 'car') continue;
          const b = streetBoxAt(o, offset);
          if (b) best = Math.max(best, iou(drawn, { x: b.x, y: b.y, w: b.width, h: b.height }));
        }
        return best;
      };
      const best = bestAt(loopOffset);
      // the same box against the truth at the detection frame's own time: a low figure there is the detector's box
      // (a car half hidden, two cars in one box), not the clock
      const atDetection = bestAt(cam.loopOffsetSeconds(a.bestAtMs, 'sub')!);
      if (atDetection < 0.5) poorBoxes.push(`${a.id}: the detector's box has IoU ${atDetection.toFixed(2)} with its car`);
      else if (best < 0.5) report.push(`${a.id}: IoU ${best.toFixed(2)} in the snapshot's frame (loop ${loopOffset.toFixed(2)} s), ${atDetection.toFixed(2)} at the detection's`);
    }
    if (poorBoxes.length) console.log(`alignment: ${poorBoxes.length} of ${alerts.length} alerts had a poor detector box:\n  ${poorBoxes.join('\n  ')}`);
    expect(report).toEqual([]);
    expect(poorBoxes.length).toBeLessThanOrEqual(2);
  });

  it('cuts each clip to begin at the alert\'s start minus the pre-roll, to the frame', async () => {
    const alerts = finished().slice(0, ALERTS);
    const cam = farm.cameras[0]!;
    const report: string[] = [];
    for (const a of alerts) {
      const truth = await segmentTruth({ ffprobePath: tools.ffprobe.path, camera: cam, stream: 'main', file: a.clipPath!, approxStartMs: a.start });
      // the clip starts at a keyframe; its edit list hides the frames before the asked moment
      const firstShown = truth.startMs + (await hiddenPackets(a.clipPath!)) * FRAME_MS;
      // start − pre-roll, unless the recording began later (the first alerts, as the box starts)
      const asked = a.start - PRE_ROLL_S * 1000;
      const recordedFrom = store.segmentsOf(a.camera)[0]!.startMs;
      expect(a.clipStartMs).toBe(Math.max(asked, recordedFrom));
      if (Math.abs(firstShown - a.clipStartMs!) > FRAME_MS) report.push(`${a.id}: first frame ${Math.round(firstShown - a.clipStartMs!)} ms from start − pre-roll`);
    }
    expect(report).toEqual([]);
  });
});
