// Starts the city's RTSP server from hub.yaml's `cityRtsp` (absent: off). Like the page, a port that cannot be taken
// or a certificate that cannot serve is a loud error in the log, not a dead hub: ingest goes on.
import type { LoginThrottle } from '../../shared/accounts/index.js';
import type { Audit } from '../../shared/audit/index.js';
import type { HubConfig } from '../../shared/config/load.js';
import { PageTlsError, readPageTls } from '../../shared/http/index.js';
import type { Logger } from '../../shared/log.js';
import type { CityGrants } from '../city/grants.js';
import type { LiveRelays } from '../live/relays.js';
import type { RtspCredentials } from './credentials.js';
import { CityRtsp } from './server.js';

/** The base a ward box reaches the hub's http server at: the public URL, else the address the city reached. */
export function relayOrigin(o: { publicUrl?: string | undefined; http: { host: string; port: number; scheme: string } | undefined }, localAddress: string | undefined): string | undefined {
  if (o.publicUrl) return o.publicUrl;
  if (!o.http) return undefined;
  const anyAddress = o.http.host === '0.0.0.0' || o.http.host === '::';
  const host = anyAddress ? (localAddress ?? '127.0.0.1') : o.http.host;
  return `${o.http.scheme}://${host.includes(':') ? `[${host}]` : host}:${o.http.port}`;
}

export async function startCityRtsp(
  config: HubConfig,
  parts: { credentials: RtspCredentials; throttle: LoginThrottle; audit: Audit; grants: CityGrants; live: LiveRelays; http: { host: string; port: number; scheme: string } | undefined; logger: Logger },
): Promise<CityRtsp | undefined> {
  const c = config.cityRtsp;
  if (!c) return undefined;
  const { listen } = c;
  try {
    const tls = c.tls && config.http.tls ? readPageTls(config.http.tls, { key: 'http.tls', make: 'wardwatch provision credentials tls --out DIR --host NAME' }) : undefined;
    const rtsp = await CityRtsp.start({
      config: { ...c, tls },
      grants: parts.grants,
      live: parts.live,
      credentials: parts.credentials,
      throttle: parts.throttle,
      audit: parts.audit,
      relayOrigin: (local) => relayOrigin({ publicUrl: config.http.publicUrl, http: parts.http }, local),
      logger: parts.logger,
    });
    parts.logger.info({ cityRtsp: true, host: listen.host, rtspPort: rtsp.port, scheme: rtsp.scheme }, `city ${rtsp.scheme} listening on ${listen.host}:${rtsp.port}`);
    return rtsp;
  } catch (err) {
    const why = err instanceof PageTlsError ? err.message : `cannot listen on ${listen.host}:${listen.port} (${(err as Error).message}): fix cityRtsp.listen in hub.yaml`;
    parts.logger.error({ cityRtsp: true, host: listen.host, rtspPort: listen.port }, `city rtsp: ${why}. The city's video system cannot connect; the rest of the hub goes on`);
    return undefined;
  }
}
