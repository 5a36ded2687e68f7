// A synthetic ward for the fault tests: produces N events (start, update, end each) through the real outbox and
// uplink, resuming where it stopped after a SIGKILL. Its own state lives in the same db as the outbox, and each
// state change is committed in the same transaction as the message it causes — exactly as the event pipeline does.
// With --clip FILE it then queues that file as the clip of event 0 (once: the marker commits with the manifest).
// With --street, step n is instead a busy camera's 5 s: a sightings message of SIGHTINGS_PER_BATCH objects, and
// every 12th step also the minute's counts message (COUNTS_PER_MINUTE crossings); --events 720 is an hour.
// Prints {"produced":N} when every event is written, {"drained":true} when the hub has acknowledged everything.
import { parseArgs } from 'node:util';
import { topics, type CountsMessage, type EventMessage, type SightingsMessage } from '../../shared/contract/index.js';
import { openDb } from '../../shared/db.js';
import { createLogger } from '../../shared/log.js';
import { edgeMigrations } from '../../edge/db.js';
import { describeClip, newMsgId, Outbox } from '../../edge/uplink/outbox.js';
import { Uplink } from '../../edge/uplink/uplink.js';
import { Backoff } from '../../shared/backoff.js';
import { COUNTS_PER_MINUTE, SIGHTINGS_PER_BATCH, STEP_MS } from './street-load.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    url: { type: 'string' },
    ward: { type: 'string', default: 'p01' },
    token: { type: 'string', default: '' },
    events: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '0' }, // events per second; 0 = as fast as possible
    clip: { type: 'string' },
    window: { type: 'string', default: '256' },
    batch: { type: 'string', default: '1' }, // steps per transaction (the bench fills a backlog faster this way)
    street: { type: 'boolean', default: false },
    'resend-ms': { type: 'string' }, // first wait before what the hub has not acked is sent again
  },
});
const total = Number(values.events);
const ward = values.ward!;
const db = openDb(values.db!, [
  ...edgeMigrations,
  `CREATE TABLE produced (n INTEGER PRIMARY KEY, event_id TEXT NOT NULL, step INTEGER NOT NULL);
   CREATE TABLE clip_queued (event_id TEXT PRIMARY KEY);
   CREATE TABLE producer_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)`,
]);
const outbox = new Outbox(db, ward);
const logger = createLogger({ name: 'producer', level: 'warn', pretty: false });
const uplink = new Uplink({ outbox, ward, url: values.url!, username: `ward-${ward}`, password: values.token!, logger, backoff: new Backoff({ initialMs: 50, maxMs: 300 }), window: Number(values.window),
  ...(values['resend-ms'] ? { resend: { firstMs: Number(values['resend-ms']), maxMs: 4 * Number(values['resend-ms']) } } : {}) });
uplink.start();

const STEPS = ['start', 'update', 'end'] as const;
const getRow = db.prepare('SELECT event_id AS eventId, step FROM produced WHERE n = ?');
const putRow = db.prepare('INSERT INTO produced (n, event_id, step) VALUES (?, ?, ?) ON CONFLICT (n) DO UPDATE SET step = excluded.step');
// event n starts at base + n s. Fixed at the first run, and recent: the hub's retention deletes incidents
// that started more than incidentDays ago, so a constant date would make them vanish as the calendar moves on.
db.prepare("INSERT OR IGNORE INTO producer_meta (key, value) VALUES ('base', ?)").run(Math.floor(Date.now() / 1000) * 1000 - total * (values.street ? STEP_MS : 1000));
const base = db.prepare("SELECT value FROM producer_meta WHERE key = 'base'").pluck().get() as number;

/** The next step of event n, atomically with its outbox row. */
const step = db.transaction((n: number): void => {
  const row = getRow.get(n) as { eventId: string; step: number } | undefined;
  const eventId = row?.eventId ?? newMsgId(base + n);
  const next = row ? row.step + 1 : 0;
  const type = STEPS[next]!;
  const message: EventMessage = {
    msgId: newMsgId(),
    type,
    event: {
      id: eventId, ward, camera: `cam-${String(n % 32).padStart(2, '0')}`, label: n % 2 ? 'car' : 'person',
      score: 0.6 + next * 0.1, topScore: 0.6 + next * 0.1, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.4 }, zones: [],
      start: base + n * 1000, end: type === 'end' ? base + n * 1000 + 5000 : null,
    },
  };
  outbox.enqueue(topics.events(ward), message);
  putRow.run(n, eventId, next);
});

/** A tiny JPEG's first bytes: the hub checks a thumbnail is one. */
const THUMBNAIL = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 7)]).toString('base64');

