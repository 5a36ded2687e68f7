// The box's side of cmd/retrieve and cmd/retrieve-cancel, on a real edge db and outbox with a real recorded
// segment and real ffmpeg: a cancel drops the clip still in the outbox (or the cut still to come), audited.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalAudit, type LocalAudit } from '../../shared/audit/index.js';
import type { Db } from '../../shared/db.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { silentLogger } from '../../shared/log.js';
import { openEdgeDb } from '../db.js';
import { RecordStore } from '../record/store.js';
import { Outbox } from '../uplink/outbox.js';
import { RetrievalService } from './retrievals.js';

const T0 = Date.now() - 3600_000;
let ffmpegPath: string;
let segment: string;
let db: Db;
let outbox: Outbox;
let audit: LocalAudit;
let service: RetrievalService;
let dir: string;
let n = 0;
const requestId = () => `01KAXG4Z7M5P2V8N3Q6R9T0W${String(n++).padStart(2, '0')}`;

beforeAll(async () => {
  ffmpegPath = (await locateFfmpeg()).ffmpeg.path;
  segment = path.join(mkdtempSync(path.join(tmpdir(), 'ww-retr-seg-')), 'seg.mp4');
  const made = spawnSync(ffmpegPath, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '6', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '10', '-movflags', '+faststart', segment]);
  if (made.status !== 0) throw new Error(`ffmpeg could not make a segment: ${made.stderr.toString()}`);
}, 60_000);

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-retr-'));
  db = openEdgeDb(path.join(dir, 'edge.db'));
  outbox = new Outbox(db, 'p01');
  audit = createLocalAudit(db);
  const recordStore = new RecordStore(db);
  recordStore.addSegment({ camera: 'cam-1', startMs: T0, endMs: T0 + 6000, bytes: statSync(segment).size, path: segment });
  service = new RetrievalService({ db, outbox, recordStore, audit, ffmpegPath, ward: 'p01', cameras: ['cam-1'], dir: path.join(dir, 'retrieved'), logger: silentLogger(), clock: Date.now });
});

const send = (name: string, payload: object) => service.command(name, Buffer.from(JSON.stringify({ msgId: requestId(), ...payload })));
const retrieve = (id: string) => send('retrieve', { requestId: id, camera: 'cam-1', from: T0 + 1000, to: T0 + 5000, requestedBy: 'lan' });
const cancel = (id: string) => send('retrieve-cancel', { requestId: id, cancelledBy: 'minh' });
const row = (id: string) => db.prepare('SELECT state, reason, path FROM retrievals WHERE request_id = ?').get(id) as { state: string; reason: string | null; path: string | null } | undefined;
const outboxTopics = () => (db.prepare('SELECT topic FROM outbox ORDER BY seq').pluck().all() as string[]).map((t) => t.replace(/^wardwatch\/v1\/p01\//, ''));
const uploads = () => db.prepare('SELECT count(*) FROM clip_uploads').pluck().get();

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
}

describe('cmd/retrieve-cancel on the ward box', () => {
  it('drops a cut clip still in the outbox: manifest, chunks to send and file; audited; a second cancel changes nothing', async () => {
    const id = requestId();
    retrieve(id);
    await until(() => row(id)?.state === 'sent');
    const file = row(id)!.path!;
    expect(existsSync(file)).toBe(true);
    expect(outboxTopics()).toEqual(['retrievals', `clips/${id}/manifest`, 'retrievals']);
    expect(uploads()).toBe(1);

    cancel(id);
    expect(row(id)).toEqual({ state: 'failed', reason: 'cancelled by minh', path: null });
    expect(outboxTopics()).toEqual(['retrievals', 'retrievals']); // its statuses still go; the clip does not
    expect(uploads()).toBe(0);
    expect(existsSync(file)).toBe(false);
    expect((await audit.list({ target: id })).map((a) => [a.action, a.actor])).toEqual([
      ['retrieve.cancel', 'hub:minh'],
      ['retrieve.result', 'lan'],
      ['retrieve.request', 'lan'],
    ]);
    cancel(id);
    retrieve(id); // a late resend of the request itself: handled already
    expect(await audit.list({ target: id })).toHaveLength(3);
    expect(outboxTopics()).toEqual(['retrievals', 'retrievals']);
  });

  it('does not cut a request cancelled before its turn came', async () => {
    const id = requestId();
    retrieve(id); // accepted at once (cutting), cut in the background
    cancel(id);
    await service.stop(); // waits for the queue: the cut found the request cancelled
    expect(row(id)).toMatchObject({ state: 'failed', reason: 'cancelled by minh', path: null });
    expect(outboxTopics()).toEqual(['retrievals']); // the `cutting` status only
    expect(uploads()).toBe(0);
    expect(existsSync(path.join(dir, 'retrieved', 'cam-1', `${id}.mp4`))).toBe(false);
  });

  it('ignores a cancel for a request it never had, and a malformed one', async () => {
    cancel(requestId());
    send('retrieve-cancel', { requestId: 'nope', cancelledBy: 'minh' });
    expect(db.prepare('SELECT count(*) FROM retrievals').pluck().get()).toBe(0);
    expect(await audit.list()).toEqual([]);
  });
});
