// Test helpers for the forwarder: a real store and ingest in a temp dir, contract messages, config builders.
import { topics, type EventMessage } from '../../../shared/contract/index.js';
import type { Logger } from '../../../shared/log.js';
import { createIngest, type Ingest } from '../../../hub/ingest/ingest.js';
import type { RetrievalStore } from '../../../hub/retrieval/store.js';
import { openHubStore, type HubStore } from '../../../hub/store/store.js';
import { FIXED_START, nextUlid, retrievalStore, tempDir } from '../test-support.js';
import type { ForwardConfig } from '../../../hub/forward/forwarder.js';

type Target = ForwardConfig['forward']['targets'][number];
type Rule = ForwardConfig['forward']['rules'][number];

export const SECRET = 'city-secret-1';

export function forwardConfig(targets: Target[], rules: Rule[], secrets: Record<string, string> = { 'city-webhook': SECRET }): ForwardConfig {
  return {
    district: { name: 'Phú Nhuận' },
    http: { host: '127.0.0.1', port: 0, publicUrl: 'https://hub.test/' },
    forward: { targets, rules, linkTtlHours: 72 },
    secrets: new Map(Object.entries(secrets)),
  };
}

export function webhook(url: string, over: Partial<Extract<Target, { type: 'webhook' }>> = {}): Target {
  return { id: 'city', type: 'webhook', url, secretName: 'city-webhook', timeoutSeconds: 5, ...over };
}

export function rule(over: Partial<Rule> = {}): Rule {
  return { id: 'all', target: 'city', minScore: 0, ...over };
}

export interface StoreWithIngest {
  root: string;
  store: HubStore;
  /** the retrievals table ingest writes to: hand it to the forwarder as `recordings` */
  retrievals: RetrievalStore;
  ingest: Ingest;
  close(): Promise<void>;
}

/** A real store and ingest; `changed` is ingest's hook (the forwarder's, once there is one). */
export function storeWithIngest(logger: Logger, changed: (ids: readonly string[]) => void, root = tempDir('ww-fwd-')): StoreWithIngest {
  const store = openHubStore(root);
  // what syncWards writes, done synchronously: the forwarder's rigs are built outside async code
  store.db.prepare("INSERT INTO wards (id, name) VALUES ('p07', 'Phường 7') ON CONFLICT (id) DO NOTHING").run();
  store.db.prepare("INSERT INTO boxes (id, ward, name) VALUES ('p07', 'p07', 'Phường 7') ON CONFLICT (id) DO NOTHING").run();
  const retrievals = retrievalStore(store);
  const ingest = createIngest({ store, retrievals, wardOf: (box) => box, logger, maxWaitMs: 1, onIncidentsChanged: (ids) => changed(ids) });
  return {
    root,
    store,
    retrievals,
    ingest,
    async close() {
      await ingest.close();
      await store.close();
    },
  };
}

export interface IncidentSpec {
  label?: EventMessage['event']['label'];
  topScore?: number;
  zones?: string[];
  box?: EventMessage['event']['box'];
  /** base64 JPEG, sent with the start or the end message */
  snapshot?: { jpeg: Buffer; with: 'start' | 'end' };
  end?: boolean;
}

/** Sends an event's start (and end) through ingest, as a ward would; resolves with the event id once stored. */
export async function sendIncident(ingest: Ingest, spec: IncidentSpec = {}): Promise<string> {
  const id = nextUlid();
  const base = {
    id,
    ward: 'p07',
    camera: 'cam-01',
    label: spec.label ?? 'car',
    score: spec.topScore ?? 0.8,
    topScore: spec.topScore ?? 0.8,
    box: spec.box ?? { x: 0.1, y: 0.2, w: 0.3, h: 0.2 },
    zones: spec.zones ?? ['crossing'],
    start: FIXED_START,
  };
  const snap = (when: 'start' | 'end') => (spec.snapshot?.with === when ? { snapshot: spec.snapshot.jpeg.toString('base64') } : {});
  const send = (msg: EventMessage) => ingest.handle({ topic: topics.events('p07'), payload: Buffer.from(JSON.stringify(msg)) }, { box: 'p07' });
  await send({ msgId: nextUlid(), type: 'start', event: { ...base, end: null, ...snap('start') } });
  if (spec.end !== false) await send({ msgId: nextUlid(), type: 'end', event: { ...base, end: base.start + 14_000, ...snap('end') } });
  return id;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
