// Ingest writes the same index on PostgreSQL as on SQLite: one batch sequence (statuses, events opened, updated
// and ended, a repeat, sightings partial then final, counts written then replaced, a clip in chunks, refusals) applied
// by the one IndexWriter to a hub index of each engine, then every table ingest touches compared row for row.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAudit } from '../../shared/audit/index.js';
import { decodeMessage, topics, type Sighting } from '../../shared/contract/index.js';
import { silentLogger } from '../../shared/log.js';
import type { Sql, SqlDatabase } from '../../shared/sql/sql.js';
import { bothIndexes } from '../../testing/hub/postgres-index.js';
import { nextUlid, tempDir } from '../../testing/hub/test-support.js';
import { RetrievalStore } from '../retrieval/store.js';
import type { HubStore } from '../store/store.js';
import { IndexWriter, type BatchItem, type IndexFiles } from './index-writer.js';

const both = bothIndexes('hub/ingest/ingest-on-postgres.test.ts');
const { noPostgres } = both;
let pg: SqlDatabase;
let lite: HubStore;
const T0 = Date.parse('2026-12-01T01:00:00Z');

function item(box: string, topic: string, payload: unknown): BatchItem {
  const decoded = decodeMessage(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload)));
  return { box, topic, decoded: decoded.ok ? { ok: true, message: decoded.message } : { ok: false, kind: 'schema', reason: decoded.reason } };
}

const sighting = (id: string, first: number, final: boolean): Sighting => ({
  id, camera: 'cam-01', label: 'motorcycle', first, last: first + (final ? 9000 : 4000), score: 0.8, box: { x: 0.1, y: 0.1, w: 0.1, h: 0.1 }, bestAt: first + 1000,
  heading: 90, lines: [{ line: 'pdl', direction: 'forward', at: first + 2000 }], zones: [{ zone: 'crossing', seconds: 3 }], colour: 'red', final,
});

/** The batch sequence (its ids made once, below: both engines get the very same messages). */
function batches(): BatchItem[][] {
  const ev = nextUlid();
  const other = nextUlid();
  const s1 = nextUlid();
  const clipId = nextUlid();
  const clip = Buffer.alloc(3000, 9);
  const manifest = { msgId: nextUlid(), eventId: clipId, camera: 'cam-01', contentType: 'video/mp4', bytes: clip.length, sha256: createHash('sha256').update(clip).digest('hex'), chunkBytes: 1024, chunks: 3, start: T0, end: T0 + 10_000 };
  const event = (id: string, type: 'start' | 'update' | 'end', msgId = nextUlid(), box = 'dn-1', camera = 'cam-01') => ({
    msgId, type, event: { id, ward: box, camera, label: 'car', score: type === 'update' ? 0.9 : 0.7, topScore: type === 'start' ? 0.7 : 0.9, box: { x: 0.1, y: 0.2, w: 0.3, h: 0.2 }, zones: ['crossing'], start: T0, end: type === 'end' ? T0 + 12_000 : null, rule: { id: 'stopped', kind: 'dwell' } },
  });
  const repeated = event(ev, 'update');
  const counts = (msgId: string, n: number) => ({ msgId, ward: 'dn-1', camera: 'cam-01', minute: T0, counts: [{ line: 'pdl', direction: 'forward', label: 'car', n }, ...(n === 2 ? [{ line: 'pdl', direction: 'backward', label: 'bus', n: 1 }] : [])] });
  const older = nextUlid();
  const newer = nextUlid();
  return [
    [
      item('dn-1', topics.wardStatus('dn-1'), { state: 'online', ward: 'dn-1', version: '0.4.0', startedAt: T0 - 1000, at: T0, disk: { freeBytes: 5, totalBytes: 10 }, outboxDepth: 0, cameras: { recording: 1, total: 1 }, detector: 'onnx', alarms: [] }),
      item('dn-1', topics.cameraStatus('dn-1', 'cam-01'), { ward: 'dn-1', camera: 'cam-01', state: 'recording', at: T0, lastSegmentAt: T0, gapsToday: 0, bytesPerSecond: 5e5, detectFps: 5, location: { lat: 10.8, lon: 106.68 } }),
      item('dn-1', topics.events('dn-1'), event(ev, 'start')),
      item('dn-1', topics.sightings('dn-1'), { msgId: nextUlid(), ward: 'dn-1', camera: 'cam-01', sightings: [sighting(s1, T0, false)] }),
      item('dn-1', topics.counts('dn-1'), counts(older, 2)),
    ],
    [
      item('dn-1', topics.events('dn-1'), repeated),
      item('dn-1', topics.events('dn-1'), repeated), // the same msgId again: a duplicate
      item('dn-1', topics.sightings('dn-1'), { msgId: nextUlid(), ward: 'dn-1', camera: 'cam-01', sightings: [sighting(s1, T0, true)] }),
      item('dn-1', topics.counts('dn-1'), counts(newer, 5)), // replaces the minute: no bus after all
      item('dn-1', topics.counts('dn-1'), counts(older, 2)), // the older one, late: changes nothing
      item('dn-2', topics.events('dn-2'), event(other, 'start', nextUlid(), 'dn-2', 'cam-01')), // dn-1's camera: refused
      item('dn-2', topics.events('dn-2'), event(ev, 'end', nextUlid(), 'dn-2', 'cam-02')), // dn-1's event: refused
      item('dn-1', topics.events('dn-1'), Buffer.from('{not json')),
    ],
    [
      item('dn-1', topics.events('dn-1'), event(ev, 'end')),
      item('dn-1', topics.clipManifest('dn-1', clipId), manifest),
      ...[0, 1, 2].map((n) => item('dn-1', topics.clipChunk('dn-1', clipId, n), clip.subarray(n * 1024, (n + 1) * 1024))),
    ],
  ];
}

