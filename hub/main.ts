// The district hub process: wires store, accounts and audit, ingest, broker, forwarder, HTTP API and retention.
import { boxDirectory, boxesOf, type Box } from '../shared/config/boxes.js';
import { toBoxCameras } from './ingest/camera-names.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { createAccounts, LoginThrottle, type Accounts } from '../shared/accounts/index.js';
import { createAudit, type Audit } from '../shared/audit/index.js';
import type { HubConfig } from '../shared/config/load.js';
import { PageTlsError, plainPageWarning, readPageTls } from '../shared/http/index.js';
import type { Logger } from '../shared/log.js';
import { startHubHttp, type HubHttp } from './api/server.js';
import { startBroker, type Broker } from './broker/broker.js';
import { announceDelivery } from './broker/delivery.js';
import { connectExternalBroker } from './broker/external.js';
import type { BoundListener } from './broker/listeners.js';
import { createForwarder, type AuditFn, type Forwarder } from './forward/forwarder.js';
import { CityGrants } from './city/grants.js';
import { CityViewers, type CityParts } from './city/viewers.js';
import { RtspCredentials } from './city-rtsp/credentials.js';
import { startCityRtsp } from './city-rtsp/start.js';
import type { CityRtsp } from './city-rtsp/server.js';
import { createIngest, type Ingest } from './ingest/ingest.js';
import { LiveRelays } from './live/relays.js';
import { Retrievals } from './retrieval/retrievals.js';
import { RetrievalStore } from './retrieval/store.js';
import { loadLinkKey } from './share/link-key.js';
import { DEFAULT_SEEN_MSG_DAYS, runRetention } from './store/retention-run.js';
import { openConfiguredIndex, type HubStore } from './store/store.js';

const RETENTION_EVERY_MS = 60 * 60 * 1000;

export interface RunningHub {
  listeners: BoundListener[];
  store: HubStore;
  ingest: Ingest;
  broker: Broker;
  /** the city forwarder: `forwardIncident` for the operator's share, `deadLetters` for what the city refused */
  forwarder: Forwarder;
  /** signs and checks clip links (hub/share/) */
  linkKey: Buffer;
  /** operators' retrievals of recorded ranges from the wards */
  retrievals: Retrievals;
  /** operators' live views of ward cameras, relayed through the hub */
  live: LiveRelays;
  /** the city's grants, emergency access and current viewers (hub/city/) */
  city: CityParts;
  /** RTSP for the city's video system (hub.yaml cityRtsp); undefined when off or its port could not be taken */
  cityRtsp: CityRtsp | undefined;
  audit: Audit;
  accounts: Accounts;
  /** the API and operator page; undefined when its port could not be taken (logged as an error) */
  http: HubHttp | undefined;
  /**
   * Takes a new list of wards and their boxes (hub.yaml re-read on SIGHUP): new boxes and tokens are accepted from
   * now on, a box whose token was revoked or replaced is disconnected, a box moved to another ward sends there.
   * Returns what changed, by box.
   */
  reloadWards(wards: HubConfig['wards']): BoxChanges;
  /** closes the HTTP server, the broker (wards see the hub go), commits what ingest holds, closes the db */
  close(): Promise<void>;
}

export interface BoxChanges {
  added: string[];
  removed: string[];
  /** a new token, a revoked one, a new name or another ward */
  changed: string[];
}

/** What differs, box by box, between two ward lists of hub.yaml (pure). */
export function boxChanges(before: HubConfig['wards'], after: HubConfig['wards']): BoxChanges {
  const was = boxDirectory(before);
  const now = boxesOf(after);
  const next = new Set(now.map((b) => b.id));
  const differs = (a: Box, b: Box) => a.tokenHash !== b.tokenHash || a.name !== b.name || a.ward !== b.ward || a.cameraPrefix !== b.cameraPrefix;
  return {
    added: now.filter((b) => !was.has(b.id)).map((b) => b.id),
    removed: [...was.keys()].filter((id) => !next.has(id)),
    changed: now.filter((b) => was.has(b.id) && differs(was.get(b.id)!, b)).map((b) => b.id),
  };
}

export interface HubDeps {
  logger: Logger;
  clock?: () => number;
  /** replaces the forwarder's audit of shares (tests); default: the hub's audit log */
  audit?: AuditFn;
  /** where the API listens instead of config.http (tests: 127.0.0.1:0) */
  http?: { host: string; port: number };
}

