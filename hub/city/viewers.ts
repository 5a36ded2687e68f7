// The city's live viewers through the hub page: relays opened by city accounts, each tied to the grant that allowed
// it, and ended as soon as that access no longer holds (revoked, expired, emergency closed).
import type { Audit } from '../../shared/audit/index.js';
import type { LiveRelays } from '../live/relays.js';
import type { CityAccess, CityGrants } from './grants.js';

/** Who of the city watches which camera, since when and from where: a page viewer or an RTSP reader. */
export interface CityReading {
  user: string;
  ward: string;
  camera: string;
  stream: string;
  ip: string | null;
  since: number;
}

export interface CityViewer extends CityReading {
  /** `hub` (the page's relay) or `rtsp` (the city's video system, hub/city-rtsp/) */
  via: 'hub' | 'rtsp';
  relayId?: string;
  grantId?: string;
}

interface Opened extends CityReading {
  relayId: string;
  grantId: string;
}

export class CityViewers {
  private readonly grants: CityGrants;
  private readonly live: Pick<LiveRelays, 'list' | 'close'>;
  private readonly audit: Audit;
  private readonly clock: () => number;
  private readonly opened = new Map<string, Opened>();

  constructor(o: { grants: CityGrants; live: Pick<LiveRelays, 'list' | 'close'>; audit: Audit; clock: () => number }) {
    this.grants = o.grants;
    this.live = o.live;
    this.audit = o.audit;
    this.clock = o.clock;
    // a failed look is not lost: the next change, the page's list and the city's socket all enforce again
    this.grants.onChange(() => this.enforce().then(() => undefined, () => undefined));
  }

  /** A relay a city account opened under a grant: audited `city.live`, naming the grant. */
  async opening(v: { relayId: string; user: string; ward: string; camera: string; stream: string; ip: string | null; grantId: string }): Promise<void> {
    this.opened.set(v.relayId, { ...v, since: this.clock() });
    await this.audit.record({ actor: v.user, action: 'city.live', target: v.grantId, ip: v.ip,
      detail: { grant: v.grantId, ward: v.ward, camera: v.camera, stream: v.stream, relay: v.relayId, via: 'hub' } });
  }

  /** Is this relay one a city account opened (the city's WebSocket may read only those)? */
  isCityRelay(relayId: string): boolean {
    return this.opened.has(relayId) && this.live.list().some((r) => r.relayId === relayId);
  }

  /** Ends every city relay whose camera the city may no longer see live; forgets relays that ended. */
  async enforce(): Promise<number> {
    const open = new Set(this.live.list().map((r) => r.relayId));
    // one look per camera, however many of the city's viewers watch it
    const looks = new Map<string, Promise<CityAccess>>();
    const access = (ward: string, camera: string) => {
      const key = `${ward}/${camera}`;
      let look = looks.get(key);
      if (!look) looks.set(key, (look = this.grants.check(ward, camera, 'live')));
      return look;
    };
    let ended = 0;
    for (const v of [...this.opened.values()]) {
      if (!open.has(v.relayId)) {
        this.opened.delete(v.relayId);
      } else if (!(await access(v.ward, v.camera)).ok && this.opened.delete(v.relayId)) {
        this.live.close(v.relayId);
        ended++;
      }
    }
    return ended;
  }

  /** The city's live relays open now, oldest first. */
  async list(): Promise<CityViewer[]> {
    await this.enforce();
    return [...this.opened.values()]
      .sort((a, b) => a.since - b.since)
      .map((v) => ({ user: v.user, ward: v.ward, camera: v.camera, stream: v.stream, ip: v.ip, since: v.since, via: 'hub' as const, relayId: v.relayId, grantId: v.grantId }));
  }
}

/** An RTSP reader of the city's video system (hub/city-rtsp/), as `GET /api/city/viewers` lists it. */
export type CityRtspReader = CityReading;

/** What the API's city routes and the city's checks in the live and retrieval routes are given. */
export interface CityParts {
  grants: CityGrants;
  viewers: CityViewers;
  /** the RTSP readers open now (hub/city-rtsp/); absent: none */
  rtspReaders?: () => CityRtspReader[];
}
