// The district hub process: wires store, ingest, broker and retention together. No logic here.
import type { HubConfig } from '../shared/config/load.js';
import type { Logger } from '../shared/log.js';
import { startBroker, type Broker } from './broker/broker.js';
import type { BoundListener } from './broker/listeners.js';
import { createForwarder, type AuditFn, type Forwarder } from './forward/forwarder.js';
import { createIngest, type Ingest } from './ingest/ingest.js';
import { loadLinkKey } from './share/link-key.js';
import { applyRetention, DEFAULT_SEEN_MSG_DAYS } from './store/retention-run.js';
import { openHubStore, type HubStore } from './store/store.js';

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
  /** closes the broker (wards see the hub go), commits what ingest holds, closes the db */
  close(): Promise<void>;
}

export interface HubDeps {
  logger: Logger;
  clock?: () => number;
  /** the audit log (shared/audit/, coming); until it lands, shares are written to the log */
  audit?: AuditFn;
}

export async function startHub(config: HubConfig, deps: HubDeps): Promise<RunningHub> {
  const { logger } = deps;
  const clock = deps.clock ?? Date.now;
  const store = openHubStore(config.storage.root);
  store.syncWards(config.wards);
  const audit: AuditFn = deps.audit ?? ((action, detail) => logger.info({ audit: action, ...detail }, `audit: ${action}`));
  let linkKey: Buffer;
  let forwarder: Forwarder;
  try {
    linkKey = loadLinkKey(store.root);
    forwarder = createForwarder({ store, config, linkKey, audit, logger, clock });
  } catch (err) {
    store.close();
    throw err;
  }
  const ingest = createIngest({ store, logger, clock, onIncidentsChanged: (ids) => forwarder.incidentsChanged(ids) });
  let broker: Broker;
  try {
    broker = await startBroker({
      listeners: config.broker.listeners,
      maxPayloadBytes: config.broker.maxPayloadBytes,
      wards: config.wards,
      sink: ingest,
      logger,
    });
  } catch (err) {
    await ingest.close();
    await forwarder.close();
    store.close();
    throw err;
  }
  // one parseable line per listener: tests and supervisors read the real port from it
  for (const l of broker.listeners) logger.info({ listener: l.type, host: l.host, port: l.port }, `mqtt ${l.type} listening on ${l.host}:${l.port}`);

  const retention = () => {
    try {
      applyRetention(store, { ...config.retention, seenMsgDays: DEFAULT_SEEN_MSG_DAYS }, clock(), logger);
    } catch (err) {
      logger.error({ err }, 'retention failed');
    }
  };
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
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        await broker.close();
        await ingest.close();
        await forwarder.close();
        store.close();
      })();
      return closing;
    },
  };
}
