// The embedded MQTT broker: aedes on the configured listeners behind a connection guard, with ward login, topic ACL,
// size limits and retain only for status, handing every accepted publish to ingest BEFORE the PUBACK goes out.
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Readable } from 'node:stream';
import { BROKER_DEFAULTS } from '../../shared/config/hub.js';
import type { LoginThrottle, LoginVerdict } from '../../shared/accounts/index.js';
import type { Logger } from '../../shared/log.js';
import { topics } from '../../shared/contract/index.js';
import { checkClientId, checkPayloadSize, checkPublish, checkRetain, checkSubscribe, loggableUsername, type Decision } from './acl.js';
import { planLogin, TokenVerifier, type WardCredential } from './auth.js';
import { ConnectionGuard } from './connection-guard.js';
import { openListeners, type BoundListener, type ListenerConfig } from './listeners.js';

export interface IncomingMessage {
  topic: string;
  payload: Buffer;
}

/** Where accepted publishes go. `handle` resolves once the message is stored (or deliberately dropped as
 *  invalid); a rejection keeps the PUBACK back and drops the connection, so the ward sends it again. */
export interface MessageSink {
  handle(message: IncomingMessage, from: { box: string }): Promise<void>;
}

export interface BrokerOptions {
  listeners: readonly ListenerConfig[];
  maxPayloadBytes: number;
  /** hub.yaml `broker.connectTimeoutSeconds` (default 10) */
  connectTimeoutSeconds?: number | undefined;
  /** hub.yaml `broker.maxUnauthenticatedPerAddress` (default 32) */
  maxUnauthenticatedPerAddress?: number | undefined;
  wards: readonly WardCredential[];
  sink: MessageSink;
  logger: Logger;
  /** delays, locks and refuses failing addresses (shared/accounts/login-throttle.ts); the hub shares it with HTTP logins */
  throttle?: LoginThrottle | undefined;
}

export type RefusalKind =
  | 'login'
  | 'clientId'
  | 'publish'
  | 'subscribe'
  | 'payloadSize'
  | 'revoked'
  | 'ingestError'
  /** a packet whose fixed header declares more than it may (closed before it is read) */
  | 'packetSize'
  /** no login within broker.connectTimeoutSeconds */
  | 'loginTimeout'
  /** broker.maxUnauthenticatedPerAddress connections from that address were already logging in */
  | 'loginsPerAddress'
  /** a retained publish outside the status topics: delivered with its retain flag cleared */
  | 'retain';

export interface BrokerStats {
  connected: number;
  logins: number;
  refusals: Record<RefusalKind, number>;
}

export interface Broker {
  listeners: BoundListener[];
  /** replaces the ward list; a ward removed or given a new token is disconnected at once */
  setWards(wards: readonly WardCredential[]): void;
  /** publishes a command to a ward (`wardwatch/v1/<ward>/cmd/<name>`, QoS 1; retained only `cmd/delivery`) */
  publishCommand(ward: string, name: string, payload: unknown, options?: { retain?: boolean }): Promise<void>;
  stats(): BrokerStats;
  /** what the broker holds retained (the wards' status topics, by design, and the hub's own `cmd/delivery` per ward) */
  retained(): Promise<{ topic: string; bytes: number }[]>;
  close(): Promise<void>;
}

interface Identity {
  ward: string;
  tokenHash: string;
}

