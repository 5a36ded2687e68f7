// The city forwarder: rules and operators' shares (of incidents, and of recordings retrieved from wards) fill the
// forward outbox; a worker delivers each row with retries and backoff until the target takes it (2xx / PUBACK) or
// refuses it for good (dead letter).
import { readFile } from 'node:fs/promises';
import type { Box } from '../../shared/contract/index.js';
import type { HubConfig } from '../../shared/config/load.js';
import type { Logger } from '../../shared/log.js';
import type { RetrievalStore } from '../retrieval/store.js';
import { signClipLink } from '../share/link.js';
import type { HubStore, IncidentRow } from '../store/store.js';
import { buildAlert, buildRecordingAlert, type IncidentAlert } from './alert.js';
import { startIndicatorPush, type IndicatorPush } from './indicator-push.js';
import { mqttSink } from './mqtt-sink.js';
import { DEFAULT_RETRY, retryDelayMs, type Outcome, type RetryPolicy } from './outcome.js';
import { ForwardOutbox, type DeadLetter, type OutboxRow, type ShareResult } from './outbox.js';
import { protectSnapshot } from './privacy.js';
import type { Sink } from './sink.js';
import { webhookSink } from './webhook.js';

/**
 * Records who shared what: action `share` (shared/audit's name), detail with `actor` (operator, or `system`
 * for a rule), `incidentId`, `unblurred`, targets and keys. The hub will pass the real audit log (shared/audit/,
 * `record()` is synchronous and joins the caller's transaction); until then any function will do. It runs inside
 * the transaction that queues the share: if it throws, nothing is queued, so nothing leaves unaudited.
 */
export type AuditFn = (action: 'share', detail: Record<string, unknown>) => void;

export type ForwardConfig = Pick<HubConfig, 'district' | 'http' | 'forward' | 'secrets'>;

export interface ForwarderOptions {
  store: HubStore;
  /** the retrievals table (the one hub/main.ts builds): shared recordings are read from it */
  recordings: RetrievalStore;
  config: ForwardConfig;
  /** signs clip links (hub/share/link-key.ts) */
  linkKey: Buffer;
  audit: AuditFn;
  logger: Logger;
  clock?: () => number;
  retry?: Partial<RetryPolicy>;
  /** one MQTT attempt (connect + PUBACK) gives up after this long */
  mqttTimeoutMs?: number;
  /** rows being delivered at once, across targets */
  maxInFlight?: number;
}

export interface ShareOptions {
  /** the operator's user name */
  by: string;
  /** send the snapshot without blurring people: for a case that needs it; audited (incidents only) */
  unblurred?: boolean;
  note?: string;
  /** where the operator was (IP address), for the audit */
  from?: string;
  /** target ids; default every configured target */
  targets?: readonly string[];
}

export type ForwardErrorCode = 'NOT_FOUND' | 'NOT_READY' | 'NO_TARGETS' | 'UNKNOWN_TARGET' | 'BAD_SHARE' | 'AUDIT_FAILED' | 'CLOSED';

