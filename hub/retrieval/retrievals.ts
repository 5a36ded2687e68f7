// Operators' retrievals: a request is stored (and audited) before cmd/retrieve goes out, and every request the ward
// has not answered is published again whenever the ward reports itself online. The broker's memory is not relied
// on: wards connect with a clean session, so a command to an offline ward would otherwise be lost.
import { monotonicFactory } from 'ulid';
import type { Audit } from '../../shared/audit/index.js';
import type { RetrieveCommand } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';
import { checkRequest, type RequestCheck } from './policy.js';
import type { RetrievalStore} from './store.js';
import { type RetrievalView } from './store.js';

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
  publish: (ward: string, name: 'retrieve', payload: RetrieveCommand) => Promise<void>;
  limits: RetrievalLimits;
  clock: () => number;
  logger: Logger;
}

export class Retrievals {
  private readonly log: Logger;

  constructor(private readonly o: RetrievalsOptions) {
    this.log = o.logger.child({ part: 'retrievals' });
  }

  get store(): RetrievalStore {
    return this.o.store;
  }

  /** Checks, stores and audits a request, then publishes it; refusals name the field. */
  async request(r: RetrievalRequest): Promise<{ ok: true; retrieval: RetrievalView } | Extract<RequestCheck, { ok: false }>> {
    const { store, audit, limits } = this.o;
    const now = this.o.clock();
    const id = ulid(now);
    const check = store.db.transaction(() => {
      const c = checkRequest({
        from: r.from,
        to: r.to,
        now,
        wardKnown: store.wardKnown(r.ward),
        cameraKnown: store.cameraKnown(r.ward, r.camera),
        openByOperator: store.openBy(r.by),
        ...limits,
      });
      if (!c.ok) return c;
      store.create({ id, ward: r.ward, camera: r.camera, from: r.from, to: r.to, requestedBy: r.by }, now);
      // in the same transaction: no request reaches a ward unaudited
      audit.record({ actor: r.by, action: 'retrieve.request', target: id, ip: r.ip, detail: { ward: r.ward, camera: r.camera, from: r.from, to: r.to } });
      return c;
    })();
    if (!check.ok) return check;
    await this.publish(id);
    return { ok: true, retrieval: store.view(id)! };
  }

  /** Wards that just said "online": send them what they have not answered. Never throws. */
  wardsOnline(wards: readonly string[]): void {
    const before = this.o.clock() - REPUBLISH_AFTER_MS;
    for (const ward of wards) {
      for (const row of this.o.store.waiting(ward, before)) void this.publish(row.id);
    }
  }

  private async publish(id: string): Promise<void> {
    const row = this.o.store.get(id);
    if (!row) return;
    const command: RetrieveCommand = { msgId: ulid(this.o.clock()), requestId: row.id, camera: row.camera, from: row.from_ms, to: row.to_ms, requestedBy: row.requested_by };
    try {
      await this.o.publish(row.ward, 'retrieve', command);
      const online = this.o.store.wardOnline(row.ward);
      this.o.store.published(row.id, online, this.o.clock());
      this.log.info({ ward: row.ward, requestId: row.id, online }, online ? 'retrieve sent to the ward' : 'retrieve kept for the ward: it is offline');
    } catch (err) {
      this.log.warn({ err, ward: row.ward, requestId: row.id }, 'retrieve could not be published; it goes again when the ward is online');
    }
  }
}
