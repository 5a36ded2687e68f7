// Events in the edge db: each change and its message in one transaction; a restart finishes what was open.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
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
import { EventService } from './service.js';
import { boxCamera } from '../../test/box.js';
import { eventsDefaults } from '../../shared/config/edge.js';

const NOW = 1_800_000_000_000;

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
      cameras: new Map([['cam-01', { recording: false, segmentSeconds: 10, preRollMs: 5000, postRollMs: 5000, privacyMasks: [] }]]),
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

describe('alert files past their retention', () => {
  it('deletes the clip and snapshot of alerts older than events.retainDays, keeps the rows and newer alerts', async () => {
    const { root, db } = setup(false);
    const tools = await locateFfmpeg();
    const cam = boxCamera('cam-01', 'rtsp://127.0.0.1:1/main', 'rtsp://127.0.0.1:1/sub', { events: { ...eventsDefaults, retainDays: 30 } });
    const service = new EventService({ cameras: [cam], ward: 'p07', db, recordStore: new RecordStore(db), tools, logger: silentLogger(), clipsDir: root, sightings: { batchSeconds: 5, longStayMinutes: 5, thumbnails: false }, timeZone: 'Asia/Ho_Chi_Minh', watching: () => true, clock: () => NOW });
    const files = (id: string) => ({ clip: path.join(root, `${id}.mp4`), snapshot: path.join(root, `${id}.jpg`) });
    const alert = (id: string, daysAgo: number) => {
      const end = NOW - daysAgo * 86_400_000;
      service.events.start({ ...EVENT, id, start: end - 10_000, bestAtMs: end - 5000, lastSeenMs: end });
      const f = files(id);
      writeFileSync(f.clip, 'clip');
      writeFileSync(f.snapshot, 'jpeg');
      service.events.end({ ...EVENT, id, start: end - 10_000, bestAtMs: end - 5000, lastSeenMs: end, end }, { path: f.snapshot, base64: '' });
      service.events.clipDone(id, { path: f.clip, bytes: 4, sha256: '0'.repeat(64), camera: 'cam-01', start: end - 15_000, end: end + 5000 }, () => undefined);
    };
    alert('01JDQ6Z7A1B2C3D4E5F6G7H8J1', 31);
    alert('01JDQ6Z7A1B2C3D4E5F6G7H8J2', 29);
    expect(await service.expireAlertFiles()).toBe(1);
    expect(existsSync(files('01JDQ6Z7A1B2C3D4E5F6G7H8J1').clip)).toBe(false);
    expect(existsSync(files('01JDQ6Z7A1B2C3D4E5F6G7H8J1').snapshot)).toBe(false);
    expect(service.events.get('01JDQ6Z7A1B2C3D4E5F6G7H8J1')).toMatchObject({ clipPath: null, snapshotPath: null, clipState: 'missing' });
    expect(existsSync(files('01JDQ6Z7A1B2C3D4E5F6G7H8J2').clip)).toBe(true);
    expect(service.events.get('01JDQ6Z7A1B2C3D4E5F6G7H8J2')).toMatchObject({ clipState: 'done' });
    expect(await service.expireAlertFiles()).toBe(0);
  });
});
