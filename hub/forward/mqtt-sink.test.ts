import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLinkKey } from '../share/link-key.js';
import { captureLogger } from '../../testing/hub/test-support.js';
import type { Alert } from './alert.js';
import { createForwarder } from './forwarder.js';
import { forwardConfig, rule, sendIncident, storeWithIngest, waitFor } from '../../testing/hub/forward/test-support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** The city's broker: aedes on loopback; the hub's login works once `admitHub` says so, the city's own always. */
async function cityBroker(port: number, admitHub: () => boolean): Promise<void> {
  const broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      const hub = username === 'phu-nhuan' && password?.toString() === 'broker-pass' && admitHub();
      done(null, hub || (username === 'city-ops' && password?.toString() === 'ops-pass'));
    },
  });
  const server = createServer((socket) => broker.handle(socket));
  await listen(server, port);
  cleanups.push(async () => {
    server.close();
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });
}

describe('the MQTT bridge', () => {
  it('publishes the alert QoS 1 to the city broker, retrying until the broker is up and lets the hub in', async () => {
    // a free port for a broker that is not up yet
    const probe = createServer();
    const port = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const { logger, lines } = captureLogger();
    const s = storeWithIngest(logger, (ids) => forwarder.incidentsChanged(ids));
    const forwarder = createForwarder({
      store: s.store,
      recordings: s.retrievals,
      config: forwardConfig(
        [{ id: 'city-mqtt', type: 'mqtt', url: `mqtt://127.0.0.1:${port}`, topic: 'wardwatch/alerts', username: 'phu-nhuan', secretName: 'city-mqtt' }],
        [rule({ target: 'city-mqtt' })],
        { 'city-mqtt': 'broker-pass' },
      ),
      linkKey: loadLinkKey(s.root),
      audit: async () => undefined,
      logger,
      retry: { initialMs: 50, jitter: 0 },
      mqttTimeoutMs: 3000,
    });
    cleanups.push(async () => {
      await forwarder.close();
      await s.close();
    });

    const id = await sendIncident(s.ingest);
    await waitFor('a failed attempt', () => lines().some((l) => typeof l.reason === 'string' && l.reason.startsWith('mqtt:')));
    expect(await forwarder.stats()).toMatchObject({ pending: 1, delivered: 0 });

    // the hub is refused until the city's subscriber listens, so that the alert cannot pass before it does
    let admit = false;
    await cityBroker(port, () => admit);
    const subscriber = await mqtt.connectAsync({ host: '127.0.0.1', port, protocolVersion: 4, username: 'city-ops', password: 'ops-pass', reconnectPeriod: 0 });
    cleanups.push(() => subscriber.endAsync());
    const received: Alert[] = [];
    subscriber.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString('utf8')) as Alert));
    await subscriber.subscribeAsync('wardwatch/alerts', { qos: 1 });
    expect((await forwarder.stats()).delivered).toBe(0);
    admit = true;

    await waitFor('the PUBACK', async () => (await forwarder.stats()).delivered === 1);
    await waitFor('the subscriber to see it', () => received.length === 1);
    expect(received[0]).toMatchObject({ key: `${id}:city-mqtt`, incident: { id, label: 'car' }, cause: { kind: 'rule', rules: ['all'] } });
    expect(await forwarder.stats()).toMatchObject({ pending: 0, dead: 0 });
  });
});
