// A synthetic ward for the fault tests: produces N events (start, update, end each) through the real outbox and
// uplink, resuming where it stopped after a SIGKILL. Its own state lives in the same db as the outbox, and each
// state change is committed in the same transaction as the message it causes — exactly as the event pipeline does.
import { parseArgs } from 'node:util';
import { topics, type EventMessage } from '../../shared/contract/index.js';
import { openDb } from '../../shared/db.js';
import { createLogger } from '../../shared/log.js';
import { edgeMigrations } from '../../edge/db.js';
import { newMsgId, Outbox } from '../../edge/uplink/outbox.js';
import { Uplink } from '../../edge/uplink/uplink.js';
import { Backoff } from '../../shared/backoff.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    url: { type: 'string' },
    ward: { type: 'string', default: 'p01' },
    token: { type: 'string', default: '' },
    events: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '0' }, // events per second; 0 = as fast as possible
  },
});
const total = Number(values.events);
const ward = values.ward!;
const db = openDb(values.db!, [...edgeMigrations, 'CREATE TABLE produced (n INTEGER PRIMARY KEY, event_id TEXT NOT NULL, step INTEGER NOT NULL)']);
const outbox = new Outbox(db, ward);
const logger = createLogger({ name: 'producer', level: 'warn', pretty: false });
const uplink = new Uplink({ outbox, ward, url: values.url!, username: `ward-${ward}`, password: values.token!, logger, backoff: new Backoff({ initialMs: 50, maxMs: 300 }), window: 256 });
uplink.start();

const STEPS = ['start', 'update', 'end'] as const;
const getRow = db.prepare('SELECT event_id AS eventId, step FROM produced WHERE n = ?');
const putRow = db.prepare('INSERT INTO produced (n, event_id, step) VALUES (?, ?, ?) ON CONFLICT (n) DO UPDATE SET step = excluded.step');
const base = 1_764_000_000_000;

/** One step of event n, atomically with its outbox row. Returns false when everything is produced. */
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

const progress = db.prepare('SELECT count(*) AS done FROM produced WHERE step = 2').pluck();
const current = db.prepare('SELECT min(n) AS n FROM produced WHERE step < 2').pluck();
const count = db.prepare('SELECT count(*) FROM produced').pluck();

async function main(): Promise<void> {
  const delay = Number(values.rate) > 0 ? 1000 / Number(values.rate) / 3 : 0;
  for (;;) {
    const open = current.get() as number | null;
    const n = open ?? (count.get() as number);
    if (n >= total) break;
    step(n);
    uplink.notify();
    if (delay) await new Promise((r) => setTimeout(r, delay));
    else if (n % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  process.stdout.write(JSON.stringify({ produced: progress.get() }) + '\n');
  // keep draining until the outbox is empty, then say so
  while (outbox.depth() > 0) await new Promise((r) => setTimeout(r, 50));
  process.stdout.write(JSON.stringify({ drained: true }) + '\n');
  await uplink.stop();
  db.close();
}

void main();
