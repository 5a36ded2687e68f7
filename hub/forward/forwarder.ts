// The city forwarder: rules and operators' shares (of incidents, and of recordings retrieved from wards) fill the
// forward outbox; a worker delivers each row with retries and backoff until the target takes it (2xx / PUBACK) or
// refuses it for good (dead letter). Any hub process may queue (the outbox is a table of the shared index); only the
// one that holds the advisory lock `wardwatch:forwarder` delivers (and pushes the indicators), so several hub
// processes on one PostgreSQL send each row once. On SQLite the one process always holds it.
import { readFile } from 'node:fs/promises';
import type { Box } from '../../shared/contract/index.js';
import type { HubConfig } from '../../shared/config/load.js';
import type { Logger } from '../../shared/log.js';
import type { AdvisoryLock, Sql } from '../../shared/sql/sql.js';
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
 * for a rule), `incidentId`, `unblurred`, targets and keys. The hub passes its audit log (`audit.recordIn(t, …)`,
 * shared/audit/); tests may pass any function. It runs inside the transaction that queues the share, `t`: if it
 * throws, nothing is queued, so nothing leaves unaudited. On PostgreSQL that transaction may be run again: write
 * through `t` only.
 */
export type AuditFn = (t: Sql, action: 'share', detail: Record<string, unknown>) => Promise<void>;

export type ForwardConfig = Pick<HubConfig, 'district' | 'http' | 'forward' | 'secrets'>;

export interface ForwarderOptions {
  /** the hub index (`sql`: the outbox, the incidents) and where its files are (snapshots) */
  store: Pick<HubStore, 'sql' | 'resolve'>;
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
  /** while another process delivers, how often this one asks for the forwarder lock (default 5 s) */
  lockRetryMs?: number;
  /** the holder looks at the outbox at least this often, for rows other hub processes queued (default 1 s) */
  pollMs?: number;
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
  deadLetters(options?: { limit?: number; before?: number }): Promise<DeadLetter[]>;
  /** gives a dead letter another go after its cause was fixed */
  retryDeadLetter(key: string): Promise<boolean>;
  stats(): Promise<ForwarderStats>;
  /** whether this process delivers now (holds the forwarder lock); another hub process does while it is false */
  delivering(): boolean;
  /** the push of the 15-minute indicators; undefined when hub.yaml has no forward.indicators */
  indicatorPush: IndicatorPush | undefined;
  /** stops the worker and gives up the lock; an attempt in flight is abandoned and its row stays for the next holder */
  close(): Promise<void>;
}

