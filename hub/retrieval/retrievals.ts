// Operators' retrievals: a request is stored (and audited) before cmd/retrieve goes out, and every request the ward
// has not answered is published again whenever the ward reports itself online. The broker's memory is not relied
// on: wards connect with a clean session, so a command to an offline ward would otherwise be lost.
import { rmSync } from 'node:fs';
import { monotonicFactory } from 'ulid';
import type { Audit } from '../../shared/audit/index.js';
import type { RetrieveCancelCommand, RetrieveCommand } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import type { HubStore } from '../store/store.js';
import { checkRequest, isOpen, type RequestCheck } from './policy.js';
import type { RetrievalRow, RetrievalStore, RetrievalView } from './store.js';

const ulid = monotonicFactory();

/** Not more often than this per request: a ward reports "online" every 30 s. */
const REPUBLISH_AFTER_MS = 20_000;

export interface RetrievalLimits {
  maxRetrieveMinutes: number;
  maxOpenPerOperator: number;
}

export interface RetrievalRequest {
  ward: string;
  camera: string;
  from: number;
  to: number;
  by: string;
  ip: string | null;
}

export interface RetrievalsOptions {
  store: RetrievalStore;
  audit: Audit;
  /** sends a command to a box (the one that records the request's camera) */
  publish: ((box: string, name: 'retrieve', payload: RetrieveCommand) => Promise<void>) & ((box: string, name: 'retrieve-cancel', payload: RetrieveCancelCommand) => Promise<void>);
  limits: RetrievalLimits;
  clock: () => number;
  logger: Logger;
}

export class Retrievals {
  private readonly log: Logger;

  /** the requests' rows (also handed out by the `store` getter) */
  private readonly retrievalStore: RetrievalStore;
  private readonly audit: Audit;
  /** the options' `publish`: sends a command to a box (`publish(id)` below sends a stored request) */
  private readonly publishCommand: RetrievalsOptions['publish'];
  private readonly limits: RetrievalLimits;
  private readonly clock: () => number;

  constructor({ store, audit, publish, limits, clock, logger }: RetrievalsOptions) {
    this.retrievalStore = store;
    this.audit = audit;
    this.publishCommand = publish;
    this.limits = limits;
    this.clock = clock;
    this.log = logger.child({ part: 'retrievals' });
  }

  get store(): RetrievalStore {
    return this.retrievalStore;
  }

  /** Checks, stores and audits a request, then publishes it; refusals name the field. */
  async request(r: RetrievalRequest): Promise<{ ok: true; retrieval: RetrievalView } | Extract<RequestCheck, { ok: false }>> {
    const store = this.retrievalStore;
    const now = this.clock();
    const id = ulid(now);
    // one transaction: the limit is checked against the rows it stores beside (retried whole on PostgreSQL)
    const check = await store.sql.tx(async (t) => {
      const c = checkRequest({
        from: r.from,
        to: r.to,
        now,
        wardKnown: await store.wardKnown(r.ward, t),
        cameraKnown: await store.cameraKnown(r.ward, r.camera, t),
        openByOperator: await store.openBy(r.by, t),
        ...this.limits,
      });
      if (!c.ok) return c;
      await store.create(t, { id, ward: r.ward, camera: r.camera, from: r.from, to: r.to, requestedBy: r.by }, now);
      // in the same transaction: no request reaches a ward unaudited
      await this.audit.recordIn(t, { actor: r.by, action: 'retrieve.request', target: id, ip: r.ip, detail: { ward: r.ward, camera: r.camera, from: r.from, to: r.to } });
      return c;
    });
    if (!check.ok) return check;
    await this.publish(id);
    return { ok: true, retrieval: (await store.view(id))! };
  }

  /**
   * Ends an open request: it stops counting against the operator's limit and is not sent again. A ward that had
   * it is sent `cmd/retrieve-cancel` (now, or when it is next online) and drops what it has not sent yet; a clip
   * that arrives all the same is removed at the hub. Audited in the same transaction.
   */
  async cancel(id: string, by: string, ip: string | null): Promise<{ ok: true; retrieval: RetrievalView } | { ok: false; status: 404 | 409; error: string }> {
    const store = this.retrievalStore;
    const now = this.clock();
    const result = await store.sql.tx(async (t) => {
      const row = await store.get(id, t);
      if (!row) return { ok: false as const, status: 404 as const, error: 'no such retrieval' };
      if (!isOpen(row.state) || !(await store.cancel(t, id, `cancelled by ${by}`, now))) {
        return { ok: false as const, status: 409 as const, error: `the retrieval is ${(await store.view(id, t))!.state}: only a request still on its way can be cancelled` };
      }
      await this.audit.recordIn(t, { actor: by, action: 'retrieve.cancel', target: id, ip, detail: { ward: row.ward, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: row.requested_by } });
      return { ok: true as const };
    });
    if (!result.ok) return result;
    this.log.info({ requestId: id, by }, `retrieval ${id} cancelled by ${by}`);
    void this.publishCancel(id, by);
    return { ok: true, retrieval: (await store.view(id))! };
  }

