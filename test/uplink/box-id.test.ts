// A box apart from its ward (docs/wards-and-boxes.md): a real ward box (startEdge) with `box: { id: dn-2 }` of ward
// duc-nhuan, recording a fake RTSP camera, connected to a real aedes broker on loopback that records every login,
// subscription and publish. Everything MQTT speaks as the box (login ward-dn-2, topics wardwatch/v1/dn-2/…, payloads'
// `ward: dn-2`, commands on its own cmd/#); the review page stays the ward's (an officer of duc-nhuan logs in there).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import type { IPublishPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type RunningEdge } from '../../edge/main.js';
import { newMsgId } from '../../edge/uplink/outbox.js';
import { topics } from '../../shared/contract/index.js';
import { loadEdgeConfig } from '../../shared/config/load.js';
import { silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { sessionOf } from '../review/review-box.js';
import { untilWith } from '../until.js';

const until = untilWith(60_000, 200);
const TOKEN = 'box-token-dn-2-0123456789abcdef';

interface Broker {
  port: number;
  logins: { clientId: string; username: string | undefined; password: string | undefined }[];
  subscriptions: string[];
  received: IPublishPacket[];
  publish(topic: string, payload: object): Promise<void>;
  close(): Promise<void>;
}

/** A plain aedes broker that lets ward-dn-2 in with TOKEN (and nobody else) and records what its clients do. */
async function startBroker(): Promise<Broker> {
  const logins: Broker['logins'] = [];
  const subscriptions: string[] = [];
  const received: IPublishPacket[] = [];
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      logins.push({ clientId: client.id, username, password: password?.toString() });
      done(null, username === 'ward-dn-2' && password?.toString() === TOKEN);
    },
    authorizeSubscribe: (_client, sub, done) => {
      subscriptions.push(sub.topic);
      done(null, sub);
    },
    authorizePublish: (client, packet, done) => {
      if (client) received.push(packet);
      done(null);
    },
  });
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    logins,
    subscriptions,
    received,
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) => broker.publish({ cmd: 'publish', topic, payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, dup: false }, (err) => (err ? reject(err) : resolve()))),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of Object.values((broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients)) c.conn.destroy();
        server.close(() => broker.close(() => resolve()));
      }),
  };
}

let farm: CameraFarm;
let broker: Broker;
let edge: RunningEdge;

const json = (p: IPublishPacket) => JSON.parse(p.payload.toString()) as Record<string, unknown>;
const on = (topic: string) => broker.received.filter((p) => p.topic === topic);

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-box-id-'));
  farm = await startCameraFarm({ count: 1, scene: 'quiet', loopSeconds: 12 });
  broker = await startBroker();
  const cam = farm.cameras[0]!;
  const file = path.join(dir, 'edge.yaml');
  writeFileSync(
    file,
    `ward: { id: duc-nhuan, name: Phường Đức Nhuận }\nbox: { id: dn-2 }\nstorage: { root: ${dir}/data }\nreview: { host: 127.0.0.1, port: 0 }\ndetect: { enabled: false }\n` +
      `hub: { host: 127.0.0.1, port: ${broker.port}, tls: false }\n` +
      `cameras:\n  - id: cam-1\n    name: Camera 1\n    streams:\n      main: { url: "${cam.mainUrl}" }\n      sub: { url: "${cam.subUrl}" }\n` +
      `    credentials: { username: admin, passwordSecret: cam }\n    record: { segmentSeconds: 2 }\n`,
  );
  const loaded = loadEdgeConfig(file, { env: { WARDWATCH_SECRET_CAM: 'wardwatch-cam', WARDWATCH_SECRET_HUB_TOKEN: TOKEN } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  edge = await startEdge(loaded.config, { logger: silentLogger() });
}, 120_000);

afterAll(async () => {
  await edge?.close();
  await broker?.close();
  await farm?.stop();
});

describe('a box with box.id dn-2 of ward duc-nhuan', () => {
  it('logs in as ward-dn-2 and listens to its own commands only', async () => {
    await until('the box connected', () => edge.uplink?.stats().connected);
    expect(broker.logins.map((l) => [l.clientId, l.username])).toEqual([['ward-dn-2', 'ward-dn-2']]);
    await until('its command subscription', () => broker.subscriptions.length > 0);
    expect(broker.subscriptions).toEqual([topics.commandFilter('dn-2')]);
    expect(topics.commandFilter('dn-2')).toBe('wardwatch/v1/dn-2/cmd/#');
  });

  it('publishes its statuses under wardwatch/v1/dn-2/… with ward: dn-2, and nothing under the ward\'s id', async () => {
    const status = await until('the box status', () => on('wardwatch/v1/dn-2/status').at(-1));
    expect(json(status)).toMatchObject({ state: 'online', ward: 'dn-2' });
    const camera = await until('the camera status, recording', () => on('wardwatch/v1/dn-2/cameras/cam-1/status').find((p) => json(p).lastSegmentAt !== null));
    expect(json(camera)).toMatchObject({ ward: 'dn-2', camera: 'cam-1' });
    expect(broker.received.every((p) => p.topic.startsWith('wardwatch/v1/dn-2/'))).toBe(true);
    expect(broker.received.some((p) => p.topic.includes('duc-nhuan'))).toBe(false);
  });

  it('answers a cmd/retrieve sent to wardwatch/v1/dn-2/cmd/retrieve under its own topics', async () => {
    const requestId = newMsgId(Date.now());
    const to = Date.now();
    await broker.publish(topics.command('dn-2', 'retrieve'), { msgId: newMsgId(Date.now()), requestId, camera: 'cam-1', from: to - 60_000, to, requestedBy: 'lan' });
    const sent = await until('the retrieval sent', () => on('wardwatch/v1/dn-2/retrievals').find((p) => json(p).requestId === requestId && json(p).state === 'sent'));
    expect(json(sent).bytes).toBeGreaterThan(0);
    const manifest = await until('the clip manifest', () => on(`wardwatch/v1/dn-2/clips/${requestId}/manifest`)[0]);
    expect(json(manifest)).toMatchObject({ eventId: requestId, requestId, camera: 'cam-1' });
    await until('its first chunk', () => on(`wardwatch/v1/dn-2/clips/${requestId}/0`)[0]);
  });

  it('keeps the review page the ward\'s: an officer of duc-nhuan logs in there; the box id is no ward', async () => {
    await edge.review.accounts.addUser({ name: 'minh', role: 'officer', ward: 'duc-nhuan', displayName: 'Trần Minh', password: 'first-pass-1' }, { actor: 'test' });
    const minh = await sessionOf(edge.reviewUrl, 'minh', 'first-pass-1', 'station-pass-7');
    const box = await minh('GET', '/api/box');
    expect(box.status).toBe(200);
    expect(box.json.ward).toEqual({ id: 'duc-nhuan', name: 'Phường Đức Nhuận' });
    expect(box.json.may).toMatchObject({ live: true, playback: true });
    await expect(edge.review.accounts.addUser({ name: 'an', role: 'officer', ward: 'dn-2', displayName: 'An', password: 'first-pass-1' }, { actor: 'test' })).rejects.toThrow(/unknown ward "dn-2"/);
  });

  it('says offline as dn-2 when it stops', async () => {
    await edge.close();
    const offline = await until('the offline status', () => on('wardwatch/v1/dn-2/status').find((p) => json(p).state === 'offline'));
    expect(json(offline)).toEqual({ state: 'offline', ward: 'dn-2' });
  });
});
