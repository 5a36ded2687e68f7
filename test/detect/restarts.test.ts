// Ten restarts of the detection reader in the middle of crossings: the reader's first frames after a (re)connect
// are old (the camera's cached GOP, what ffmpeg read while probing), and were once taken as live, so one object
// made two events. Now they are recognised by their timestamps: one object, one track, one event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordDefaults } from '../../shared/config/edge.js';
import { openDb, type Db } from '../../shared/db.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { edgeMigrations } from '../../edge/db.js';
import type { EventRow } from '../../edge/events/store.js';
import { RecordStore } from '../../edge/record/store.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { ANY_OBJECT, boxCamera, boxParts, type BoxParts } from '../box.js';

const RESTARTS = 10;
/** seconds into a crossing at which the reader is killed (a crossing of the traffic scene lasts 10 s) */
const KILL_AT = [3, 6];

let farm: CameraFarm;
let db: Db;
let box: BoxParts;
let root: string;
const crossings: { enter: number; leave: number; kills: number[] }[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const tools = await locateFfmpeg();
  farm = await startCameraFarm({ count: 1, scene: 'traffic', loopSeconds: 60 });
  const cam = farm.cameras[0]!;
  root = mkdtempSync(path.join(tmpdir(), 'ww-restarts-'));
  db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  box = boxParts({
    cameras: [boxCamera('cam-r', cam.urlWithCredentials('main'), cam.urlWithCredentials('sub'), { ...ANY_OBJECT, record: { ...recordDefaults, enabled: false } })],
    db,
    store: new RecordStore(db),
    tools,
    logger: silentLogger(),
    root,
  });
  await box.start();
  // the crossings to come (wall clock), from the scene's schedule
  const loopStart = cam.loopStartedAtMs(Date.now(), 'sub')!;
  const loopMs = cam.groundTruth.loopSeconds * 1000;
  const upcoming = [];
  for (let k = 0; k < 6; k++) {
    for (const o of cam.groundTruth.objects) upcoming.push({ enter: loopStart + k * loopMs + o.enterSeconds * 1000, leave: loopStart + k * loopMs + o.leaveSeconds * 1000 });
  }
  // the detector needs a few seconds to start: the first crossing that begins after that
  const first = upcoming.filter((c) => c.enter > Date.now() + 5000).sort((a, b) => a.enter - b.enter);
  let restarts = 0;
  for (const c of first) {
    if (restarts >= RESTARTS) break;
    const kills: number[] = [];
    for (const s of KILL_AT) {
      await sleep(c.enter + s * 1000 - Date.now());
      const pid = box.detection.pids()[0];
      if (pid === undefined) continue; // still restarting from the last kill: no restart to count
      process.kill(pid, 'SIGKILL');
      kills.push(Date.now());
      restarts++;
    }
    crossings.push({ ...c, kills });
  }
  // the last crossing's event ends (its object gone, then endAfter)
  await sleep(crossings.at(-1)!.leave + 8000 - Date.now());
}, 360_000);

afterAll(async () => {
  await box?.stop();
  await farm?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the detection reader restarted in the middle of crossings', () => {
  it(`makes one event per object, ${RESTARTS} restarts`, () => {
    const events = db.prepare("SELECT id FROM events WHERE camera = 'cam-r' ORDER BY start_ms").all().map((r) => box.events.events.get((r as { id: string }).id)!) as EventRow[];
    expect(crossings.reduce((n, c) => n + c.kills.length, 0)).toBe(RESTARTS);
    const report: string[] = [];
    for (const c of crossings) {
      const mine = events.filter((e) => e.start <= c.leave + 1000 && (e.end ?? e.lastSeenMs) >= c.enter - 1000);
      if (mine.length !== 1) report.push(`crossing ${new Date(c.enter).toISOString()}: ${mine.length} events (${mine.map((e) => e.label).join(', ')}), kills at +${c.kills.map((k) => k - c.enter).join(', +')} ms`);
    }
    expect(report).toEqual([]);
  });
});