/** Step n of --street: five seconds of a busy camera, atomically with its outbox rows (as edge/events/service.ts does). */
const streetStep = db.transaction((n: number): void => {
  const at = base + n * STEP_MS;
  const sightings: SightingsMessage = {
    msgId: newMsgId(),
    ward,
    camera: 'cam-01',
    sightings: Array.from({ length: SIGHTINGS_PER_BATCH }, (_, i) => {
      const car = i % 2 === 0;
      return {
        id: newMsgId(at + i),
        camera: 'cam-01',
        label: car ? ('car' as const) : ('person' as const),
        first: at - 4000 + i,
        last: at + i,
        score: 0.8,
        box: { x: 0.1, y: 0.2, w: 0.1, h: 0.2 },
        bestAt: at - 2000,
        heading: 90,
        lines: [{ line: 'lanes', direction: 'forward' as const, at: at - 1000 }],
        zones: [{ zone: 'road', seconds: 3.5 }],
        ...(car ? { colour: 'red' as const, thumbnail: THUMBNAIL } : {}),
        final: true,
      };
    }),
  };
  outbox.enqueue(topics.sightings(ward), sightings);
  if (n % 12 === 11) {
    const counts: CountsMessage = {
      msgId: newMsgId(),
      ward,
      camera: 'cam-01',
      minute: Math.floor(at / 60_000) * 60_000,
      counts: [
        { line: 'lanes', direction: 'forward', label: 'car', n: COUNTS_PER_MINUTE - 3 },
        { line: 'lanes', direction: 'backward', label: 'motorcycle', n: 3 },
      ],
    };
    outbox.enqueue(topics.counts(ward), counts);
  }
  putRow.run(n, sightings.msgId, 2);
});

const perTx = Math.max(1, Number(values.batch));
/** Up to `perTx` steps in one transaction, from event n on (each event's three steps in order). */
const stepBatch = db.transaction((first: number): void => {
  let n = first;
  for (let i = 0; i < perTx && n < total; i++) {
    step(n);
    if ((getRow.get(n) as { step: number }).step === 2) n++;
  }
});

const progress = db.prepare('SELECT count(*) AS done FROM produced WHERE step = 2').pluck();
const current = db.prepare('SELECT min(n) AS n FROM produced WHERE step < 2').pluck();
const count = db.prepare('SELECT count(*) FROM produced').pluck();
const clipsPending = db.prepare("SELECT count(*) FROM clip_uploads WHERE state = 'pending'").pluck();
const clipsFailed = db.prepare("SELECT event_id AS eventId, error FROM clip_uploads WHERE state = 'failed'");
const clipQueued = db.prepare('SELECT 1 FROM clip_queued WHERE event_id = ?').pluck();
const markClipQueued = db.prepare('INSERT INTO clip_queued (event_id) VALUES (?)');

/** Queues `file` as the clip of event 0, unless an earlier run did (a delivered clip leaves no clip_uploads row). */
async function queueClip(file: string): Promise<void> {
  const first = getRow.get(0) as { eventId: string } | undefined;
  if (!first || clipQueued.get(first.eventId)) return;
  const clip = await describeClip(file);
  db.transaction(() => {
    outbox.enqueueClip({ ...clip, eventId: first.eventId, camera: 'cam-00', start: base, end: base + 5000 });
    markClipQueued.run(first.eventId);
  })();
  uplink.notify();
}

async function main(): Promise<void> {
  // a step is due every stepMs from the start of this run: the rate holds on a loaded machine, it does not just add delays
  const stepMs = Number(values.rate) > 0 ? 1000 / Number(values.rate) / 3 : 0;
  const startedAt = performance.now();
  let steps = 0;
  let sinceYield = 0;
  process.stdout.write(JSON.stringify({ started: progress.get() }) + '\n');
  for (;;) {
    const open = current.get() as number | null;
    const n = open ?? (count.get() as number);
    if (n >= total) break;
    if (values.street) streetStep(n);
    else stepBatch(n);
    uplink.notify();
    steps += perTx;
    const wait = startedAt + steps * stepMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if ((sinceYield += perTx) >= 50) {
      // let the uplink take its acks and publish
      sinceYield = 0;
      await new Promise((r) => setImmediate(r));
    }
  }
  if (values.clip) await queueClip(values.clip);
  process.stdout.write(JSON.stringify({ produced: progress.get() }) + '\n');
  // keep draining until the outbox is empty and every clip is acknowledged, then say so
  while (outbox.depth() > 0 || (clipsPending.get() as number) > 0) await new Promise((r) => setTimeout(r, 50));
  const failed = clipsFailed.all();
  if (failed.length) {
    process.stderr.write(`clip uploads failed: ${JSON.stringify(failed)}\n`);
    process.exitCode = 1;
  }
  process.stdout.write(JSON.stringify({ drained: true }) + '\n');
  await uplink.stop();
  db.close();
}

void main();