const BATCHES = batches();

const TABLES = [
  'SELECT id, ward, box_id, camera, label, score, top_score, box, zones, start, "end", state, last_msg_id, rule_id, rule_kind, clip_state FROM incidents ORDER BY id',
  'SELECT id, ward, camera, label, first, last, final, lines, zones, colour FROM sightings ORDER BY id',
  'SELECT ward, camera, minute, line, direction, label, n FROM counts ORDER BY line, direction, label',
  'SELECT ward, camera, quarter, line, direction, label, n FROM count_quarters ORDER BY line, direction, label',
  'SELECT ward, camera, minute, msg_id FROM count_minutes',
  'SELECT ward, camera, quarter, minutes FROM count_quarter_minutes',
  'SELECT ward, camera, box_id, lat, lon FROM cameras ORDER BY ward, camera',
  'SELECT box_id, state, at FROM box_status',
  'SELECT ward, camera, state, at FROM camera_status',
  'SELECT box_id, kind, count FROM invalid_messages ORDER BY box_id, kind',
  'SELECT event_id, ward, box_id, state, received_count FROM clip_transfers',
  'SELECT count(*) AS n FROM seen_msgs',
  'SELECT id, CASE WHEN last_seen_at IS NULL THEN 0 ELSE 1 END AS seen FROM boxes ORDER BY id',
];

async function ingestInto(sql: Sql, files: IndexFiles): Promise<{ tables: unknown[][]; stats: IndexWriter['stats'] }> {
  await sql.tx(async (t) => {
    await t.run('INSERT INTO wards (id, name) VALUES (?, ?)', ['duc-nhuan', 'Phường Đức Nhuận']);
    for (const b of ['dn-1', 'dn-2']) await t.run('INSERT INTO boxes (id, ward, name) VALUES (?, ?, ?)', [b, 'duc-nhuan', b]);
  });
  // the audit rows ingest writes go through the batch's transaction (recordIn)
  const audit = createAudit(sql);
  const writer = new IndexWriter({ store: files, retrievals: new RetrievalStore(sql, audit), wardOf: () => 'duc-nhuan', logger: silentLogger(), clock: () => T0 + 60_000 });
  for (const batch of BATCHES) {
    const { outcomes, complete } = await writer.applyBatch(batch);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    for (const id of complete) await writer.finishClip(id);
  }
  return { tables: await Promise.all(TABLES.map((q) => sql.all(q))), stats: writer.stats };
}

beforeAll(() => {
  lite = both.lite();
  if (!noPostgres) pg = both.pg();
});

describe.skipIf(noPostgres)('ingest on PostgreSQL', () => {
  it('leaves every table ingest writes as it leaves them on SQLite, refusals and clips included', async () => {
    const onLite = await ingestInto(lite.sql, lite);
    const root = tempDir('ww-ingest-pg-');
    // the PostgreSQL index keeps its files (clips, snapshots) under its own root, as a hub's storage.root
    const onPg = await ingestInto(pg, { sql: pg, root, resolve: (r) => path.join(root, r) });
    expect(onPg.tables).toEqual(onLite.tables);
    expect(onPg.stats).toEqual(onLite.stats);
    // what the sequence is meant to leave, so that two equal but wrong answers cannot pass
    const [incidents, sightings, counts, , , , , , , invalid, transfers] = onLite.tables as Record<string, unknown>[][];
    expect(incidents!.map((r) => [r.state, r.ward, r.box_id, r.top_score])).toEqual([['ended', 'duc-nhuan', 'dn-1', 0.9]]);
    expect(sightings).toHaveLength(1);
    expect(sightings![0]).toMatchObject({ final: 1 });
    expect(counts).toEqual([{ ward: 'duc-nhuan', camera: 'cam-01', minute: T0, line: 'pdl', direction: 'forward', label: 'car', n: 5 }]);
    expect(invalid).toEqual([
      { box_id: 'dn-1', kind: 'schema', count: 1 },
      { box_id: 'dn-2', kind: 'camera-of-another-box', count: 1 },
      { box_id: 'dn-2', kind: 'foreign-event', count: 1 },
    ]);
    expect(transfers).toEqual([expect.objectContaining({ box_id: 'dn-1', state: 'present', received_count: 3 })]);
    expect(onLite.stats).toMatchObject({ events: 3, duplicates: 1, sightings: 2, countMinutes: 2, superseded: 1, chunks: 3, clipsCompleted: 1 });
  }, 60_000);
});
