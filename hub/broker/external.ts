// External broker mode (hub.yaml `broker.mode: external`): the hub is a client of an existing broker (Mosquitto, EMQX,
// …). Ingest takes the wards' messages through a shared subscription on a persistent MQTT 5 session, so several hub
// processes split the load and the broker keeps messages while they are down; each committed message is confirmed
// to its box by a `cmd/ack` (batched per ward), so a box keeps it until then, whatever the broker loses.
import mqtt, { type MqttClient } from 'mqtt';
import { monotonicFactory } from 'ulid';
import { parseTopic, topics, TOPIC_ROOT } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { ackCommand, ackItemOf, AckBatch, type WardAcks } from './ack-batch.js';
import { WARD_PUBLISH_LEVELS } from './acl.js';
import type { Broker, BrokerStats, MessageSink } from './broker.js';
import { announceDelivery } from './delivery.js';

const ulid = monotonicFactory();

export interface ExternalBrokerOptions {
  /** mqtt://host:port or mqtts://host:port */
  url: string;
  username: string;
  password: string;
  ca?: Buffer | undefined;
  /** this hub process's client id: one persistent session per process */
  clientId: string;
  /** the shared subscription's group: hub processes of one group split the messages */
  group: string;
  sessionExpirySeconds: number;
  wards: readonly { id: string }[];
  sink: MessageSink;
  logger: Logger;
  /** how long an ack waits for company before it is sent (default 20 ms) */
  ackWaitMs?: number;
}

/** The shared subscriptions of ingest: every topic a ward publishes (hub/broker/acl.ts), any ward. */
export function ingestFilters(group: string): string[] {
  return WARD_PUBLISH_LEVELS.map((l) => `$share/${group}/${TOPIC_ROOT}/+/${l}`);
}

/** Connects to the broker; resolves once the first connection is up and subscribed, rejects on a refused login. */
export async function connectExternalBroker(o: ExternalBrokerOptions): Promise<Broker> {
  const log = o.logger.child({ part: 'broker', broker: o.url });
  let wards = o.wards.map((w) => w.id);
  const stats: BrokerStats = {
    connected: 0,
    logins: 0,
    refusals: { login: 0, clientId: 0, publish: 0, subscribe: 0, payloadSize: 0, revoked: 0, ingestError: 0, packetSize: 0, loginTimeout: 0, loginsPerAddress: 0, retain: 0 },
  };
  const client: MqttClient = mqtt.connect(o.url, {
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: o.sessionExpirySeconds },
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    keepalive: 30,
    ...(o.ca ? { ca: o.ca, rejectUnauthorized: true } : {}),
  });
  const publish = (ward: string, name: string, payload: unknown, options?: { retain?: boolean }) =>
    client.publishAsync(topics.command(ward, name), JSON.stringify(payload), { qos: 1, retain: options?.retain ?? false }).then(() => undefined);

  const batch = new AckBatch();
  let ackTimer: NodeJS.Timeout | undefined;
  const sendAcks = (acks: WardAcks) => {
    publish(acks.ward, 'ack', ackCommand(acks, ulid())).catch((err: unknown) => log.warn({ ward: acks.ward, err }, 'could not send an ack: the ward sends those messages again'));
  };
  const flushAcks = () => {
    clearTimeout(ackTimer);
    ackTimer = undefined;
    for (const acks of batch.take()) sendAcks(acks);
  };

  let lastProblem: string | undefined;
  client.on('connect', (connack) => {
    stats.connected = 1;
    stats.logins++;
    log.info({ sessionPresent: connack.sessionPresent }, `connected to the broker ${o.url} as ${o.clientId}${lastProblem ? ' (the problem before is gone)' : ''}`);
    lastProblem = undefined;
    // a session the broker kept already holds the subscriptions; subscribing again is harmless and covers a lost one
    client.subscribe(ingestFilters(o.group), { qos: 1 }, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos >= 0x80);
      if (err || refused.length) log.error({ err, refused }, `the broker refused ingest's subscriptions: give ${o.username} read access to ${TOPIC_ROOT}/# in the broker's ACL`);
    });
    void announceDelivery(publish, wards, 'ack', log);
  });
  client.on('close', () => {
    if (stats.connected) log.warn('lost the broker connection: reconnecting (the broker keeps the session)');
    stats.connected = 0;
  });
  client.on('error', (err) => {
    const text = err.message;
    if (text !== lastProblem) log.warn({ err: text }, `broker connection: ${text}`);
    lastProblem = text;
  });
  client.on('message', (topic, payload) => {
    const ward = parseTopic(topic)?.ward ?? topic.split('/')[2] ?? '?';
    o.sink.handle({ topic, payload }, { box: ward }).then(
      () => {
        const item = ackItemOf(topic, payload);
        if (!item) return;
        const full = batch.add(item);
        if (full) sendAcks(full);
        else ackTimer ??= setTimeout(flushAcks, o.ackWaitMs ?? 20);
      },
      (err: unknown) => {
        // no ack: the ward sends it again (its resend delay), and this or another hub process stores it then
        stats.refusals.ingestError++;
        log.error({ err, topic }, 'ingest could not store a message: not acknowledged, the ward will send it again');
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    const onConnect = () => {
      client.off('error', onError);
      resolve();
    };
    const onError = (err: Error & { code?: number }) => {
      // 4/5 (3.1.1) or 0x86/0x87 (5): the login is wrong; retrying will not help
      if (err.code === 0x86 || err.code === 0x87 || err.code === 4 || err.code === 5 || err.code === 135 || err.code === 134) {
        client.off('connect', onConnect);
        client.end(true);
        reject(new Error(`the broker ${o.url} refused the hub's login (${err.message}): check broker.external.username and the password in the secrets file (broker.external.passwordSecret)`));
      }
    };
    client.once('connect', onConnect);
    client.on('error', onError);
  });

  return {
    listeners: [],
    setWards(next) {
      const added = next.map((w) => w.id).filter((id) => !wards.includes(id));
      wards = next.map((w) => w.id);
      if (added.length) void announceDelivery(publish, added, 'ack', log);
      log.info("ward logins live in the external broker: update its password and ACL files (`wardwatch provision mosquitto`) and reload it");
    },
    publishCommand: publish,
    stats: () => ({ ...stats, refusals: { ...stats.refusals } }),
    async retained() {
      return [];
    },
    async close() {
      flushAcks();
      // the last acks go out if the broker answers within 2 s; an ack lost here only makes a ward send again
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 2000)));
      const ended = await Promise.race([client.endAsync().then(() => 'ended' as const), late]);
      clearTimeout(timer);
      if (ended === 'late') await client.endAsync(true);
    },
  };
}
