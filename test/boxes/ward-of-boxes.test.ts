// A ward of several boxes at the real hub (startHub: broker, ingest, API): each box logs in with its own token and
// publishes under its own id; the hub files everything under the ward, keeps a camera to the box that sends it,
// sends commands about a camera to that box, and shows officers of the ward every box's cameras. The same on the
// default SQLite index and on a PostgreSQL one (`store.type: postgres`).
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { hubConfigSchema } from '../../shared/config/hub.js';
import { topics, type EventMessage } from '../../shared/contract/index.js';
import { silentLogger } from '../../shared/log.js';
import { startHub, type RunningHub } from '../../hub/main.js';
import { connectWard, eventMessage, tempDir, testWard } from '../../testing/hub/test-support.js';
import { CLI, Client } from '../../testing/hub/api/test-client.js';

const dn1 = testWard('dn-1');
const dn2 = testWard('dn-2');
// a box whose id is not its ward's: p07-b of ward phu-nhuan (issue #20's acceptance)
const p07 = testWard('p07-b');
// an old ward's box merged into duc-nhuan: its cameras are cam-01 … too, so the hub names them p05-cam-01 …
const p05 = testWard('p05');
const noPostgres = skipWithoutPostgres('a ward of boxes on PostgreSQL');

const online = (box: string) =>
  JSON.stringify({ state: 'online', ward: box, version: '0.4.0', startedAt: Date.now() - 1000, at: Date.now(), disk: { freeBytes: 5e11, totalBytes: 2e12 }, outboxDepth: 0, cameras: { recording: 1, total: 1 }, detector: 'onnx', alarms: [] });
const eventOf = (box: string, camera: string): EventMessage => {
  const m = eventMessage(box);
  return { ...m, event: { ...m.event, camera } };
};