  /**
   * Retention for retrieved clips: those at the hub for longer than `clipDays` (hub.yaml retention.clipDays, as
   * for event clips) are removed; the request stays, `expired`. Rows first, files after the commit.
   */
  async applyRetention(hub: Pick<HubStore, 'resolve'>, clipDays: number): Promise<number> {
    const store = this.retrievalStore;
    const now = this.clock();
    const files = await store.sql.tx(async (t) => {
      const removed: string[] = [];
      for (const row of await store.readyBefore(t, now - clipDays * 86_400_000, 10_000)) {
        if ((await store.expire(t, row.id, now)) && row.clip_path) removed.push(row.clip_path);
      }
      return removed;
    });
    for (const f of files) {
      try {
        rmSync(hub.resolve(f), { force: true });
      } catch (err) {
        this.log.warn({ err, file: f }, 'retention could not remove a retrieved clip');
      }
    }
    if (files.length) this.log.info({ expired: files.length, clipDays }, `retention: ${files.length} retrieved clips older than ${clipDays} days removed`);
    return files.length;
  }

  /** Wards that just said "online": send them what they have not answered. Never throws (failures are logged). */
  async boxesOnline(boxes: readonly string[]): Promise<void> {
    const before = this.clock() - REPUBLISH_AFTER_MS;
    const store = this.retrievalStore;
    for (const box of boxes) {
      try {
        const ward = await store.wardOfBox(box);
        if (ward === undefined) continue;
        const ours = async (rows: RetrievalRow[]) => {
          const kept: RetrievalRow[] = [];
          for (const row of rows) if ((await store.boxOf(row.ward, row.camera)) === box) kept.push(row);
          return kept;
        };
        for (const row of await ours(await store.waiting(ward, before))) void this.publish(row.id);
        for (const row of await ours(await store.cancelsToSend(ward, before))) void this.publishCancel(row.id, null);
      } catch (err) {
        this.log.warn({ err, box }, 'the requests waiting for a box that came online could not be read; they go when it is next online');
      }
    }
  }

  /** Sends a cancelled request's cmd/retrieve-cancel. Never throws. */
  private async publishCancel(id: string, by: string | null): Promise<void> {
    const store = this.retrievalStore;
    let row: RetrievalRow | undefined;
    try {
      row = await store.get(id);
      if (!row?.cancel_pending) return;
      const cancelledBy = by ?? row.reason?.replace(/^cancelled by /, '') ?? 'operator';
      await this.publishCommand(await store.boxOf(row.ward, row.camera), 'retrieve-cancel', { msgId: ulid(this.clock()), requestId: row.id, cancelledBy });
      const online = await store.cameraOnline(row.ward, row.camera);
      await store.cancelPublished(row.id, online, this.clock());
      this.log.info({ ward: row.ward, requestId: row.id, online }, online ? 'retrieve-cancel sent to the ward' : 'retrieve-cancel kept for the ward: it is offline');
    } catch (err) {
      this.log.warn({ err, ward: row?.ward, requestId: id }, 'retrieve-cancel could not be published; it goes again when the ward is online');
    }
  }

  /** Sends a stored request's cmd/retrieve. Never throws. */
  private async publish(id: string): Promise<void> {
    const store = this.retrievalStore;
    let row: RetrievalRow | undefined;
    try {
      row = await store.get(id);
      if (!row) return;
      const command: RetrieveCommand = { msgId: ulid(this.clock()), requestId: row.id, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: row.requested_by };
      await this.publishCommand(await store.boxOf(row.ward, row.camera), 'retrieve', command);
      const online = await store.cameraOnline(row.ward, row.camera);
      await store.published(row.id, online, this.clock());
      this.log.info({ ward: row.ward, requestId: row.id, online }, online ? 'retrieve sent to the ward' : 'retrieve kept for the ward: it is offline');
    } catch (err) {
      this.log.warn({ err, ward: row?.ward, requestId: id }, 'retrieve could not be published; it goes again when the ward is online');
    }
  }
}
