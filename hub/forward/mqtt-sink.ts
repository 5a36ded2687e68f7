// MQTT bridge target: publishes the alert QoS 1 to the city broker; delivered means PUBACK.
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import type { Outcome } from './outcome.js';
import type { Sink } from './sink.js';

export interface MqttSinkOptions {
  url: string;
  topic: string;
  username?: string | undefined;
  password?: string | undefined;
  /** one attempt (connect + PUBACK) gives up after this long */
  timeoutMs: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} in ${ms} ms`)), ms);
    const abort = () => reject(new Error('forwarder closing'));
    signal.addEventListener('abort', abort, { once: true });
    p.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
    });
  });
}

/**
 * One connection, made on the first attempt and again after it drops (no automatic reconnect: the outbox's
 * backoff paces the tries). MQTT has no refusal a retry could not cure, so every failure is transient.
 */
export function mqttSink(options: MqttSinkOptions): Sink {
  let client: MqttClient | undefined;
  const clientId = `wardwatch-hub-${randomBytes(4).toString('hex')}`;

  async function connected(signal: AbortSignal): Promise<MqttClient> {
    if (client?.connected) return client;
    client?.end(true);
    client = undefined;
    const c = mqtt.connect(options.url, {
      protocolVersion: 4,
      clientId,
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    });
    c.on('error', () => undefined); // surfaced through the attempt below
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
        c.once('close', () => reject(new Error('connection closed')));
      }), options.timeoutMs, 'CONNACK', signal);
    } catch (err) {
      c.end(true);
      throw err;
    }
    client = c;
    return c;
  }

  return {
    async deliver(_key, body, signal): Promise<Outcome> {
      try {
        const c = await connected(signal);
        await withTimeout(c.publishAsync(options.topic, body, { qos: 1 }), options.timeoutMs, 'PUBACK', signal);
        return { kind: 'delivered' };
      } catch (err) {
        // a publish with no PUBACK may still be in flight: start afresh next time (the key in the body dedupes)
        client?.end(true);
        client = undefined;
        return { kind: 'retry', reason: `mqtt: ${(err as Error).message}` };
      }
    },
    async close() {
      await client?.endAsync(true);
      client = undefined;
    },
  };
}
