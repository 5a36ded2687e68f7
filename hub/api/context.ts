// What the API's routes are given: the hub's parts, passed in (hub/main.ts wires them; tests build their own).
import type { Accounts, LoginThrottleStats } from '../../shared/accounts/index.js';
import type { Audit } from '../../shared/audit/index.js';
import type { Logger } from '../../shared/log.js';
import type { BrokerStats } from '../broker/broker.js';
import type { CityParts } from '../city/viewers.js';
import type { Forwarder } from '../forward/forwarder.js';
import type { IngestStats } from '../ingest/index-writer.js';
import type { LiveRelays } from '../live/relays.js';
import type { Retrievals } from '../retrieval/retrievals.js';
import type { HubStore } from '../store/store.js';

export interface ApiContext {
  store: HubStore;
  audit: Audit;
  accounts: Accounts;
  forwarder: Pick<Forwarder, 'forwardIncident' | 'forwardRecording' | 'deadLetters' | 'retryDeadLetter' | 'stats'>;
  /** signs and checks clip links (hub/share/) */
  linkKey: Buffer;
  district: string;
  /** IANA zone the operator page shows its times in (hub.yaml timeZone) */
  timeZone: string;
  clock: () => number;
  logger: Logger;
  /** live counters for /metrics; absent parts are left out */
  ingestStats?: () => IngestStats;
  brokerStats?: () => BrokerStats;
  /** the login throttle shared by HTTP logins and the broker */
  loginStats?: () => LoginThrottleStats;
  /** operators' retrievals from the wards; the routes are left out without it */
  retrievals?: Retrievals;
  /** operators' live views of ward cameras (hub/live/); the routes are left out without it */
  live?: LiveRelays;
  /** the city's grants, emergency access and viewers (hub/city/); the city routes are left out without it */
  city?: CityParts;
}
