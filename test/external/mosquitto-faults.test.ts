// External broker mode with Debian's Mosquitto 2 (persistence on, saved only every 60 s): "nothing lost, nothing
// doubled" end to end, while the test SIGKILLs Mosquitto 3 times and the hub process 4 times. Each Mosquitto kill
// comes while the hub is down, so Mosquitto holds the wards' messages in the hub's session, unsaved, and loses them:
// only the boxes' outboxes, which keep each message until the hub's `cmd/ack`, can bring them back.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { testWard } from '../../testing/hub/test-support.js';
import { edgeState, hubCount, hubIncidents, producedEvents, sleep, startProducer } from '../uplink/processes.js';
import { COUNTS_PER_MINUTE, SIGHTINGS_PER_BATCH } from '../uplink/street-load.js';
import { startExternalHub, tracker, writeBrokerFiles, writeExternalHubConfig } from './external-hub.js';
import { findMosquitto, freePort, mosquitto } from './mosquitto.js';

const found = findMosquitto();
if ('missing' in found) console.log(`skipped: external broker fault test: ${found.missing}`);

const events = testWard('p01');
const street = testWard('p02');
const EVENTS = 1500;
const STEPS = 240;
const END_SCORE = 0.6 + 2 * 0.1;

describe.skipIf('missing' in found)('external broker mode on Mosquitto 2 (real broker, hub and box processes)', () => {
  it('holds each event, sighting and count exactly once after 3 SIGKILLs of Mosquitto and 4 of the hub', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-external-'));
    const port = await freePort();
    const config = writeExternalHubConfig(dir, port, [events, street]);
    // the broker's files as an installer makes them (test/external/external-hub.ts)
    const { passwordFile, aclFile } = await writeBrokerFiles(dir, config, [events, street]);

    const broker = track(mosquitto({ binary: (found as { path: string }).path, dir, port, passwordFile, aclFile, autosaveSeconds: 60 }));
    await broker.start();
    let hub = track(await startExternalHub(config));

    const eventsDb = path.join(dir, 'p01.db');
    const streetDb = path.join(dir, 'p02.db');
    const p1 = track(startProducer({ db: eventsDb, port, ward: events, events: EVENTS, rate: 30, resendMs: 2000 }));
    const p2 = track(startProducer({ db: streetDb, port, ward: street, events: STEPS, street: true, rate: 5, resendMs: 2000 }));
    await expect.poll(() => hubCount(dir, 'SELECT count(*) FROM seen_msgs'), { timeout: 60_000, interval: 50 }).toBeGreaterThan(100);

    let lostWithTheBroker = 0;
    let producedAtLastBrokerKill = 0;
    for (let round = 0; round < 3; round++) {
      await sleep(1000 + Math.random() * 2000);
      // the hub goes down: Mosquitto queues the wards' messages in its session (in memory, not saved yet)
      await hub.kill();
      const atHubKill = hubCount(dir, 'SELECT count(*) FROM seen_msgs');
      await sleep(1000 + Math.random() * 1000);
      const waiting = edgeState(eventsDb).outbox + edgeState(streetDb).outbox;
      if (waiting > 0) lostWithTheBroker++;
      producedAtLastBrokerKill = edgeState(eventsDb).produced;
      await broker.kill();
      await sleep(300);
      await broker.start();
      hub = track(await startExternalHub(config));
      expect(hubCount(dir, 'SELECT count(*) FROM seen_msgs')).toBeGreaterThanOrEqual(atHubKill);
    }
    // and once more the hub alone, during ingest
    await sleep(1000);
    await hub.kill();
    hub = track(await startExternalHub(config));
    // the kills came while the boxes still had messages the hub had not confirmed
    expect(lostWithTheBroker).toBeGreaterThan(0);
    expect(producedAtLastBrokerKill).toBeLessThan(EVENTS);

    for (const p of [p1, p2]) {
      await p.line((e) => e.drained === true);
      expect(await p.exit).toBe(0);
    }

    // events: each one incident, ended, with its final fields; every message applied once (a new msgId each)
    const incidents = new Map(hubIncidents(dir).map((r) => [r.id, r]));
    const produced = producedEvents(eventsDb);
    expect(produced).toHaveLength(EVENTS);
    expect(incidents.size).toBe(EVENTS);
    const wrong = produced.filter(({ event_id, start }) => {
      const r = incidents.get(event_id);
      return !(r && r.state === 'ended' && r.start === start && r.end === start + 5000 && r.score === END_SCORE && r.top_score === END_SCORE);
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    // sightings and counts: each once
    expect(hubCount(dir, 'SELECT count(*) FROM sightings')).toBe(STEPS * SIGHTINGS_PER_BATCH);
    expect(hubCount(dir, 'SELECT count(*) FROM count_minutes')).toBe(STEPS / 12);
    expect(hubCount(dir, 'SELECT coalesce(sum(n), 0) FROM counts')).toBe((STEPS / 12) * COUNTS_PER_MINUTE);
    // (a counts message is kept by minute and msgId order, not in seen_msgs)
    expect(hubCount(dir, 'SELECT count(*) FROM seen_msgs')).toBe(EVENTS * 3 + STEPS);
    expect(hubCount(dir, 'SELECT count(*) FROM invalid_messages')).toBe(0);
    expect(edgeState(eventsDb).outbox).toBe(0);
    expect(edgeState(streetDb).outbox).toBe(0);
  }, 420_000);
});
