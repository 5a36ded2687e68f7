// "0 lost, 0 doubled" for the uplink, with real processes: the hub (`wardwatch hub`) and a synthetic ward
// (test/uplink/producer.ts: real outbox + uplink) as children, SIGKILLed at random moments.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, type ExpectStatic, type TestContext } from 'vitest';
import { testWard } from '../../testing/hub/test-support.js';
import {
  edgeState,
  hubCount,
  hubIncidents,
  hubRoot,
  producedEvents,
  sha256OfFile,
  sleep,
  startHubProcess,
  startProducer,
  withDb,
  writeHubConfig,
  type Child,
} from './processes.js';
import { COUNTS_PER_MINUTE, SIGHTINGS_PER_BATCH } from './street-load.js';

const ward = testWard('p01');
const EVENTS = 2000;
const END_SCORE = 0.6 + 2 * 0.1;

/** Kills whatever a test started when it ends (the tests run at once, so each keeps its own list). */
function tracker(onTestFinished: TestContext['onTestFinished']): <T extends Child>(c: T) => T {
  const children: Child[] = [];
  onTestFinished(async () => {
    await Promise.all(children.map((c) => c.kill()));
  });
  return (c) => {
    children.push(c);
    return c;
  };
}

const random = (min: number, max: number) => min + Math.random() * (max - min);

function workDir(): { dir: string; edgeDb: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-uplink-faults-'));
  return { dir, edgeDb: path.join(dir, 'edge.db') };
}

/** Every produced event is one incident at the hub, ended, with the end message's fields; nothing else is there. */
function expectAllFinal(expect: ExpectStatic, dir: string, edgeDb: string): void {
  const produced = producedEvents(edgeDb);
  expect(produced).toHaveLength(EVENTS);
  const incidents = new Map(hubIncidents(dir).map((r) => [r.id, r]));
  expect(incidents.size).toBe(EVENTS);
  const wrong = produced.flatMap(({ n, event_id, start }) => {
    const r = incidents.get(event_id);
    const ok = r && r.state === 'ended' && r.start === start && r.end === start + 5000 && r.score === END_SCORE && r.top_score === END_SCORE;
    return ok ? [] : [{ n, event_id, got: r ?? 'missing' }];
  });
  expect(wrong.slice(0, 5)).toEqual([]);
  // every message (start, update, end of each event) applied exactly once: a step produced twice would be a new msgId
  expect(hubCount(dir, 'SELECT count(*) FROM seen_msgs')).toBe(EVENTS * 3);
  expect(hubCount(dir, 'SELECT count(*) FROM invalid_messages')).toBe(0);
  const edge = edgeState(edgeDb);
  expect(edge.outbox).toBe(0);
  expect(edge.clips).toEqual([]);
}

async function finishProducer(expect: ExpectStatic, p: Child): Promise<void> {
  await p.line((e) => e.drained === true);
  expect(await p.exit).toBe(0);
}

