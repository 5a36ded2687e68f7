// The embedded MQTT broker: aedes on the configured listeners, with ward login, topic ACL and size limit,
// handing every accepted publish to ingest BEFORE the PUBACK goes out.
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from '../../shared/log.js';
import { topics } from '../../shared/contract/index.js';
import { checkClientId, checkPayloadSize, checkPublish, checkSubscribe, type Decision } from './acl.js';
import { planLogin, TokenVerifier, type WardCredential } from './auth.js';
import { openListeners, type BoundListener, type ListenerConfig } from './listeners.js';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
}

/** Where accepted publishes go. `handle` resolves once the message is stored (or deliberately dropped as
 *  invalid); a rejection keeps the PUBACK back and drops the connection, so the ward sends it again. */
export interface MessageSink {
  handle(message: IncomingMessage, from: { ward: string }): Promise<void>;
}

export interface BrokerOptions {
  listeners: readonly ListenerConfig[];
  maxPayloadBytes: number;
  wards: readonly WardCredential[];
  sink: MessageSink;
  logger: Logger;
}

export type RefusalKind = 'login' | 'clientId' | 'publish' | 'subscribe' | 'payloadSize' | 'revoked' | 'ingestError';

export interface BrokerStats {
  connected: number;
  logins: number;
  refusals: Record<RefusalKind, number>;
}

export interface Broker {
  listeners: BoundListener[];
  /** replaces the ward list; a ward removed or given a new token is disconnected at once */
  setWards(wards: readonly WardCredential[]): void;
  /** publishes a command to a ward (`wardwatch/v1/<ward>/cmd/<name>`, QoS 1) */
  publishCommand(ward: string, name: string, payload: unknown): Promise<void>;
  stats(): BrokerStats;
  close(): Promise<void>;
}

interface Identity {
  ward: string;
  tokenHash: string;
}

const AUTH_BAD_CREDENTIALS = 4;
const AUTH_NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const { logger, sink, maxPayloadBytes } = options;
  const log = logger.child({ part: 'broker' });
  let wards = new Map(options.wards.map((w) => [w.id, w] as const));
  const verifier = new TokenVerifier();
  const identities = new WeakMap<Client, Identity>();
  const stats: BrokerStats = {
    connected: 0,
    logins: 0,
    refusals: { login: 0, clientId: 0, publish: 0, subscribe: 0, payloadSize: 0, revoked: 0, ingestError: 0 },
  };

  const refused = (kind: RefusalKind, fields: Record<string, unknown>, reason: string) => {
    stats.refusals[kind]++;
    log.warn({ ...fields, refusal: kind, reason }, `refused: ${reason}`);
  };

  const broker = await Aedes.createBroker({
    authenticate(client, username, password, done) {
      const plan = planLogin(wards, username, password);
      if (!plan.ok) {
        refused('login', { clientId: client.id, username }, plan.reason);
        return done(authError(plan.reason, AUTH_BAD_CREDENTIALS), false);
      }
      const idCheck = checkClientId(plan.ward, client.id);
      if (!idCheck.ok) {
        refused('clientId', { ward: plan.ward, clientId: client.id }, idCheck.reason);
        return done(authError(idCheck.reason, AUTH_NOT_AUTHORIZED), false);
      }
      verifier.verify(plan.ward, plan.tokenHash, plan.token).then(
        (ok) => {
          // the ward list may have changed while scrypt ran
          const stillValid = wards.get(plan.ward)?.tokenHash === plan.tokenHash;
          if (!ok || !stillValid) {
            const reason = ok ? `ward ${plan.ward}'s token was replaced during login` : `wrong token for ward ${plan.ward}`;
            refused('login', { ward: plan.ward, clientId: client.id }, reason);
            return done(authError(reason, AUTH_BAD_CREDENTIALS), false);
          }
          identities.set(client, { ward: plan.ward, tokenHash: plan.tokenHash });
          stats.logins++;
          done(null, true);
        },
        (err: unknown) => {
          log.error({ err, ward: plan.ward }, 'token verification failed');
          done(authError('server error', 3), false);
        },
      );
    },

    // Ingest runs here, not in `published`: for QoS 1 aedes writes the PUBACK before it publishes (and so
    // before `published` is called), but only after authorizePublish calls back. Wills pass here too.
    authorizePublish(client, packet, done) {
      const identity = client ? identities.get(client) : undefined;
      if (!client || !identity) {
        // only aedes' own will sweep publishes without a live client; wards are never anonymous
        log.warn({ topic: packet.topic }, 'refused: publish without an authenticated ward');
        return done(new Error('not authenticated'));
      }
      const fields = { ward: identity.ward, clientId: client.id, topic: packet.topic };
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const decision: Decision = checkPublish(identity.ward, packet.topic);
      if (!decision.ok) {
        refused('publish', fields, decision.reason);
        return done(new Error(decision.reason));
      }
      const size = checkPayloadSize(payload.length, maxPayloadBytes);
      if (!size.ok) {
        refused('payloadSize', fields, size.reason);
        return done(new Error(size.reason));
      }
      sink.handle({ topic: packet.topic, payload }, { ward: identity.ward }).then(
        () => done(null),
        (err: unknown) => {
          stats.refusals.ingestError++;
          log.error({ ...fields, err }, 'ingest could not store a message: no PUBACK, the ward will send it again');
          done(err instanceof Error ? err : new Error(String(err)));
        },
      );
    },

    authorizeSubscribe(client, sub: Subscription, done) {
      const identity = identities.get(client);
      const decision: Decision = identity ? checkSubscribe(identity.ward, sub.topic) : { ok: false, reason: 'not authenticated' };
      if (!decision.ok) {
        refused('subscribe', { ward: identity?.ward, clientId: client.id, filter: sub.topic }, decision.reason);
        // a null subscription is a SUBACK failure (0x80) for this filter; the connection stays
        return done(null, null);
      }
      done(null, sub);
    },
  });

  broker.on('clientReady', () => stats.connected++);
  broker.on('clientDisconnect', () => stats.connected--);
  broker.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (_client: Client, err: Error) => log.debug({ err: err.message }, 'connection error'));

  let listeners;
  try {
    listeners = await openListeners(options.listeners, (socket) => broker.handle(socket));
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }

  const liveClients = (): Client[] => Object.values((broker as unknown as { clients: Record<string, Client> }).clients);

  return {
    listeners: listeners.bound,

    setWards(next) {
      wards = new Map(next.map((w) => [w.id, w] as const));
      verifier.retain(next);
      for (const client of liveClients()) {
        const identity = identities.get(client);
        if (!identity || wards.get(identity.ward)?.tokenHash === identity.tokenHash) continue;
        refused('revoked', { ward: identity.ward, clientId: client.id }, `ward ${identity.ward}'s token was revoked or replaced: disconnected`);
        client.close();
      }
    },

    publishCommand(ward, name, payload) {
      const packet: PublishPacket = { cmd: 'publish', topic: topics.command(ward, name), payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: false, dup: false };
      return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
    },

    stats: () => ({ ...stats, refusals: { ...stats.refusals } }),

    async close() {
      const stopped = listeners.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await stopped;
    },
  };
}
