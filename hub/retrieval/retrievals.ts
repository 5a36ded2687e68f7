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
import type { RetrievalStore, RetrievalView } from './store.js';

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
    const check = store.db.transaction(() => {
      const c = checkRequest({
        from: r.from,
        to: r.to,
        now,
        wardKnown: store.wardKnown(r.ward),
        cameraKnown: store.cameraKnown(r.ward, r.camera),
        openByOperator: store.openBy(r.by),
        ...this.limits,
      });
      if (!c.ok) return c;
      store.create({ id, ward: r.ward, camera: r.camera, from: r.from, to: r.to, requestedBy: r.by }, now);
      // in the same transaction: no request reaches a ward unaudited
      this.audit.record({ actor: r.by, action: 'retrieve.request', target: id, ip: r.ip, detail: { ward: r.ward, camera: r.camera, from: r.from, to: r.to } });
      return c;
    })();
    if (!check.ok) return check;
    await this.publish(id);
    return { ok: true, retrieval: store.view(id)! };
  }

  /**
   * Ends an open request: it stops counting against the operator's limit and is not sent again. A ward that had
   * it is sent `cmd/retrieve-cancel` (now, or when it is next online) and drops what it has not sent yet; a clip
   * that arrives all the same is removed at the hub. Audited in the same transaction.
   */
  cancel(id: string, by: string, ip: string | null): { ok: true; retrieval: RetrievalView } | { ok: false; status: 404 | 409; error: string } {
    const store = this.retrievalStore;
    const now = this.clock();
    const result = store.db.transaction(() => {
      const row = store.get(id);
      if (!row) return { ok: false as const, status: 404 as const, error: 'no such retrieval' };
      if (!isOpen(row.state) || !store.cancel(id, `cancelled by ${by}`, now)) {
        return { ok: false as const, status: 409 as const, error: `the retrieval is ${store.view(id)!.state}: only a request still on its way can be cancelled` };
      }
      this.audit.record({ actor: by, action: 'retrieve.cancel', target: id, ip, detail: { ward: row.ward, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: row.requested_by } });
      return { ok: true as const };
    })();
    if (!result.ok) return result;
    this.log.info({ requestId: id, by }, `retrieval ${id} cancelled by ${by}`);
    void this.publishCancel(id, by);
    return { ok: true, retrieval: store.view(id)! };
  }

  /**
   * Retention for retrieved clips: those at the hub for longer than `clipDays` (hub.yaml retention.clipDays, as
   * for event clips) are removed; the request stays, `expired`. Rows first, files after the commit.
   */
  applyRetention(hub: Pick<HubStore, 'resolve'>, clipDays: number): number {
    const store = this.retrievalStore;
    const now = this.clock();
    const files: string[] = [];
    store.db.transaction(() => {
      for (const row of store.readyBefore(now - clipDays * 86_400_000, 10_000)) {
        if (store.expire(row.id, now) && row.clip_path) files.push(row.clip_path);
      }
    })();
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

  /** Wards that just said "online": send them what they have not answered. Never throws. */
  boxesOnline(boxes: readonly string[]): void {
    const before = this.clock() - REPUBLISH_AFTER_MS;
    const store = this.retrievalStore;
    for (const box of boxes) {
      const ward = store.wardOfBox(box);
      if (ward === undefined) continue;
      const ours = (row: { ward: string; camera: string }) => store.boxOf(row.ward, row.camera) === box;
      for (const row of store.waiting(ward, before).filter(ours)) void this.publish(row.id);
      for (const row of store.cancelsToSend(ward, before).filter(ours)) void this.publishCancel(row.id, null);
    }
  }

  private async publishCancel(id: string, by: string | null): Promise<void> {
    const row = this.retrievalStore.get(id);
    if (!row?.cancel_pending) return;
    const cancelledBy = by ?? row.reason?.replace(/^cancelled by /, '') ?? 'operator';
    try {
      await this.publishCommand(this.retrievalStore.boxOf(row.ward, row.camera), 'retrieve-cancel', { msgId: ulid(this.clock()), requestId: row.id, cancelledBy });
      const online = this.retrievalStore.cameraOnline(row.ward, row.camera);
      this.retrievalStore.cancelPublished(row.id, online, this.clock());
      this.log.info({ ward: row.ward, requestId: row.id, online }, online ? 'retrieve-cancel sent to the ward' : 'retrieve-cancel kept for the ward: it is offline');
    } catch (err) {
      this.log.warn({ err, ward: row.ward, requestId: row.id }, 'retrieve-cancel could not be published; it goes again when the ward is online');
    }
  }

  private async publish(id: string): Promise<void> {
    const row = this.retrievalStore.get(id);
    if (!row) return;
    const command: RetrieveCommand = { msgId: ulid(this.clock()), requestId: row.id, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: row.requested_by };
    try {
      await this.publishCommand(this.retrievalStore.boxOf(row.ward, row.camera), 'retrieve', command);
      const online = this.retrievalStore.cameraOnline(row.ward, row.camera);
      this.retrievalStore.published(row.id, online, this.clock());
      this.log.info({ ward: row.ward, requestId: row.id, online }, online ? 'retrieve sent to the ward' : 'retrieve kept for the ward: it is offline');
    } catch (err) {
      this.log.warn({ err, ward: row.ward, requestId: row.id }, 'retrieve could not be published; it goes again when the ward is online');
    }
  }
}