const DEFAULT_MQTT_TIMEOUT_MS = 10_000;
/** The advisory lock (shared/sql) whose holder alone delivers. */
export const FORWARDER_LOCK = 'wardwatch:forwarder';
const DEFAULT_LOCK_RETRY_MS = 5_000;
const DEFAULT_POLL_MS = 1_000;

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
  const lockRetryMs = options.lockRetryMs ?? DEFAULT_LOCK_RETRY_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const outbox = new ForwardOutbox(store.sql);
  const sinks = buildSinks(config, options.mqttTimeoutMs ?? DEFAULT_MQTT_TIMEOUT_MS, clock);
  const publicUrl = config.http.publicUrl?.replace(/\/+$/, '') ?? '';
  if (!publicUrl && sinks.size) log.warn('http.publicUrl is not set: clip links in alerts are paths without the hub\'s address; set it in hub.yaml');
  const incidentOf = (id: string) => store.sql.get<IncidentRow>('SELECT * FROM incidents WHERE id = ?', [id]);

  /** This process's turn to deliver: while it holds the lock; `abort` ends its attempts when the turn ends. */
  interface Turn {
    lock: AdvisoryLock;
    abort: AbortController;
  }
  let turn: Turn | undefined;
  const inFlight = new Map<string, Promise<void>>();
  // the 15-minute traffic indicators, when hub.yaml asks for them (hub/forward/indicator-push.ts): pushed in our turn only
  const indicators = config.forward.indicators;
  const indicatorPush = indicators
    ? startIndicatorPush({ sql: store.sql, district: config.district.name, sinks: new Map(indicators.targets.map((t) => [t, sinks.get(t)!])), delayMinutes: indicators.delayMinutes, logger: options.logger, clock, delivering: () => turn?.abort.signal })
    : undefined;
  let timer: NodeJS.Timeout | undefined;
  let lockTimer: NodeJS.Timeout | undefined;
  let standingBy = false;
  let closed = false;

  /** Asks for the lock; while another process holds it, asks again every `lockRetryMs`. */
  async function takeTurn(): Promise<void> {
    lockTimer = undefined;
    if (closed || turn) return;
    let lock: AdvisoryLock | null;
    try {
      lock = await store.sql.tryAdvisoryLock(FORWARDER_LOCK);
    } catch (err) {
      if (!closed) log.error({ err }, `the forwarder lock could not be asked for; trying again in ${lockRetryMs} ms`);
      lock = null;
    }
    if (closed) return void (await lock?.release());
    if (!lock) {
      if (!standingBy) log.info({ lock: FORWARDER_LOCK }, 'another hub process delivers the forward outbox: this one queues only, and stands by to take over');
      standingBy = true;
      lockTimer = setTimeout(() => void takeTurn(), lockRetryMs);
      return;
    }
    const mine: Turn = { lock, abort: new AbortController() };
    turn = mine;
    if (standingBy) log.info({ lock: FORWARDER_LOCK }, 'this hub process now delivers the forward outbox');
    standingBy = false;
    void lock.lost.then((err) => {
      if (turn !== mine) return;
      // another process may hold it now: stop at once; rows in flight stay in the outbox for the holder
      endTurn();
      log.warn({ lock: FORWARDER_LOCK, err: err.message }, `${err.message}: this hub process stopped delivering, and asks again in ${lockRetryMs} ms`);
      standingBy = true;
      if (!closed) lockTimer = setTimeout(() => void takeTurn(), lockRetryMs);
    });
    pump();
  }

  function endTurn(): Turn | undefined {
    const ended = turn;
    turn = undefined;
    if (timer) clearTimeout(timer);
    timer = undefined;
    ended?.abort.abort();
    return ended;
  }

  async function checkRules(): Promise<void> {
    const queued = await outbox.checkEnded(config.forward.rules, clock(), (t, q) =>
      audit(t, 'share', { actor: 'system', incidentId: q.incidentId, targets: [q.target], keys: [q.key], rules: q.rules, unblurred: false }),
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

  async function settle(row: OutboxRow, outcome: Outcome): Promise<void> {
    const now = clock();
    const ctx = { key: row.key, incident: row.incident_id, target: row.target, attempts: row.attempts + 1 };
    switch (outcome.kind) {
      case 'delivered':
        await outbox.delivered(row.key, outcome.status ?? null, now);
        log.info(ctx, `alert ${row.key} delivered to ${row.target}`);
        return;
      case 'dead':
        await outbox.dead(row.key, outcome.status ?? null, outcome.reason, now);
        log.warn({ ...ctx, status: outcome.status, reason: outcome.reason }, `alert ${row.key} refused by ${row.target} for good (${outcome.reason}): kept as a dead letter`);
        return;
      case 'retry': {
        const delayMs = retryDelayMs(row.attempts + 1, policy, outcome.retryAfterMs);
        await outbox.retry(row.key, now + delayMs, outcome.reason);
        log.warn({ ...ctx, delayMs, reason: outcome.reason }, `alert ${row.key} not delivered to ${row.target} (${outcome.reason}): retry in ${delayMs} ms`);
      }
    }
  }

  /** The recording alert's body, or why the row cannot be sent any more. */
  async function recordingBody(row: OutboxRow): Promise<{ body: string } | { dead: string }> {
    const retrieval = await recordings.view(row.incident_id);
    if (!retrieval) return { dead: 'the retrieval is no longer at the hub' };
    if (retrieval.state !== 'ready') return { dead: `the retrieved recording is ${retrieval.state === 'expired' ? 'removed by retention' : retrieval.state}` };
    const now = clock();
    const linkExpiresAt = now + config.forward.linkTtlHours * 3_600_000;
    const clipUrl = publicUrl + signClipLink({ kind: 'recording', id: retrieval.id }, linkExpiresAt, linkKey);
    return { body: JSON.stringify(buildRecordingAlert(row, retrieval, { district: config.district.name, clipUrl, linkExpiresAt, now })) };
  }

  /** One delivery in `mine`, our turn: when the turn ended meanwhile, the row is left as it is for the holder. */
  async function attempt(row: OutboxRow, mine: Turn): Promise<void> {
    const ours = () => turn === mine && !closed;
    const sink = sinks.get(row.target);
    if (!sink) return settle(row, { kind: 'dead', reason: `target "${row.target}" is no longer configured: add it back under forward.targets, then retry this dead letter` });
    let body: string;
    if (row.subject === 'recording') {
      const r = await recordingBody(row);
      if (!ours()) return;
      if ('dead' in r) return settle(row, { kind: 'dead', reason: r.dead });
      body = r.body;
    } else {
      const incident = await incidentOf(row.incident_id);
      if (!ours()) return;
      if (!incident) return settle(row, { kind: 'dead', reason: 'the incident is no longer in the index (retention)' });
      try {
        body = await alertBody(row, incident);
      } catch (err) {
        if (!ours()) return;
        return settle(row, { kind: 'retry', reason: `could not build the alert: ${(err as Error).message}` });
      }
    }
    if (!ours()) return;
    const outcome = await sink.deliver(row.key, body, mine.abort.signal);
    // closing, or the lock lost: the row stays as it was and whoever delivers next sends it again, with the same
    // key; but an alert the target took is recorded, so that the next holder does not send it again
    if (closed || (turn !== mine && outcome.kind !== 'delivered')) return;
    await settle(row, outcome);
  }

  let pumping: Promise<void> | undefined;
  let pumpAgain = false;
  // rows whose attempt ended while a round read the due rows: that read may predate their settling
  const endedDuringRead = new Set<string>();

  /** Starts what is due, up to `maxInFlight`, and sets the timer for the next row; one round at a time. */
  function pump(): void {
    if (closed || !turn) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = (async () => {
      do {
        pumpAgain = false;
        await pumpOnce();
      } while (pumpAgain && turn && !closed);
    })().finally(() => (pumping = undefined));
  }

  async function pumpOnce(): Promise<void> {
    const mine = turn;
    if (closed || !mine) return;
    if (timer) clearTimeout(timer);
    timer = undefined;
    try {
      const free = maxInFlight - inFlight.size;
      if (free > 0) {
        endedDuringRead.clear();
        const due = await outbox.due(clock(), maxInFlight + inFlight.size);
        // one that ended meanwhile is left to the next round (its end asked for one), which reads it afresh
        const rows = due.filter((r) => !inFlight.has(r.key) && !endedDuringRead.has(r.key)).slice(0, free);
        for (const row of rows) {
          if (turn !== mine || closed) return;
          const running = attempt(row, mine)
            .catch((err: unknown) => log.error({ err, key: row.key }, 'forward attempt failed'))
            .finally(() => {
              inFlight.delete(row.key);
              endedDuringRead.add(row.key);
              pump();
            });
          inFlight.set(row.key, running);
        }
      }
      if (inFlight.size >= maxInFlight) return; // the next completion pumps
      const next = await outbox.nextDueAt(new Set(inFlight.keys()));
      if (turn !== mine || closed) return;
      if (timer) clearTimeout(timer);
      // the next due row, or sooner: another hub process may queue one meanwhile
      timer = setTimeout(pump, next === undefined ? pollMs : Math.min(Math.max(0, next - clock()), pollMs));
    } catch (err) {
      if (turn !== mine || closed) return;
      log.error({ err }, 'forward worker failed; trying again in a second');
      if (timer) clearTimeout(timer);
      timer = setTimeout(pump, 1000);
    }
  }

  let checking: Promise<void> | undefined;
  let checkAgain = false;

  /** Evaluates the rules (one round at a time; a call during one asks for another), then pumps. */
  function checkRulesAndPump(): Promise<void> {
    if (checking) {
      checkAgain = true;
      return checking;
    }
    checking = (async () => {
      do {
        checkAgain = false;
        try {
          await checkRules();
        } catch (err) {
          // the incidents stay unchecked (and unsent): the next batch or the next start checks them again
          log.error({ err }, 'forward rules could not be evaluated (or the share not audited)');
        }
        pump();
      } while (checkAgain && !closed);
    })().finally(() => (checking = undefined));
    return checking;
  }

  /** An operator's share of either subject: checked, queued and audited in one transaction, then sent. */
  async function enqueue(subject: { kind: 'incident' | 'recording'; id: string }, share: ShareOptions, unblurred: boolean, about: Record<string, unknown>): Promise<ShareResult[]> {
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
      results = await outbox.enqueueShare(subject, targets, { by: share.by, unblurred, note: share.note ?? null }, clock(), async (t, r) => {
        auditError = undefined; // this try's (PostgreSQL may run the transaction again)
        try {
          await audit(t, 'share', { ...detail, keys: r.map((x) => x.key), states: r.map((x) => x.state) });
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

  // what a crash left: incidents that ended while no forwarder was looking; then the lock, and the rows to deliver
  void checkRulesAndPump();
  void takeTurn();

  return {
    incidentsChanged() {
      if (!closed) void checkRulesAndPump();
    },

    async forwardIncident(incidentId, share) {
      if (closed) throw new ForwardError('CLOSED', 'the forwarder is stopping');
      const incident = await incidentOf(incidentId);
      if (!incident) throw new ForwardError('NOT_FOUND', `no incident ${incidentId}`);
      const unblurred = share.unblurred === true;
      return enqueue({ kind: 'incident', id: incidentId }, share, unblurred, { incidentId, ward: incident.ward, camera: incident.camera, label: incident.label });
    },

    async forwardRecording(retrievalId, share) {
      if (closed) throw new ForwardError('CLOSED', 'the forwarder is stopping');
      const retrieval = await recordings.get(retrievalId);
      if (!retrieval) throw new ForwardError('NOT_FOUND', `no retrieval ${retrievalId}`);
      if (retrieval.state !== 'ready') {
        throw new ForwardError('NOT_READY', `the recording is not at the hub (state: ${(await recordings.view(retrievalId))!.state}): share it once it is ready`);
      }
      return enqueue({ kind: 'recording', id: retrievalId }, share, false, { retrievalId, ward: retrieval.ward, camera: retrieval.camera, from: retrieval.from_ms, to: retrieval.to_ms });
    },
    deadLetters: (o) => outbox.deadLetters(o),

    async retryDeadLetter(key) {
      const ok = await outbox.requeueDead(key, clock());
      if (ok) pump();
      return ok;
    },

    stats: async () => ({ ...(await outbox.counts()), inFlight: inFlight.size }),

    delivering: () => turn !== undefined,

    indicatorPush,

    async close() {
      if (closed) return;
      closed = true;
      if (lockTimer) clearTimeout(lockTimer);
      indicatorPush?.close();
      const ended = endTurn();
      await Promise.allSettled([pumping, checking, ...inFlight.values()]);
      await indicatorPush?.idle();
      await ended?.lock.release();
      await Promise.allSettled([...sinks.values()].map((s) => s.close()));
    },
  };
}