export async function startHub(config: HubConfig, deps: HubDeps): Promise<RunningHub> {
  const { logger } = deps;
  const clock = deps.clock ?? Date.now;
  const store = await openConfiguredIndex(config);
  await store.syncWards(config.wards);
  let wards = config.wards;
  // box → its ward: ingest files each box's messages under its ward (docs/wards-and-boxes.md); replaced on reload
  let boxes = boxDirectory(config.wards);
  const audit = createAudit(store.sql, { clock });
  // the one retrievals table: ingest applies the wards' answers to it (and audits a request's end through it), the
  // forwarder reads shared recordings from it, the operators' retrievals and live relays ask it
  const retrievalStore = new RetrievalStore(store.sql, audit);
  // one throttle for operators' logins and wards' MQTT logins: one scrypt budget, and an address failing at one is
  // failing at both
  const throttle = new LoginThrottle({ clock, logger: logger.child({ part: 'logins' }), audit });
  const accounts = createAccounts(store.sql, { audit, clock, throttle, wards: config.wards.map((w) => w.id) });
  // the forwarder records inside its outbox transaction; audit.recordIn(t, …) writes through it, so no share leaves unaudited
  const shareAudit: AuditFn =
    deps.audit ??
    (async (t, action, detail) =>
      void (await audit.recordIn(t, { actor: String(detail.actor ?? 'system'), action, target: typeof detail.incidentId === 'string' ? detail.incidentId : typeof detail.retrievalId === 'string' ? detail.retrievalId : null, ip: typeof detail.ip === 'string' ? detail.ip : null, detail })));
  let linkKey: Buffer;
  let forwarder: Forwarder;
  try {
    linkKey = loadLinkKey(store.root);
    forwarder = createForwarder({ store, recordings: retrievalStore, config, linkKey, audit: shareAudit, logger, clock });
  } catch (err) {
    await store.close();
    throw err;
  }
  let retrievals: Retrievals | undefined = undefined; // needs the broker, which needs ingest
  const ingest = createIngest({
    store,
    retrievals: retrievalStore,
    wardOf: (box) => boxes.get(box)?.ward,
    cameraPrefixOf: (box) => boxes.get(box)?.cameraPrefix,
    logger,
    clock,
    onIncidentsChanged: (ids) => forwarder.incidentsChanged(ids),
    onBoxesOnline: (online) => void retrievals?.boxesOnline(online),
  });
  let broker: Broker;
  const external = config.broker.mode === 'external' ? config.broker.external : undefined;
  try {
    broker = external
      ? await connectExternalBroker({
          url: external.url,
          username: external.username,
          password: config.secrets.get(external.passwordSecret) ?? '',
          ca: external.caFile ? readFileSync(external.caFile) : undefined,
          clientId: external.clientId ?? `wardwatch-hub-${hostname()}`,
          group: external.group,
          sessionExpirySeconds: external.sessionExpirySeconds,
          wards: boxesOf(config.wards),
          sink: ingest,
          logger,
        })
      : await startBroker({
          listeners: config.broker.listeners,
          maxPayloadBytes: config.broker.maxPayloadBytes,
          connectTimeoutSeconds: config.broker.connectTimeoutSeconds,
          maxUnauthenticatedPerAddress: config.broker.maxUnauthenticatedPerAddress,
          wards: boxesOf(config.wards),
          sink: ingest,
          logger,
          throttle,
        });
  } catch (err) {
    await ingest.close();
    await forwarder.close();
    await store.close();
    throw err;
  }
  retrievals = new Retrievals({
    store: retrievalStore,
    audit,
    publish: (box, name, payload) => broker.publishCommand(box, name, toBoxCameras(boxes.get(box)?.cameraPrefix, payload)),
    limits: config.remoteAccess,
    clock,
    logger,
  });
  const live = new LiveRelays({
    audit,
    publish: (box, name, payload) => broker.publishCommand(box, name, toBoxCameras(boxes.get(box)?.cameraPrefix, payload)),
    wards: retrievals.store,
    maxRelaysPerWard: config.remoteAccess.maxRelaysPerWard,
    lingerMs: config.remoteAccess.liveLingerSeconds * 1000,
    publicUrl: config.http.publicUrl,
    clock,
    logger,
  });
  const cityGrants = new CityGrants({ sql: store.sql, clock, audit, logger: logger.child({ part: 'city' }) });
  cityGrants.start();
  const city: CityParts = { grants: cityGrants, viewers: new CityViewers({ grants: cityGrants, live, audit, clock }) };
  // one parseable line per listener: tests and supervisors read the real port from it
  for (const l of broker.listeners) logger.info({ listener: l.type, host: l.host, port: l.port }, `mqtt ${l.type} listening on ${l.host}:${l.port}`);
  if (external) logger.info({ externalBroker: external.url, group: external.group }, `ingest subscribed at ${external.url} (shared group ${external.group})`);
  // the embedded broker's PUBACK comes after the commit; behind an external broker the hub acks each message itself
  else void announceDelivery((b, n, p, o) => broker.publishCommand(b, n, p, o), [...boxes.keys()], 'puback', logger);

  // The page and API are for people; ingest is what must not stop. A taken port is a loud error, not a dead hub.
  const listen = deps.http ?? { host: config.http.host, port: config.http.port };
  let http: HubHttp | undefined;
  try {
    // a certificate that cannot serve is the same loud error as a taken port; never a fallback to plain HTTP
    const tls = config.http.tls && readPageTls(config.http.tls, { key: 'http.tls', make: 'wardwatch provision credentials tls --out DIR --host NAME' });
    http = await startHubHttp(
      { store, audit, accounts, forwarder, linkKey, district: config.district.name, timeZone: config.timeZone, clock, logger, ingestStats: () => ingest.stats(), brokerStats: () => broker.stats(), loginStats: () => throttle.stats(), retrievals, live, city },
      listen,
      { allowedOrigins: config.http.publicUrl ? [config.http.publicUrl] : [], trustProxy: config.http.trustProxy ?? false, tls },
    );
    // `httpPort`, not `port`: readers take the first line with a `port` as the MQTT listener's
    logger.info({ http: true, host: http.host, httpPort: http.port, scheme: http.scheme, ...(tls && { certValidTo: tls.validTo }) }, `${http.scheme} listening on ${http.host}:${http.port}`);
    const clear = plainPageWarning({ key: 'http', host: http.host, tls: tls !== undefined, trustProxy: config.http.trustProxy ?? false });
    if (clear) logger.warn({ http: true }, clear);
  } catch (err) {
    if (err instanceof PageTlsError) logger.error({ err: err.message, host: listen.host, httpPort: listen.port }, `http: ${err.message}. The operator page and API are down; the broker and ingest go on`);
    else logger.error({ err, host: listen.host, httpPort: listen.port }, `http: cannot listen on ${listen.host}:${listen.port} (${(err as Error).message}): the operator page and API are down; fix http.host / http.port in hub.yaml`);
  }

  const cityRtsp = await startCityRtsp(config, { credentials: new RtspCredentials({ sql: store.sql, audit, clock }), throttle, audit, grants: cityGrants, live, http, logger });
  if (cityRtsp) city.rtspReaders = () => cityRtsp.readers();

  // one hub process of an index at a time runs it (the lock wardwatch:retention); the retrieved clips' goes with it
  const retention = () =>
    void runRetention(store, { ...config.retention, seenMsgDays: DEFAULT_SEEN_MSG_DAYS }, clock(), logger, { retrievals }).catch((err: unknown) =>
      logger.error({ err }, 'retention failed'),
    );
  retention();
  const timer = setInterval(retention, RETENTION_EVERY_MS);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    listeners: broker.listeners,
    store,
    ingest,
    broker,
    forwarder,
    linkKey,
    retrievals,
    live,
    city,
    cityRtsp,
    audit,
    accounts,
    http,
    reloadWards(next) {
      const changes = boxChanges(wards, next);
      void store.syncWards(next).catch((err: unknown) => logger.error({ err }, 'reload: cannot write the wards and boxes into the index'));
      boxes = boxDirectory(next);
      broker.setWards(boxesOf(next));
      if (!external) void announceDelivery((b, n, p, o) => broker.publishCommand(b, n, p, o), changes.added, 'puback', logger);
      wards = next;
      return changes;
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        cityGrants.stop();
        await cityRtsp?.close();
        live.close();
        await http?.close();
        await broker.close();
        await ingest.close();
        await forwarder.close();
        await throttle.close(); // its last bursts go into the audit before the db closes
        await store.close();
      })();
      return closing;
    },
  };
}