export class ForwardError extends Error {
  constructor(
    readonly code: ForwardErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ForwarderStats {
  pending: number;
  delivered: number;
  dead: number;
  inFlight: number;
}

export interface Forwarder {
  /** ingest's hook after each committed batch: evaluates the rules for incidents that have ended */
  incidentsChanged(ids: readonly string[]): void;
  /** the operator's "share": a row per target in the outbox (audited first) */
  forwardIncident(incidentId: string, options: ShareOptions): Promise<ShareResult[]>;
  /** the operator's share of a recording retrieved from a ward, once it is at the hub (`ready`) */
  forwardRecording(retrievalId: string, options: Omit<ShareOptions, 'unblurred'>): Promise<ShareResult[]>;
  /** what the city refused for good, newest first, with the reason */
  deadLetters(options?: { limit?: number; before?: number }): DeadLetter[];
  /** gives a dead letter another go after its cause was fixed */
  retryDeadLetter(key: string): boolean;
  stats(): ForwarderStats;
  /** the push of the 15-minute indicators; undefined when hub.yaml has no forward.indicators */
  indicatorPush: IndicatorPush | undefined;
  /** stops the worker; an attempt in flight is abandoned and its row stays for the next start */
  close(): Promise<void>;
}

const DEFAULT_MQTT_TIMEOUT_MS = 10_000;

function buildSinks(config: ForwardConfig, mqttTimeoutMs: number, clock: () => number): Map<string, Sink> {
  const sinks = new Map<string, Sink>();
  config.forward.targets.forEach((t, i) => {
    const secret = t.secretName === undefined ? undefined : config.secrets.get(t.secretName);
    if (t.secretName !== undefined && secret === undefined) {
      throw new ForwardError('BAD_SHARE', `forward.targets[${i}].secretName: secret "${t.secretName}" is not loaded: add it to the secrets file`);
    }
    if (t.type === 'webhook') sinks.set(t.id, webhookSink({ url: t.url, secret: secret!, timeoutMs: t.timeoutSeconds * 1000, clock }));
    else sinks.set(t.id, mqttSink({ url: t.url, topic: t.topic, username: t.username, password: secret, timeoutMs: mqttTimeoutMs }));
  });
  return sinks;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const { store, recordings, config, linkKey, audit } = options;
  const log = options.logger.child({ part: 'forward' });
  const clock = options.clock ?? Date.now;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const maxInFlight = options.maxInFlight ?? 4;
  const outbox = new ForwardOutbox(store.db);
  const sinks = buildSinks(config, options.mqttTimeoutMs ?? DEFAULT_MQTT_TIMEOUT_MS, clock);
  const publicUrl = config.http.publicUrl?.replace(/\/+$/, '') ?? '';
  if (!publicUrl && sinks.size) log.warn('http.publicUrl is not set: clip links in alerts are paths without the hub\'s address; set it in hub.yaml');

  const inFlight = new Map<string, Promise<void>>();
  const abort = new AbortController();
  // the 15-minute traffic indicators, when hub.yaml asks for them (hub/forward/indicator-push.ts)
  const indicators = config.forward.indicators;
  const indicatorPush = indicators
    ? startIndicatorPush({ db: store.db, district: config.district.name, sinks: new Map(indicators.targets.map((t) => [t, sinks.get(t)!])), delayMinutes: indicators.delayMinutes, logger: options.logger, clock, signal: abort.signal })
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function checkRules(): void {
    const queued = outbox.checkEnded(config.forward.rules, clock(), (q) =>
      audit('share', { actor: 'system', incidentId: q.incidentId, targets: [q.target], keys: [q.key], rules: q.rules, unblurred: false }),
    );
    for (const q of queued) log.info({ incident: q.incidentId, target: q.target, rules: q.rules }, `incident ${q.incidentId} queued for ${q.target} by rule ${q.rules.join(', ')}`);
  }

  async function snapshotFor(row: OutboxRow, incident: IncidentRow): Promise<IncidentAlert['snapshot']> {
    if (!incident.snapshot_path) return null;
    let jpeg: Buffer;
    try {
      jpeg = await readFile(store.resolve(incident.snapshot_path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // removed by retention
      throw err;
    }
    // the stored box is the newest message's: it is where the snapshot's person is only if that message brought the snapshot
    const box = incident.snapshot_msg_id === incident.last_msg_id ? (JSON.parse(incident.box) as Box) : null;
    try {
      const out = await protectSnapshot(jpeg, incident.label, box, row.unblurred === 1);
      return { jpeg: out.jpeg.toString('base64'), blur: out.blur };
    } catch (err) {
      log.warn({ err, incident: incident.id }, 'snapshot could not be read to blur it: the alert goes without it');
      return null;
    }
  }

  async function alertBody(row: OutboxRow, incident: IncidentRow): Promise<string> {
    const now = clock();
    const linkExpiresAt = now + config.forward.linkTtlHours * 3_600_000;
    const snapshot = await snapshotFor(row, incident);
    const clipUrl = publicUrl + signClipLink({ kind: 'incident', id: incident.id }, linkExpiresAt, linkKey);
    return JSON.stringify(buildAlert(row, incident, { district: config.district.name, snapshot, clipUrl, linkExpiresAt, now }));
  }

  function settle(row: OutboxRow, outcome: Outcome): void {
    const now = clock();
    const ctx = { key: row.key, incident: row.incident_id, target: row.target, attempts: row.attempts + 1 };
    switch (outcome.kind) {
      case 'delivered':
        outbox.delivered(row.key, outcome.status ?? null, now);
        log.info(ctx, `alert ${row.key} delivered to ${row.target}`);
        return;
      case 'dead':
        outbox.dead(row.key, outcome.status ?? null, outcome.reason, now);
        log.warn({ ...ctx, status: outcome.status, reason: outcome.reason }, `alert ${row.key} refused by ${row.target} for good (${outcome.reason}): kept as a dead letter`);
        return;
      case 'retry': {
        const delayMs = retryDelayMs(row.attempts + 1, policy, outcome.retryAfterMs);
        outbox.retry(row.key, now + delayMs, outcome.reason);
        log.warn({ ...ctx, delayMs, reason: outcome.reason }, `alert ${row.key} not delivered to ${row.target} (${outcome.reason}): retry in ${delayMs} ms`);
      }
    }
  }

  /** The recording alert's body, or why the row cannot be sent any more. */
  function recordingBody(row: OutboxRow): { body: string } | { dead: string } {
    const retrieval = recordings.view(row.incident_id);
    if (!retrieval) return { dead: 'the retrieval is no longer at the hub' };
    if (retrieval.state !== 'ready') return { dead: `the retrieved recording is ${retrieval.state === 'expired' ? 'removed by retention' : retrieval.state}` };
    const now = clock();
    const linkExpiresAt = now + config.forward.linkTtlHours * 3_600_000;
    const clipUrl = publicUrl + signClipLink({ kind: 'recording', id: retrieval.id }, linkExpiresAt, linkKey);
    return { body: JSON.stringify(buildRecordingAlert(row, retrieval, { district: config.district.name, clipUrl, linkExpiresAt, now })) };
  }

  async function attempt(row: OutboxRow): Promise<void> {
    const sink = sinks.get(row.target);
    if (!sink) return settle(row, { kind: 'dead', reason: `target "${row.target}" is no longer configured: add it back under forward.targets, then retry this dead letter` });
    let body: string;
    if (row.subject === 'recording') {
      const r = recordingBody(row);
      if ('dead' in r) return settle(row, { kind: 'dead', reason: r.dead });
      body = r.body;
    } else {
      const incident = store.getIncident(row.incident_id);
      if (!incident) return settle(row, { kind: 'dead', reason: 'the incident is no longer in the index (retention)' });
      try {
        body = await alertBody(row, incident);
      } catch (err) {
        return settle(row, { kind: 'retry', reason: `could not build the alert: ${(err as Error).message}` });
      }
    }
    if (closed) return;
    const outcome = await sink.deliver(row.key, body, abort.signal);
    // closing: the row stays as it was; the next start sends it again, with the same key
    if (closed) return;
    settle(row, outcome);
  }

  function pump(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    try {
      const free = maxInFlight - inFlight.size;
      if (free > 0) {
        const rows = outbox.due(clock(), maxInFlight + inFlight.size).filter((r) => !inFlight.has(r.key)).slice(0, free);
        for (const row of rows) {
          const running = attempt(row)
            .catch((err: unknown) => log.error({ err, key: row.key }, 'forward attempt failed'))
            .finally(() => {
              inFlight.delete(row.key);
              pump();
            });
          inFlight.set(row.key, running);
        }
      }
      if (inFlight.size >= maxInFlight) return; // the next completion pumps
      const next = outbox.nextDueAt(new Set(inFlight.keys()));
      if (next !== undefined) timer = setTimeout(pump, Math.min(Math.max(0, next - clock()), 2 ** 31 - 1));
    } catch (err) {
      if (!closed) log.error({ err }, 'forward worker failed; trying again in a second');
      if (!closed) timer = setTimeout(pump, 1000);
    }
  }

  function checkRulesAndPump(): void {
    try {
      checkRules();
    } catch (err) {
      // the incidents stay unchecked (and unsent): the next batch or the next start checks them again
      log.error({ err }, 'forward rules could not be evaluated (or the share not audited)');
    }
    pump();
  }

  /** An operator's share of either subject: checked, queued and audited in one transaction, then sent. */
  function enqueue(subject: { kind: 'incident' | 'recording'; id: string }, share: ShareOptions, unblurred: boolean, about: Record<string, unknown>): ShareResult[] {
    if (typeof share.by !== 'string' || !share.by.trim()) throw new ForwardError('BAD_SHARE', 'by: the operator who shares must be named');
    if (share.note !== undefined && (typeof share.note !== 'string' || share.note.length > 1000)) throw new ForwardError('BAD_SHARE', 'note: at most 1000 characters of text');
    const targets = [...new Set(share.targets ?? [...sinks.keys()])];
    if (!targets.length) throw new ForwardError('NO_TARGETS', 'no forward target is configured: add one under forward.targets in hub.yaml');
    const unknown = targets.filter((t) => !sinks.has(t));
    if (unknown.length) throw new ForwardError('UNKNOWN_TARGET', `unknown forward target ${unknown.join(', ')}: use one of ${[...sinks.keys()].join(', ')}`);
    const detail = { actor: share.by, ip: share.from ?? null, subject: subject.kind, ...about, unblurred, note: share.note ?? null, targets };
    let auditError: unknown;
    let results: ShareResult[];
    try {
      results = outbox.enqueueShare(subject, targets, { by: share.by, unblurred, note: share.note ?? null }, clock(), (r) => {
        try {
          audit('share', { ...detail, keys: r.map((x) => x.key), states: r.map((x) => x.state) });
        } catch (err) {
          auditError = err;
          throw err;
        }
      });
    } catch (err) {
      if (auditError === undefined) throw err;
      throw new ForwardError('AUDIT_FAILED', `the share could not be audited, so it was not sent: ${(auditError as Error).message}`);
    }
    log.info({ [subject.kind]: subject.id, by: share.by, unblurred, results }, `${subject.kind} ${subject.id} shared by ${share.by}${unblurred ? ' (unblurred)' : ''}`);
    pump();
    return results;
  }

  // what a crash left: incidents that ended while the forwarder was not looking, rows still to deliver
  checkRulesAndPump();

  return {
    incidentsChanged() {
      if (!closed) checkRulesAndPump();
    },

    // async so that every refusal is a rejected promise, though the work is synchronous
    async forwardIncident(incidentId, share) {
      if (closed) throw new ForwardError('CLOSED', 'the forwarder is stopping');
      const incident = store.getIncident(incidentId);
      if (!incident) throw new ForwardError('NOT_FOUND', `no incident ${incidentId}`);
      const unblurred = share.unblurred === true;
      return enqueue({ kind: 'incident', id: incidentId }, share, unblurred, { incidentId, ward: incident.ward, camera: incident.camera, label: incident.label });
    },

    async forwardRecording(retrievalId, share) {
      if (closed) throw new ForwardError('CLOSED', 'the forwarder is stopping');
      const retrieval = recordings.get(retrievalId);
      if (!retrieval) throw new ForwardError('NOT_FOUND', `no retrieval ${retrievalId}`);
      if (retrieval.state !== 'ready') {
        throw new ForwardError('NOT_READY', `the recording is not at the hub (state: ${recordings.view(retrievalId)!.state}): share it once it is ready`);
      }
      return enqueue({ kind: 'recording', id: retrievalId }, share, false, { retrievalId, ward: retrieval.ward, camera: retrieval.camera, from: retrieval.from_ms, to: retrieval.to_ms });
    },
    deadLetters: (o) => outbox.deadLetters(o),

    retryDeadLetter(key) {
      const ok = outbox.requeueDead(key, clock());
      if (ok) pump();
      return ok;
    },

    stats: () => ({ ...outbox.counts(), inFlight: inFlight.size }),

    indicatorPush,

    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      indicatorPush?.close();
      abort.abort();
      await Promise.allSettled(inFlight.values());
      await Promise.allSettled([...sinks.values()].map((s) => s.close()));
    },
  };
}
