// Ingest: collects the messages the broker accepts into short batches, commits each batch in one transaction,
// and only then settles their promises, so a PUBACK always means "on disk at the hub".
import { decodeMessage } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import type { IncomingMessage, MessageSink } from '../broker/broker.js';
import type { RetrievalStore } from '../retrieval/store.js';
import { discardSnapshot, sweepSnapshotTemps, writeSnapshotTemp, type PendingSnapshot } from '../store/snapshots.js';
import type { HubStore } from '../store/store.js';
import { IndexWriter, type BatchItem, type IngestStats } from './index-writer.js';
import { decodeFailureKind } from '../store/invalid.js';

export type { IngestStats } from './index-writer.js';

export interface IngestOptions {
  store: HubStore;
  /** the retrievals table, the one hub/main.ts builds; its audit records a request's end (ready, failed) */
  retrievals: RetrievalStore;
  /** the ward a box belongs to (hub.yaml, reloaded with it); undefined: no such box, its messages are refused */
  wardOf: (box: string) => string | undefined;
  /** the box's cameraPrefix in hub.yaml (hub/ingest/camera-names.ts); absent: none */
  cameraPrefixOf?: (box: string) => string | undefined;
  logger: Logger;
  clock?: () => number;
  /** most messages in one transaction */
  maxBatch?: number;
  /** how long the first message of a batch waits for company */
  maxWaitMs?: number;
  /** told the event ids of each committed batch (the forwarder evaluates its rules then); must not throw */
  onIncidentsChanged?: (ids: readonly string[]) => void;
  /** told the boxes whose "online" status a committed batch holds (retrievals resend what they wait for); must not throw */
  onBoxesOnline?: (boxes: readonly string[]) => void;
}

export interface Ingest extends MessageSink {
  /** resolves when every message handed in so far is committed (or refused) */
  flush(): Promise<void>;
  /** flushes, then refuses new messages */
  close(): Promise<void>;
  stats(): IngestStats;
}

interface Pending {
  message: IncomingMessage;
  /** the sender: the box logged in as ward-<box> */
  box: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export function createIngest(options: IngestOptions): Ingest {
  const { store, logger } = options;
  const log = logger.child({ part: 'ingest' });
  const maxBatch = options.maxBatch ?? 1000;
  const maxWaitMs = options.maxWaitMs ?? 4;
  const writer = new IndexWriter({ store, retrievals: options.retrievals, wardOf: options.wardOf, cameraPrefixOf: options.cameraPrefixOf, logger, clock: options.clock ?? Date.now });

  let queue: Pending[] = [];
  let running = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let drained: (() => void)[] = [];

  // Work a crash left half done, before the first batch: clips complete but unverified, stray temp files.
  const ready = (async () => {
    const swept = await sweepSnapshotTemps(store.root);
    if (swept) log.info({ swept }, 'removed snapshot temp files left by a crash');
    for (const eventId of await writer.pendingVerification()) await writer.finishClip(eventId);
  })().catch((err: unknown) => log.error({ err }, 'ingest recovery failed'));

  async function processBatch(batch: Pending[]): Promise<void> {
    const items: BatchItem[] = batch.map(({ message, box }) => {
      const r = decodeMessage(message.topic, message.payload);
      return { box, topic: message.topic, decoded: r.ok ? r : { ok: false, kind: decodeFailureKind(r.reason), reason: r.reason } };
    });
    // snapshots are written and fsynced in parallel off the event loop; the transaction only renames them
    const written = await Promise.allSettled(
      items.map(async (item): Promise<PendingSnapshot | undefined> => {
        const m = item.decoded.ok ? item.decoded.message : undefined;
        const ward = options.wardOf(item.box);
        if (m?.kind !== 'events' || m.payload.event.snapshot === undefined || m.topic.ward !== item.box || ward === undefined) return undefined;
        return writeSnapshotTemp(store.root, ward, m.payload.event.id, m.payload.event.snapshot);
      }),
    );
    const accepted: { pending: Pending; item: BatchItem }[] = [];
    written.forEach((w, i) => {
      if (w.status === 'rejected') batch[i]!.reject(w.reason);
      else accepted.push({ pending: batch[i]!, item: { ...items[i]!, snapshot: w.value } });
    });

    let result: Awaited<ReturnType<IndexWriter['applyBatch']>>;
    try {
      result = await writer.applyBatch(accepted.map((r) => r.item));
    } catch (err) {
      log.error({ err, messages: accepted.length }, 'ingest batch failed: nothing acknowledged, the wards will send again');
      for (const r of accepted) {
        if (r.item.snapshot) discardSnapshot(r.item.snapshot);
        r.pending.reject(err);
      }
      return;
    }
    const changed = new Set<string>();
    const online = new Set<string>();
    // (a box's "online" status names the box: `ward` in contract v1 payloads and topics is the sender's box id)
    result.outcomes.forEach((outcome, i) => {
      const { pending, item } = accepted[i]!;
      if (item.snapshot && !(outcome.ok && outcome.snapshotTaken)) discardSnapshot(item.snapshot);
      if (outcome.ok) {
        if (item.decoded.ok && item.decoded.message.kind === 'events') changed.add(item.decoded.message.payload.event.id);
        if (item.decoded.ok && item.decoded.message.kind === 'wardStatus' && item.decoded.message.payload.state === 'online') online.add(item.box);
        pending.resolve();
      } else {
        log.error({ err: outcome.error, box: item.box, topic: item.topic }, 'message could not be applied');
        pending.reject(outcome.error);
      }
    });
    if (changed.size && options.onIncidentsChanged) {
      try {
        options.onIncidentsChanged([...changed]);
      } catch (err) {
        log.error({ err }, 'incident change hook failed');
      }
    }
    if (online.size && options.onBoxesOnline) {
      try {
        options.onBoxesOnline([...online]);
      } catch (err) {
        log.error({ err }, 'box online hook failed');
      }
    }
    for (const eventId of result.complete) {
      await writer.finishClip(eventId).catch((err: unknown) => log.error({ err, eventId }, 'clip verification failed'));
    }
  }

  async function run(): Promise<void> {
    if (running) return;
    running = true;
    try {
      await ready;
      // messages that queued while a batch was committing go next, without waiting: batches grow with load
      while (queue.length) await processBatch(queue.splice(0, maxBatch));
    } finally {
      running = false;
      const waiters = drained;
      drained = [];
      for (const w of waiters) w();
    }
  }

  function start(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    void run();
  }

  function schedule(): void {
    if (running) return;
    if (queue.length >= maxBatch) start();
    else timer ??= setTimeout(start, maxWaitMs);
  }

  function flush(): Promise<void> {
    if (!running && queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      drained.push(resolve);
      if (!running) start();
    });
  }

  return {
    handle(message, from) {
      if (closed) return Promise.reject(new Error('ingest is closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ message, box: from.box, resolve, reject });
        schedule();
      });
    },
    flush,
    async close() {
      closed = true;
      await flush();
      queue = [];
    },
    stats: () => ({ ...writer.stats, invalid: { ...writer.stats.invalid } }),
  };
}
