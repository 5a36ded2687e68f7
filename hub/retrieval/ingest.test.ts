// Ward answers to retrievals through the real ingest (SQLite store, batches): only the asked ward may answer,
// repeats and late answers change nothing, and a retrieved clip must answer a request.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '../../shared/contract/index.js';
import { silentLogger } from '../../shared/log.js';
import { createIngest, type Ingest } from '../ingest/ingest.js';
import { openHubStore, type HubStore } from '../store/store.js';
import { nextUlid, retrievalStore, tempDir } from '../../testing/hub/test-support.js';
import type { RetrievalStore } from './store.js';

let store: HubStore;
let ingest: Ingest;
let retrievals: RetrievalStore;
const REQ = nextUlid();

beforeEach(async () => {
  store = openHubStore(tempDir());
  await store.syncWards([{ id: 'p01', name: 'P1' }, { id: 'p02', name: 'P2' }]);
  retrievals = retrievalStore(store);
  ingest = createIngest({ store, retrievals, wardOf: (box) => box, logger: silentLogger() });
  await retrievals.create(store.sql, { id: REQ, ward: 'p01', camera: 'cam-1', from: 1000, to: 61_000, requestedBy: 'lan' }, 1);
});

afterEach(async () => {
  await ingest.close();
  await store.close();
});

const status = (ward: string, body: Record<string, unknown>, msgId = nextUlid()) =>
  ingest.handle({ topic: topics.retrievals(ward), payload: Buffer.from(JSON.stringify({ msgId, requestId: REQ, ...body })) }, { box: ward });

describe('retrieval statuses at ingest', () => {
  it('moves a request on, ignores a repeated or late answer, and keeps the reason of a failure', async () => {
    await status('p01', { state: 'cutting' });
    expect((await retrievals.view(REQ))!.state).toBe('cutting');
    const sent = nextUlid();
    await status('p01', { state: 'sent', bytes: 5000 }, sent);
    await status('p01', { state: 'sent', bytes: 9999 }, sent); // same msgId: a resend
    await status('p01', { state: 'cutting' }); // late: changes nothing
    expect(await retrievals.view(REQ)).toMatchObject({ state: 'transferring', bytes: 5000 });
    expect(ingest.stats().duplicates).toBe(1);
  });

  it('keeps a failure with its reason', async () => {
    await status('p01', { state: 'failed', reason: 'no recording of camera cam-1 between …' });
    expect(await retrievals.view(REQ)).toMatchObject({ state: 'failed', reason: 'no recording of camera cam-1 between …' });
    await status('p01', { state: 'sent', bytes: 10 });
    expect((await retrievals.view(REQ))!.state).toBe('failed');
  });

  it('refuses an answer from another ward, for an unknown request, and a retrieved clip nobody asked for', async () => {
    await status('p02', { state: 'failed', reason: 'x' });
    const other = nextUlid();
    await ingest.handle({ topic: topics.retrievals('p01'), payload: Buffer.from(JSON.stringify({ msgId: nextUlid(), requestId: other, state: 'cutting' })) }, { box: 'p01' });
    const manifest = { msgId: nextUlid(), eventId: other, requestId: other, camera: 'cam-1', contentType: 'video/mp4', bytes: 2048, sha256: 'a'.repeat(64), chunkBytes: 1024, chunks: 2, start: 1, end: 2 };
    await ingest.handle({ topic: topics.clipManifest('p01', other), payload: Buffer.from(JSON.stringify(manifest)) }, { box: 'p01' });
    expect(ingest.stats().invalid).toEqual({ 'foreign-event': 1, 'unknown-request': 2 });
    expect((await retrievals.view(REQ))!.state).toBe('requested');
    expect(store.db.prepare('SELECT count(*) FROM clip_transfers').pluck().get()).toBe(0);
  });
});
