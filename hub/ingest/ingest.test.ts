import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type ClipManifest } from '../../shared/contract/index.js';
import { connectWard, eventMessage, FIXED_START, nextUlid, publishEvent, startTestHub, testWard, type TestHub } from '../../testing/hub/test-support.js';

const p07 = testWard('p07');
const JPEG = '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2Q==';

describe('ingest through the broker', () => {
  let hub: TestHub;
  let ward: MqttClient;

  beforeAll(async () => {
    hub = await startTestHub({ wards: [p07] });
    ward = await connectWard(hub.port, { ward: p07 });
  });
  afterAll(async () => {
    await ward?.endAsync();
    await hub?.close();
  });

  const count = (sql: string, ...args: unknown[]) => (hub.store.db.prepare(sql).get(...args) as { n: number }).n;

  it('counts and logs malformed and schema-invalid messages, acknowledges them, and goes on', async () => {
    await ward.publishAsync(topics.events('p07'), '{"msgId":', { qos: 1 });
    await ward.publishAsync(topics.events('p07'), JSON.stringify({ ...eventMessage('p07'), extra: 1 }), { qos: 1 });
    const bad = eventMessage('p07');
    await ward.publishAsync(topics.events('p07'), JSON.stringify({ ...bad, event: { ...bad.event, label: 'face' } }), { qos: 1 });
    const good = eventMessage('p07');
    await publishEvent(ward, good);

    expect(await hub.store.getIncident(good.event.id)).toMatchObject({ state: 'open', label: 'car' });
    expect(hub.ingest.stats().invalid).toEqual({ 'malformed-json': 1, schema: 2 });
    expect(hub.store.db.prepare("SELECT kind, count FROM invalid_messages WHERE box_id = 'p07' ORDER BY kind").all()).toEqual([
      { kind: 'malformed-json', count: 1 },
      { kind: 'schema', count: 2 },
    ]);
    const logged = hub.lines().filter((l) => l.kind === 'schema');
    expect(logged.map((l) => l.reason)).toEqual([expect.stringMatching(/Unrecognized key/), expect.stringMatching(/event\.label/)]);
    expect(logged[0]).toMatchObject({ ward: 'p07', topic: 'wardwatch/v1/p07/events' });
    expect(ward.connected).toBe(true);
  });

  it('makes one incident of an event message delivered twice', async () => {
    const msg = eventMessage('p07');
    const before = hub.ingest.stats().duplicates;
    await publishEvent(ward, msg);
    await publishEvent(ward, msg);
    expect(count('SELECT count(*) AS n FROM incidents WHERE id = ?', msg.event.id)).toBe(1);
    expect(hub.ingest.stats().duplicates).toBe(before + 1);
  });

  it('ends an incident whose end arrives before an update, keeping the end and the best score', async () => {
    const id = nextUlid();
    const start = eventMessage('p07', { id, type: 'start', topScore: 0.7, snapshot: JPEG });
    const update = eventMessage('p07', { id, type: 'update', topScore: 0.9 });
    const end = eventMessage('p07', { id, type: 'end', topScore: 0.8, end: FIXED_START + 14_000 });
    for (const m of [start, end, update]) await publishEvent(ward, m);
    const row = (await hub.store.getIncident(id))!;
    expect(row).toMatchObject({ state: 'ended', end: FIXED_START + 14_000, top_score: 0.9, last_msg_id: end.msgId });
    // the snapshot is a file under the storage root, exactly the JPEG sent
    expect(row.snapshot_path).toBe(path.join('snapshots', 'p07', `${id}.jpg`));
    expect(readFileSync(hub.store.resolve(row.snapshot_path!))).toEqual(Buffer.from(JPEG, 'base64'));
    expect(readdirSync(hub.store.resolve('snapshots/p07')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stores ward and camera status, an older camera status never overwriting a newer one', async () => {
    const status = { state: 'online', ward: 'p07', version: '0.1.0', startedAt: 1, at: 2000, disk: { freeBytes: 1, totalBytes: 2 }, outboxDepth: 0, cameras: { recording: 1, total: 1 }, detector: 'onnx', alarms: [] };
    await ward.publishAsync(topics.wardStatus('p07'), JSON.stringify(status), { qos: 1, retain: true });
    const cam = (at: number, state: string) => JSON.stringify({ ward: 'p07', camera: 'cam-02', state, at, lastSegmentAt: null, gapsToday: 0, bytesPerSecond: 0, detectFps: 5 });
    await ward.publishAsync(topics.cameraStatus('p07', 'cam-02'), cam(2000, 'stalled'), { qos: 1, retain: true });
    await ward.publishAsync(topics.cameraStatus('p07', 'cam-02'), cam(1000, 'recording'), { qos: 1, retain: true });
    expect(hub.store.db.prepare("SELECT state, at FROM box_status WHERE box_id = 'p07'").get()).toEqual({ state: 'online', at: 2000 });
    expect(hub.store.db.prepare("SELECT state, at FROM camera_status WHERE camera = 'cam-02'").get()).toEqual({ state: 'stalled', at: 2000 });
    expect(count("SELECT count(*) AS n FROM cameras WHERE ward = 'p07' AND camera = 'cam-02'")).toBe(1);
  });

  /** publishes a manifest and the chunks at the given indices (repeats allowed) */
  async function sendClip(clip: Buffer, eventId: string, order: number[], corrupt?: number): Promise<ClipManifest> {
    const chunkBytes = 1024;
    const manifest: ClipManifest = {
      msgId: nextUlid(), eventId, camera: 'cam-01', contentType: 'video/mp4', bytes: clip.length,
      sha256: createHash('sha256').update(clip).digest('hex'), chunkBytes, chunks: Math.ceil(clip.length / chunkBytes), start: 1, end: 2,
    };
    await ward.publishAsync(topics.clipManifest('p07', eventId), JSON.stringify(manifest), { qos: 1 });
    await Promise.all(
      order.map((n) => {
        const data = Buffer.from(clip.subarray(n * chunkBytes, (n + 1) * chunkBytes));
        if (n === corrupt) data[0] = data[0]! ^ 0xff;
        return ward.publishAsync(topics.clipChunk('p07', eventId, n), data, { qos: 1 });
      }),
    );
    await hub.ingest.flush();
    return manifest;
  }

  it('reassembles a clip from duplicated, out-of-order chunks and checks its sha256', async () => {
    const event = eventMessage('p07', { type: 'end' });
    await publishEvent(ward, event);
    const clip = randomBytes(5 * 1024 + 300); // 6 chunks, the last one short
    const manifest = await sendClip(clip, event.event.id, [3, 0, 5, 3, 1, 4, 0, 2]);
    const row = (await hub.store.getIncident(event.event.id))!;
    expect(row).toMatchObject({ clip_state: 'present', clip_sha256: manifest.sha256, clip_path: path.join('clips', 'p07', `${event.event.id}.mp4`) });
    expect(readFileSync(hub.store.resolve(row.clip_path!))).toEqual(clip);
    expect(existsSync(hub.store.resolve(`clips/.partial/${event.event.id}.mp4`))).toBe(false);
    // the manifest again (a resend with a new msgId) changes nothing
    await sendClip(clip, event.event.id, []);
    expect(await hub.store.getIncident(event.event.id)).toMatchObject({ clip_state: 'present' });
  });

  it('marks a clip with a corrupted chunk failed, with the reason', async () => {
    const event = eventMessage('p07', { type: 'end' });
    await publishEvent(ward, event);
    const before = hub.ingest.stats().clipsFailed;
    await sendClip(randomBytes(3000), event.event.id, [0, 1, 2], 1);
    expect(await hub.store.getIncident(event.event.id)).toMatchObject({ clip_state: 'failed', clip_error: expect.stringMatching(/sha256 mismatch/) as unknown, clip_path: null });
    expect(hub.ingest.stats().clipsFailed).toBe(before + 1);
    expect(hub.lines().some((l) => l.eventId === event.event.id && /sha256 mismatch/.test(String(l.reason)))).toBe(true);
  });

  it('refuses chunks without a manifest or of the wrong length, acknowledging them', async () => {
    const id = nextUlid();
    await ward.publishAsync(topics.clipChunk('p07', id, 0), Buffer.alloc(10), { qos: 1 });
    const event = eventMessage('p07', { type: 'end' });
    await publishEvent(ward, event);
    await sendClip(randomBytes(2048), event.event.id, []);
    await ward.publishAsync(topics.clipChunk('p07', event.event.id, 0), Buffer.alloc(10), { qos: 1 });
    await ward.publishAsync(topics.clipChunk('p07', event.event.id, 7), Buffer.alloc(1024), { qos: 1 });
    expect(hub.ingest.stats().invalid).toMatchObject({ 'chunk-without-manifest': 1, 'chunk-length': 1, 'chunk-out-of-range': 1 });
    expect(await hub.store.getIncident(event.event.id)).toMatchObject({ clip_state: 'receiving' });
  });
});
