// Events in the edge db: each change and its message in one transaction; a restart finishes what was open.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventMessageSchema } from '../../shared/contract/index.js';
import { openDb } from '../../shared/db.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { edgeMigrations } from '../db.js';
import { RecordStore } from '../record/store.js';
import { Outbox } from '../uplink/outbox.js';
import { EventFinisher } from './finisher.js';
import type { EventState } from './event-state.js';
import { EventStore } from './store.js';

function setup(withOutbox = true) {
  const root = mkdtempSync(path.join(tmpdir(), 'ww-events-'));
  const db = openDb(path.join(root, 'edge.db'), edgeMigrations, { durable: false });
  const outbox = withOutbox ? new Outbox(db, 'p07') : undefined;
  return { root, db, outbox, store: new EventStore(db, 'p07', outbox) };
}

const EVENT: EventState = {
  id: '01JDQ6Z7A1B2C3D4E5F6G7H8J9',
  camera: 'cam-01',
  label: 'car',
  score: 0.8,
  topScore: 0.8,
  box: { x: 0.1, y: 0.2, w: 0.3, h: 0.2 },
  bestAtMs: 1_764_061_190_000,
  zones: [],
  start: 1_764_061_190_000,
  lastSeenMs: 1_764_061_190_000,
  end: null,
};

const messages = (outbox: Outbox) => outbox.next(0, 100).map((r) => eventMessageSchema.parse(JSON.parse(r.payload.toString())));

describe('EventStore', () => {
  it('stores start, update and end, each with its contract message', () => {
    const { store, outbox } = setup();
    store.start(EVENT);
    store.update({ ...EVENT, topScore: 0.9, score: 0.9, zones: ['crossing'] });
    expect(store.end({ ...EVENT, topScore: 0.9, zones: ['crossing'], lastSeenMs: EVENT.start + 8000, end: EVENT.start + 8000 }, { path: '/x.jpg', base64: '/9j/' })).toBe(true);
    const sent = messages(outbox!);
    expect(sent.map((m) => m.type)).toEqual(['start', 'update', 'end']);
    expect(sent[2]!.event).toMatchObject({ ward: 'p07', topScore: 0.9, zones: ['crossing'], end: EVENT.start + 8000, snapshot: '/9j/' });
    expect(store.get(EVENT.id)).toMatchObject({ state: 'ended', end: EVENT.start + 8000, snapshotPath: '/x.jpg', clipState: 'pending', zones: ['crossing'] });
  });

  it('neither updates nor ends an event twice once it has ended', () => {
    const { store, outbox } = setup();
    store.start(EVENT);
    store.end({ ...EVENT, end: EVENT.start });
    store.update({ ...EVENT, topScore: 0.99 });
    expect(store.end({ ...EVENT, end: EVENT.start })).toBe(false);
    expect(messages(outbox!).map((m) => m.type)).toEqual(['start', 'end']);
    expect(store.get(EVENT.id)!.topScore).toBe(0.8);
  });

  it('keeps the event and its message together: a failing message leaves no row', () => {
    const { store, db } = setup();
    // a label the contract refuses makes the message fail validation inside the transaction
    expect(() => store.start({ ...EVENT, label: 'face' as 'car' })).toThrow();
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(0);
  });

  it('without a hub stores events and queues nothing', () => {
    const { store, db } = setup(false);
    store.start(EVENT);
    expect(store.get(EVENT.id)!.state).toBe('open');
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
  });

  it('after a restart, ends the events left open at their last sighting', async () => {
    const { store, outbox, db, root } = setup();
    store.start({ ...EVENT, lastSeenMs: EVENT.start + 3000 });
    db.prepare('UPDATE events SET last_seen_ms = ? WHERE id = ?').run(EVENT.start + 3000, EVENT.id);
    const finisher = new EventFinisher({
      store,
      recordStore: new RecordStore(db),
      tools: await locateFfmpeg(),
      logger: silentLogger(),
      clipsDir: path.join(root, 'events'),
      cameras: new Map([['cam-01', { recording: false, segmentSeconds: 10, preRollMs: 5000, postRollMs: 5000, retainDays: 90, privacyMasks: [] }]]),
      clock: () => EVENT.start + 60_000,
    });
    finisher.resume(store.unfinished());
    await finisher.step();
    await finisher.step();
    expect(store.get(EVENT.id)).toMatchObject({ state: 'ended', end: EVENT.start + 3000, clipState: 'missing' });
    expect(messages(outbox!).map((m) => m.type)).toEqual(['start', 'end']);
    expect(store.unfinished()).toEqual([]);
  });
});