const AUTH_BAD_CREDENTIALS = 4;
const AUTH_NOT_AUTHORIZED = 5;
/** refused subscription filters named in the one log line of a SUBSCRIBE */
const FILTERS_LOGGED = 3;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const { logger, sink, maxPayloadBytes } = options;
  const connectTimeoutMs = (options.connectTimeoutSeconds ?? BROKER_DEFAULTS.connectTimeoutSeconds) * 1000;
  const maxUnauthenticatedPerAddress = options.maxUnauthenticatedPerAddress ?? BROKER_DEFAULTS.maxUnauthenticatedPerAddress;
  const log = logger.child({ part: 'broker' });
  let wards = new Map(options.wards.map((w) => [w.id, w] as const));
  const verifier = new TokenVerifier();
  const identities = new WeakMap<Client, Identity>();
  const stats: BrokerStats = {
    connected: 0,
    logins: 0,
    refusals: { login: 0, clientId: 0, publish: 0, subscribe: 0, payloadSize: 0, revoked: 0, ingestError: 0, packetSize: 0, loginTimeout: 0, loginsPerAddress: 0, retain: 0 },
  };

  const refused = (kind: RefusalKind, fields: Record<string, unknown>, reason: string, count = 1) => {
    stats.refusals[kind] += count;
    log.warn({ ...fields, refusal: kind, reason }, `refused: ${reason}`);
  };

  const guard = new ConnectionGuard({
    maxPayloadBytes,
    connectTimeoutMs,
    maxUnauthenticatedPerAddress,
    onRefusal: ({ kind, address, ward, reason, count }) => refused(kind, { address, ...(ward ? { ward } : {}) }, reason, count),
  });
  // One warning per SUBSCRIBE, not per filter: aedes authorises all filters of the packets it has just read in one
  // go, so the refusals gathered until the next turn of the event loop are one packet (or a few read together).
  const refusedFilters = new Map<Client, { ward: string | undefined; filters: string[]; reasons: string[]; count: number }>();
  const reportRefusedFilters = (client: Client) => {
    const batch = refusedFilters.get(client);
    refusedFilters.delete(client);
    if (!batch) return;
    const more = batch.count - batch.reasons.length;
    const reason = batch.reasons.join('; ') + (more > 0 ? ` (and ${more} more filters)` : '');
    refused('subscribe', { ward: batch.ward, clientId: client.id, filters: batch.filters, filterCount: batch.count }, reason, batch.count);
  };
  const retainLogged = new WeakSet<Client>();

  const broker = await Aedes.createBroker({
    // the guard's login deadline fires first and says why; aedes' own (until CONNECT arrives) is only a backstop
    connectTimeout: 2 * connectTimeoutMs,

    authenticate(client, username, password, done) {
      const plan = planLogin(wards, username, password);
      if (!plan.ok) {
        refused('login', { clientId: client.id, username: loggableUsername(username) }, plan.reason);
        return done(authError(plan.reason, AUTH_BAD_CREDENTIALS), false);
      }
      const idCheck = checkClientId(plan.ward, client.id);
      if (!idCheck.ok) {
        refused('clientId', { ward: plan.ward, clientId: client.id }, idCheck.reason);
        return done(authError(idCheck.reason, AUTH_NOT_AUTHORIZED), false);
      }
      const verify = () => verifier.verify(plan.ward, plan.tokenHash, plan.token);
      const address = (client.conn as { remoteAddress?: string }).remoteAddress ?? null;
      const checked: Promise<LoginVerdict> = options.throttle
        ? options.throttle.attempt({ realm: 'mqtt', address, name: `ward-${plan.ward}`, known: true }, verify)
        : verify().then((ok) => (ok ? { outcome: 'ok' } : { outcome: 'wrong' }));
      checked.then(
        (verdict) => {
          if (verdict.outcome === 'refused') {
            // counted, not logged: the throttle logs a failing address once per burst
            stats.refusals.login++;
            return done(authError(`too many failed logins from this address: try again after ${new Date(verdict.until).toISOString()}`, AUTH_NOT_AUTHORIZED), false);
          }
          const ok = verdict.outcome === 'ok';
          // the ward list may have changed while scrypt ran
          const stillValid = wards.get(plan.ward)?.tokenHash === plan.tokenHash;
          if (!ok || !stillValid) {
            const reason = ok ? `ward ${plan.ward}'s token was replaced during login` : `wrong token for ward ${plan.ward}`;
            refused('login', { ward: plan.ward, clientId: client.id }, reason);
            return done(authError(reason, AUTH_BAD_CREDENTIALS), false);
          }
          identities.set(client, { ward: plan.ward, tokenHash: plan.tokenHash });
          // before the CONNACK goes out, so the ward's first PUBLISH is already judged by the PUBLISH limit
          guard.admit(client.conn, plan.ward);
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
      // The flag is cleared rather than the publish refused: a refusal closes the connection and the box's outbox
      // would send the same row again for ever. The message still reaches ingest; only nothing piles up in memory.
      const retain: Decision = packet.retain ? checkRetain(packet.topic, payload.length) : { ok: true };
      if (!retain.ok) {
        packet.retain = false;
        if (retainLogged.has(client)) stats.refusals.retain++;
        else {
          retainLogged.add(client);
          refused('retain', fields, `${retain.reason}; delivered without retain (not logged again for this connection)`);
        }
      }
      sink.handle({ topic: packet.topic, payload }, { box: identity.ward }).then(
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
        let batch = refusedFilters.get(client);
        if (!batch) {
          refusedFilters.set(client, (batch = { ward: identity?.ward, filters: [], reasons: [], count: 0 }));
          setImmediate(reportRefusedFilters, client);
        }
        batch.count++;
        if (batch.filters.length < FILTERS_LOGGED) {
          batch.filters.push(sub.topic);
          batch.reasons.push(decision.reason);
        }
        // a null subscription is a SUBACK failure (0x80) for this filter; the connection stays
        return done(null, null);
      }
      done(null, sub);
    },
  });

  // one line per box coming and going, so an installer can confirm a new box from the hub's log
  const who = (client: Client) => ({ ward: identities.get(client)?.ward, clientId: client.id, address: (client.conn as { remoteAddress?: string }).remoteAddress ?? null });
  broker.on('clientReady', (client: Client) => {
    stats.connected++;
    const w = who(client);
    log.info(w, `ward ${w.ward ?? '?'} connected (${w.clientId}${w.address ? ` from ${w.address}` : ''})`);
  });
  broker.on('clientDisconnect', (client: Client) => {
    stats.connected--;
    const w = who(client);
    log.info(w, `ward ${w.ward ?? '?'} disconnected (${w.clientId})`);
  });
  broker.on('clientError', (client: Client, err: Error) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (_client: Client, err: Error) => log.debug({ err: err.message }, 'connection error'));

  let listeners;
  try {
    listeners = await openListeners(
      options.listeners,
      (socket) => {
        const conn = guard.wrap(socket);
        if (conn) broker.handle(conn);
      },
      { handshakeTimeoutMs: connectTimeoutMs },
    );
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

    publishCommand(ward, name, payload, publishOptions) {
      const packet: PublishPacket = { cmd: 'publish', topic: topics.command(ward, name), payload: Buffer.from(JSON.stringify(payload)), qos: 1, retain: publishOptions?.retain ?? false, dup: false };
      return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
    },

    stats: () => ({ ...stats, refusals: { ...stats.refusals } }),

    async retained() {
      const { persistence } = broker as unknown as { persistence: { createRetainedStream(pattern: string): Readable } };
      const stream = persistence.createRetainedStream('#');
      const held: { topic: string; bytes: number }[] = [];
      for await (const packet of stream as AsyncIterable<{ topic: string; payload: Buffer }>) held.push({ topic: packet.topic, bytes: packet.payload.length });
      return held;
    },

    async close() {
      const stopped = listeners.close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      guard.close(); // connections that never logged in: aedes does not know them as clients
      await stopped;
    },
  };
}