// The tests run at once: the 60 s outage mostly waits, and the file stays near its length. Timeouts are
// generous: on a loaded 2-core CI box twenty process restarts take minutes, not seconds.
describe.concurrent('uplink under faults (real hub and producer processes)', () => {
  it('loses and doubles nothing while the producer is SIGKILLed and restarted 20 times', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const { dir, edgeDb } = workDir();
    const hub = track(startHubProcess(writeHubConfig(dir, [ward])));
    const port = await hub.port;

    let killsWithBacklog = 0;
    for (let kill = 0; kill < 20; kill++) {
      const p = track(startProducer({ db: edgeDb, port, ward, events: EVENTS, rate: 300 }));
      await p.line((e) => 'started' in e);
      await sleep(random(30, 400));
      await p.kill();
      if (edgeState(edgeDb).outbox > 0) killsWithBacklog++;
    }
    // the kills hit while it was producing and sending, not after
    expect(edgeState(edgeDb).produced).toBeLessThan(EVENTS);
    expect(killsWithBacklog).toBeGreaterThan(0);

    await finishProducer(expect, track(startProducer({ db: edgeDb, port, ward, events: EVENTS, rate: 300 })));
    expectAllFinal(expect, dir, edgeDb);
  }, 300_000);

  it('loses and doubles nothing while the hub is SIGKILLed and restarted 10 times during ingest', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const { dir, edgeDb } = workDir();
    const first = track(startHubProcess(writeHubConfig(dir, [ward])));
    const port = await first.port;
    const config = writeHubConfig(dir, [ward], port); // the same port every time, as a real hub has
    // slow enough that ten restarts of the hub (each a few seconds on a loaded box) all fall within production
    const producer = track(startProducer({ db: edgeDb, port, ward, events: EVENTS, rate: 30 }));

    let hub = first;
    let ingested = 0;
    for (let kill = 0; kill < 10; kill++) {
      // once this hub is taking messages in, at a random moment
      const before = ingested;
      await expect.poll(() => hubCount(dir, 'SELECT count(*) FROM seen_msgs'), { timeout: 90_000, interval: 20 }).toBeGreaterThan(before);
      await sleep(random(0, 600));
      await hub.kill();
      ingested = hubCount(dir, 'SELECT count(*) FROM seen_msgs');
      hub = track(startHubProcess(config));
      expect(await hub.port).toBe(port);
    }
    // the last kill still came during ingest, not after it
    expect(ingested).toBeLessThan(EVENTS * 3);

    await finishProducer(expect, producer);
    expectAllFinal(expect, dir, edgeDb);
  }, 300_000);

  it('delivers everything the edge produced while the hub was down for 60 s, once it is back', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const { dir, edgeDb } = workDir();
    const first = track(startHubProcess(writeHubConfig(dir, [ward])));
    const port = await first.port;
    const config = writeHubConfig(dir, [ward], port);
    // 35 events a second: production goes on through the outage
    const producer = track(startProducer({ db: edgeDb, port, ward, events: EVENTS, rate: 35 }));
    await expect.poll(() => hubCount(dir, 'SELECT count(*) FROM incidents'), { timeout: 90_000, interval: 100 }).toBeGreaterThan(20);

    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    const atStop = { edge: edgeState(edgeDb), hub: hubCount(dir, 'SELECT count(*) FROM seen_msgs') };
    await sleep(60_000);
    const atRestart = edgeState(edgeDb);
    // the edge kept producing into its outbox, and nothing reached the hub
    expect(atRestart.produced).toBeGreaterThan(atStop.edge.produced + 500);
    expect(atRestart.outbox).toBeGreaterThan(1500);
    expect(hubCount(dir, 'SELECT count(*) FROM seen_msgs')).toBe(atStop.hub);

    const hub = track(startHubProcess(config));
    expect(await hub.port).toBe(port);
    await finishProducer(expect, producer);
    expectAllFinal(expect, dir, edgeDb);
  }, 300_000);

  it('delivers an hour of a busy camera\'s sightings and counts, made while the hub was away, once each though the box is SIGKILLed during the backlog', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const { dir, edgeDb } = workDir();
    const first = track(startHubProcess(writeHubConfig(dir, [ward])));
    const port = await first.port;
    const config = writeHubConfig(dir, [ward], port);
    first.child.kill('SIGTERM');
    expect(await first.exit).toBe(0);

    // an hour offline: 720 five-second batches of sightings and 60 minutes of counts wait in the box's outbox
    const STEPS = 720;
    const offline = track(startProducer({ db: edgeDb, port, ward, events: STEPS, street: true }));
    await offline.line((e) => 'produced' in e);
    await offline.kill();
    expect(edgeState(edgeDb).outbox).toBe(STEPS + STEPS / 12);

    // the hub is back; the box is killed again and again while it drains the backlog
    const hub = track(startHubProcess(config));
    expect(await hub.port).toBe(port);
    let killsWithBacklog = 0;
    for (let kill = 0; kill < 6; kill++) {
      const p = track(startProducer({ db: edgeDb, port, ward, events: STEPS, street: true }));
      await p.line((e) => 'started' in e);
      await sleep(random(100, 700));
      await p.kill();
      if (edgeState(edgeDb).outbox > 0) killsWithBacklog++;
    }
    expect(killsWithBacklog).toBeGreaterThan(0);
    await finishProducer(expect, track(startProducer({ db: edgeDb, port, ward, events: STEPS, street: true })));

    expect(hubCount(dir, 'SELECT count(*) FROM sightings')).toBe(STEPS * SIGHTINGS_PER_BATCH);
    expect(hubCount(dir, "SELECT count(*) FROM sightings WHERE label = 'car' AND thumbnail IS NOT NULL")).toBe((STEPS * SIGHTINGS_PER_BATCH) / 2);
    expect(hubCount(dir, 'SELECT count(*) FROM count_minutes')).toBe(STEPS / 12);
    expect(hubCount(dir, 'SELECT coalesce(sum(n), 0) FROM counts')).toBe((STEPS / 12) * COUNTS_PER_MINUTE);
    expect(hubCount(dir, 'SELECT count(*) FROM invalid_messages')).toBe(0);
    expect(edgeState(edgeDb).outbox).toBe(0);
  }, 300_000);

  it('resumes a clip transfer cut half-way by a SIGKILL of the edge; the hub file hashes like the edge file', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const { dir, edgeDb } = workDir();
    const clip = path.join(dir, 'clip.mp4');
    writeFileSync(clip, randomBytes(20 * 1024 * 1024));
    const hub = track(startHubProcess(writeHubConfig(dir, [ward])));
    const port = await hub.port;
    const hubDb = path.join(hubRoot(dir), 'hub.db');
    const transfer = () =>
      withDb(hubDb, (db) => db.prepare('SELECT msg_id, state, received_count, chunks FROM clip_transfers').get()) as
        | { msg_id: string; state: string; received_count: number; chunks: number }
        | undefined;

    const first = track(startProducer({ db: edgeDb, port, ward, events: 1, clip }));
    await expect.poll(() => transfer()?.received_count ?? 0, { timeout: 90_000, interval: 5 }).toBeGreaterThanOrEqual(40);
    await first.kill();

    const cut = transfer()!;
    expect(cut.state).toBe('receiving');
    expect(cut.received_count).toBeLessThan(cut.chunks);
    const [upload] = edgeState(edgeDb).clips;
    expect(upload).toMatchObject({ manifest_acked: 1, state: 'pending' });
    // the edge kept its progress: the next run starts from there, not from chunk 0
    expect(upload!.next_chunk).toBeGreaterThan(0);
    expect(upload!.next_chunk).toBeLessThan(upload!.chunks);

    await finishProducer(expect, track(startProducer({ db: edgeDb, port, ward, events: 1, clip })));

    // the same transfer went on (its manifest was not sent again as a new one) and completed; the hub verifies
    // the sha256 after acknowledging the last chunk, so 'present' may come a moment after the edge is done
    await expect.poll(() => transfer()?.state, { timeout: 60_000 }).toBe('present');
    expect(transfer()).toMatchObject({ msg_id: cut.msg_id, received_count: cut.chunks });
    const [incident] = hubIncidents(dir);
    const edgeSha = await sha256OfFile(clip);
    expect(incident).toMatchObject({ clip_state: 'present', clip_sha256: edgeSha, state: 'ended' });
    expect(await sha256OfFile(path.join(hubRoot(dir), incident!.clip_path!))).toBe(edgeSha);
    expect(edgeState(edgeDb)).toMatchObject({ outbox: 0, clips: [] });
  }, 300_000);
});
