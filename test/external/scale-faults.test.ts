// Two hub processes on Debian's Mosquitto 2 and PostgreSQL 15 (issue #20's fault test): two boxes publish 5 000
// messages of events, sightings and counts while the test SIGKILLs a hub process 10 times (the other goes on, then
// the killed one comes back under its own client id), Mosquitto 3 times (persistence on, saved only every 60 s) and
// PostgreSQL once. The index must hold each event, sighting and count exactly once, in its final state: the boxes
// keep each message in their outbox until a hub process has committed it and said so (`cmd/ack`).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { skipWithoutPostgres, startPostgres } from '../../testing/postgres.js';
import { testWard } from '../../testing/hub/test-support.js';
import { edgeState, producedEvents, sleep, startProducer, type Child, type IncidentRow } from '../uplink/processes.js';
import { COUNTS_PER_MINUTE, SIGHTINGS_PER_BATCH } from '../uplink/street-load.js';
import { startExternalHub, tracker, writeBrokerFiles, writeExternalHubConfig } from './external-hub.js';
import { findMosquitto, freePort, mosquitto } from './mosquitto.js';

const found = findMosquitto();
if ('missing' in found) console.log(`skipped: two hubs on Mosquitto and PostgreSQL: ${found.missing}`);
const noPostgres = skipWithoutPostgres('two hubs on Mosquitto and PostgreSQL');

const events = testWard('p01');
const street = testWard('p02');
// 1 450 events × 3 messages + 600 sighting batches + 50 count minutes = 5 000 messages
const EVENTS = 1450;
const STEPS = 600;
const END_SCORE = 0.6 + 2 * 0.1;

type Fault = 'hub' | 'mosquitto' | 'postgres';
/** 14 faults in a shuffled order: 10 of a hub process, 3 of Mosquitto, 1 of PostgreSQL */
function faultPlan(): Fault[] {
  const plan: Fault[] = [...Array<Fault>(10).fill('hub'), 'mosquitto', 'mosquitto', 'mosquitto', 'postgres'];
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [plan[i], plan[j]] = [plan[j]!, plan[i]!];
  }
  return plan;
}

describe.skipIf('missing' in found || noPostgres)('two hub processes on Mosquitto 2 and PostgreSQL 15 (real processes)', () => {
  it('hold each event, sighting and count once after 10 SIGKILLs of a hub, 3 of Mosquitto and 1 of PostgreSQL', async ({ expect, onTestFinished }) => {
    const track = tracker(onTestFinished);
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-scale-faults-'));
    const database = await startPostgres();
    onTestFinished(() => database.close());
    const conn = await database.createDatabase();
    const url = `postgres://${conn.user}@${conn.host}:${conn.port}/${conn.database}`;
    const index = new pg.Pool({ ...conn, max: 2 });
    index.on('error', () => {}); // the pool's idle connections die with the server; queries retry below
    onTestFinished(() => index.end());
    // (finished hooks run in reverse: the pool ends before the server closes)
    const count = async (sql: string): Promise<number> => {
      for (;;) {
        try {
          return Number((await index.query<{ n: string }>(sql)).rows[0]!.n);
        } catch {
          await sleep(200); // the server is restarting
        }
      }
    };

    const port = await freePort();
    const configs = ['hub-a', 'hub-b'].map((clientId) => writeExternalHubConfig(dir, port, [events, street], { clientId, file: `${clientId}.yaml`, postgresUrl: url }));
    const { passwordFile, aclFile } = await writeBrokerFiles(dir, configs[0]!, [events, street]);
    const broker = track(mosquitto({ binary: (found as { path: string }).path, dir, port, passwordFile, aclFile, autosaveSeconds: 60 }));
    await broker.start();
    // the first process migrates the index; the second finds it migrated
    const hubs: Child[] = [track(await startExternalHub(configs[0]!)), track(await startExternalHub(configs[1]!))];

    const eventsDb = path.join(dir, 'p01.db');
    const streetDb = path.join(dir, 'p02.db');
    const p1 = track(startProducer({ db: eventsDb, port, ward: events, events: EVENTS, rate: 20, resendMs: 2000 }));
    const p2 = track(startProducer({ db: streetDb, port, ward: street, events: STEPS, street: true, rate: 8, resendMs: 2000 }));
    await expect.poll(() => count('SELECT count(*) AS n FROM seen_msgs'), { timeout: 60_000, interval: 100 }).toBeGreaterThan(100);

    const done: Fault[] = [];
    for (const fault of faultPlan()) {
      await sleep(1000 + Math.random() * 1500);
      if (fault === 'hub') {
        // one of the two, in turn; the other takes the boxes' messages (and their resends) meanwhile
        const i = done.filter((f) => f === 'hub').length % 2;
        await hubs[i]!.kill();
        await sleep(500 + Math.random() * 1000);
        hubs[i] = track(await startExternalHub(configs[i]!));
      } else if (fault === 'mosquitto') {
        await broker.kill();
        await sleep(300);
        await broker.start();
      } else {
        // both hubs lose the index: their batches fail unacknowledged and the boxes send again
        await database.kill();
        await sleep(1000);
        await database.restart();
      }
      done.push(fault);
    }
    expect(done.filter((f) => f === 'hub')).toHaveLength(10);
    // the faults came while the boxes were still producing
    expect(edgeState(eventsDb).produced).toBeLessThan(EVENTS);

    for (const p of [p1, p2]) {
      await p.line((e) => e.drained === true);
      expect(await p.exit).toBe(0);
    }

    const incidents = new Map((await index.query<IncidentRow>('SELECT * FROM incidents')).rows.map((r) => [r.id, r]));
    const produced = producedEvents(eventsDb);
    expect(produced).toHaveLength(EVENTS);
    expect(incidents.size).toBe(EVENTS);
    const wrong = produced.filter(({ event_id, start }) => {
      const r = incidents.get(event_id);
      return !(r && r.state === 'ended' && Number(r.start) === start && Number(r.end) === start + 5000 && r.score === END_SCORE && r.top_score === END_SCORE);
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(await count('SELECT count(*) AS n FROM sightings')).toBe(STEPS * SIGHTINGS_PER_BATCH);
    expect(await count('SELECT count(*) AS n FROM count_minutes')).toBe(STEPS / 12);
    expect(await count('SELECT coalesce(sum(n), 0) AS n FROM counts')).toBe((STEPS / 12) * COUNTS_PER_MINUTE);
    expect(await count('SELECT count(*) AS n FROM seen_msgs')).toBe(EVENTS * 3 + STEPS);
    expect(await count('SELECT count(*) AS n FROM invalid_messages')).toBe(0);
    expect(edgeState(eventsDb).outbox).toBe(0);
    expect(edgeState(streetDb).outbox).toBe(0);
  }, 600_000);
});