describe.each([{ engine: 'sqlite' }, { engine: 'postgres' }] as const)('on $engine', ({ engine }) => {
  let hub: RunningHub;
  let base: string;
  const boxes: MqttClient[] = [];
  let database: TestPostgres | undefined;
  const invalid = () => hub.store.sql.all('SELECT box_id, kind, last_reason FROM invalid_messages ORDER BY box_id, kind');

  beforeAll(async () => {
    if (engine === 'postgres' && noPostgres) return;
    const dir = tempDir('ww-boxes-');
    let store: { type: 'postgres'; postgres: { url: string } } | undefined;
    if (engine === 'postgres') {
      database = await startPostgres();
      const c = await database.createDatabase();
      store = { type: 'postgres', postgres: { url: `postgres://${c.user}@${c.host}:${c.port}/${c.database}` } };
    }
    hub = await startHub(
      {
        ...hubConfigSchema.parse({
          district: { name: 'Phú Nhuận' },
          storage: { root: path.join(dir, 'data') },
          ...(store && { store }),
          broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
          wards: [
            { id: 'duc-nhuan', name: 'Phường Đức Nhuận', boxes: [{ id: 'dn-1', name: 'Đức Nhuận 1', tokenHash: dn1.tokenHash }, { id: 'dn-2', tokenHash: dn2.tokenHash }, { id: 'p05', tokenHash: p05.tokenHash, cameraPrefix: 'p05-' }] },
            { id: 'phu-nhuan', name: 'Phường Phú Nhuận', boxes: [{ id: 'p07-b', tokenHash: p07.tokenHash }] },
          ],
          http: { host: '127.0.0.1', port: 0, publicUrl: 'http://127.0.0.1:1' },
        }),
        file: path.join(dir, 'hub.yaml'),
        secrets: new Map(),
      },
      { logger: silentLogger() },
    );
    base = `http://127.0.0.1:${hub.http!.port}`;
    await hub.accounts.addUser({ name: 'lan', role: 'operator', password: 'initial-pass-1' }, CLI);
    await hub.accounts.addUser({ name: 'officer-dn', role: 'officer', ward: 'duc-nhuan', password: 'initial-pass-1' }, CLI);
    await hub.accounts.addUser({ name: 'officer-pn', role: 'officer', ward: 'phu-nhuan', password: 'initial-pass-1' }, CLI);
  }, 60_000);

  afterAll(async () => {
    for (const b of boxes) await b.endAsync().catch(() => undefined);
    await hub?.close();
    await database?.close();
  });

  const sessions = new Map<string, Client>();
  async function login(name: string): Promise<Client> {
    const known = sessions.get(name);
    if (known) return known;
    const c = new Client(base);
    expect((await c.login(name, 'initial-pass-1', 'a-new-pass-1234')).status).toBe(200);
    sessions.set(name, c);
    return c;
  }

  describe.skipIf(engine === 'postgres' && noPostgres)('a ward of two boxes', () => {
    it('takes each box\'s login and files both boxes\' incidents under the ward, with the box that sent each', async () => {
      const port = hub.broker.listeners[0]!.port;
      for (const b of [dn1, dn2, p07, p05]) boxes.push(await connectWard(port, { ward: b }));
      const [one, two, seven, five] = boxes as [MqttClient, MqttClient, MqttClient, MqttClient];
      // a box not listed under any ward cannot log in
      await expect(connectWard(port, { ward: testWard('dn-9') })).rejects.toThrow(/Not authorized|Bad username or password/i);

      await one.publishAsync(topics.wardStatus('dn-1'), online('dn-1'), { qos: 1, retain: true });
      await two.publishAsync(topics.wardStatus('dn-2'), online('dn-2'), { qos: 1, retain: true });
      await seven.publishAsync(topics.wardStatus('p07-b'), online('p07-b'), { qos: 1, retain: true });
      await five.publishAsync(topics.wardStatus('p05'), online('p05'), { qos: 1, retain: true });
      const a = eventOf('dn-1', 'cam-01');
      const b = eventOf('dn-2', 'cam-02');
      await one.publishAsync(topics.events('dn-1'), JSON.stringify(a), { qos: 1 });
      await two.publishAsync(topics.events('dn-2'), JSON.stringify(b), { qos: 1 });
      await seven.publishAsync(topics.events('p07-b'), JSON.stringify(eventOf('p07-b', 'cam-01')), { qos: 1 });
      const c = eventOf('p05', 'cam-01');
      await five.publishAsync(topics.events('p05'), JSON.stringify(c), { qos: 1 });

      const rows = await hub.store.sql.all('SELECT id, ward, box_id, camera FROM incidents ORDER BY box_id');
      expect(rows).toEqual([
        { id: a.event.id, ward: 'duc-nhuan', box_id: 'dn-1', camera: 'cam-01' },
        { id: b.event.id, ward: 'duc-nhuan', box_id: 'dn-2', camera: 'cam-02' },
        { id: c.event.id, ward: 'duc-nhuan', box_id: 'p05', camera: 'p05-cam-01' },
        { id: expect.any(String) as string, ward: 'phu-nhuan', box_id: 'p07-b', camera: 'cam-01' },
      ]);
      expect(await hub.store.sql.all('SELECT ward, camera, box_id FROM cameras ORDER BY ward, camera')).toEqual([
        { ward: 'duc-nhuan', camera: 'cam-01', box_id: 'dn-1' },
        { ward: 'duc-nhuan', camera: 'cam-02', box_id: 'dn-2' },
        { ward: 'duc-nhuan', camera: 'p05-cam-01', box_id: 'p05' },
        { ward: 'phu-nhuan', camera: 'cam-01', box_id: 'p07-b' },
      ]);
      expect(await invalid()).toEqual([]);
    });

    it('refuses, with the reason, data for a camera id another box of the ward sends; another ward\'s camera of the same id is its own', async () => {
      const two = boxes[1]!;
      const clash = eventOf('dn-2', 'cam-01');
      await two.publishAsync(topics.events('dn-2'), JSON.stringify(clash), { qos: 1 });
      expect(await hub.store.getIncident(clash.event.id)).toBeUndefined();
      expect(await invalid()).toEqual([
        { box_id: 'dn-2', kind: 'camera-of-another-box', last_reason: expect.stringMatching(/^camera cam-01 belongs to box dn-1 of this ward .*camera ids must be unique within a ward/) as string },
      ]);
      // an event id of one box cannot be changed by another
      const first = (await hub.store.sql.get<{ id: string }>("SELECT id FROM incidents WHERE box_id = 'dn-1'"))!;
      const m = eventOf('dn-2', 'cam-02');
      await two.publishAsync(topics.events('dn-2'), JSON.stringify({ ...m, type: 'end', event: { ...m.event, id: first.id, end: m.event.start + 5000 } }), { qos: 1 });
      expect(await hub.store.sql.get('SELECT state, box_id FROM incidents WHERE id = ?', [first.id])).toEqual({ state: 'open', box_id: 'dn-1' });
      expect(await invalid()).toContainEqual({ box_id: 'dn-2', kind: 'foreign-event', last_reason: `event ${first.id} belongs to box dn-1` });
    });

    it('shows an officer of the ward every box\'s incidents and the ward with its boxes; an officer of another ward none of them', async () => {
      const dn = await login('officer-dn');
      const list = await dn.get('/api/incidents?limit=50');
      expect(list.status).toBe(200);
      const seen = (list.json.incidents as { ward: string; camera: string }[]).map((i) => `${i.ward}/${i.camera}`).sort();
      expect(seen).toEqual(['duc-nhuan/cam-01', 'duc-nhuan/cam-02', 'duc-nhuan/p05-cam-01']);
      expect(((await dn.get('/api/wards')).json.wards as { id: string; boxes: { id: string }[] }[]).map((w) => [w.id, w.boxes.map((b) => b.id)])).toEqual([['duc-nhuan', ['dn-1', 'dn-2', 'p05']]]);
      const seven = await login('officer-pn');
      const theirs = (await seven.get('/api/incidents?limit=50')).json.incidents as { id: string; ward: string }[];
      expect(theirs.map((i) => i.ward)).toEqual(['phu-nhuan']);
      // another ward's incident, asked for by id or by filter: not there for this officer
      expect((await seven.get(`/api/incidents/${(list.json.incidents as { id: string }[])[0]!.id}`)).status).toBe(404);
      expect(await seven.get('/api/incidents?ward=duc-nhuan')).toMatchObject({ status: 403, json: { error: expect.stringMatching(/sees ward phu-nhuan only/) as string } });
      expect((await seven.get('/api/wards/duc-nhuan')).status).toBe(403);

      const operator = await login('lan');
      const wards = (await operator.get('/api/wards')).json.wards as { id: string; state: string; camerasTotal: number; boxes: { id: string; name: string; state: string; cameras: { camera: string }[] }[] }[];
      const ward = wards.find((w) => w.id === 'duc-nhuan')!;
      expect(ward).toMatchObject({ state: 'online', camerasTotal: 3 });
      expect(ward.boxes.map((b) => [b.id, b.name, b.state, b.cameras.map((c) => c.camera)])).toEqual([
        ['dn-1', 'Đức Nhuận 1', 'online', ['cam-01']],
        ['dn-2', 'dn-2', 'online', ['cam-02']],
        ['p05', 'p05', 'online', ['p05-cam-01']],
      ]);
      expect(wards.find((w) => w.id === 'phu-nhuan')!.boxes.map((b) => b.id)).toEqual(['p07-b']);
    });

    it('sends an operator\'s retrieval of a camera to the box that records it, and only to that box', async () => {
      const [one, two] = boxes as [MqttClient, MqttClient];
      const heard: string[] = [];
      for (const [client, box] of [[one, 'dn-1'], [two, 'dn-2']] as const) {
        client.on('message', (topic) => {
          if (topic.endsWith('/cmd/retrieve')) heard.push(topic);
        });
        await client.subscribeAsync(topics.commandFilter(box), { qos: 1 });
      }
      const operator = await login('lan');
      const now = Date.now();
      const r = await operator.call('POST', '/api/retrievals', { ward: 'duc-nhuan', camera: 'cam-02', from: now - 120_000, to: now - 60_000 });
      expect(r.status).toBe(202);
      await expect.poll(() => heard, { timeout: 5000 }).toEqual([topics.command('dn-2', 'retrieve')]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(heard).toEqual([topics.command('dn-2', 'retrieve')]);
    });

    it('asks a box with a camera prefix for its camera by the box\'s own name', async () => {
      const five = boxes[3]!;
      const asked = new Promise<{ topic: string; camera: string }>((resolve) =>
        five.on('message', (topic, payload) => {
          if (topic.endsWith('/cmd/retrieve')) resolve({ topic, camera: (JSON.parse(payload.toString()) as { camera: string }).camera });
        }),
      );
      await five.subscribeAsync(topics.commandFilter('p05'), { qos: 1 });
      const now = Date.now();
      const r = await (await login('lan')).call('POST', '/api/retrievals', { ward: 'duc-nhuan', camera: 'p05-cam-01', from: now - 120_000, to: now - 60_000 });
      expect(r.status).toBe(202);
      expect(await asked).toEqual({ topic: topics.command('p05', 'retrieve'), camera: 'cam-01' });
    });
  });
});
