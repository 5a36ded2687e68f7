// Origin check of state-changing requests, pure: a browser names the page a request comes from in `Origin`; a
// request from another site's page is refused even before CSRF tokens or cookies are looked at.

export interface OriginCheck {
  /** the request's Origin header, if any */
  origin: string | undefined;
  /** this server as the browser addressed it: `request.protocol` and `request.host` (behind a trusted proxy, its X-Forwarded-Proto and -Host) */
  protocol: string;
  host: string | undefined;
  /** origins that are ours besides that (e.g. the hub's publicUrl behind a proxy), as `scheme://host[:port]` */
  allowed?: readonly string[];
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** `scheme://host[:port]` with the default port left out and the host lower-cased, or undefined when not a URL. */
export function canonicalOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const port = url.port && url.port !== DEFAULT_PORTS[url.protocol] ? `:${url.port}` : '';
    return `${url.protocol}//${url.hostname.toLowerCase()}${port}`;
  } catch {
    return undefined;
  }
}

/**
 * Allowed: no Origin (not a browser, or a same-origin GET-like navigation), or the server's own origin, or one of
 * `allowed`. Refused: any other, including `null` (sandboxed frames, file:// pages, cross-site redirects).
 */
export function originAllowed({ origin, protocol, host, allowed = [] }: OriginCheck): boolean {
  if (origin === undefined) return true;
  const got = canonicalOrigin(origin);
  if (got === undefined) return false;
  const own = host ? canonicalOrigin(`${protocol}://${host}`) : undefined;
  return got === own || allowed.some((a) => canonicalOrigin(a) === got);
}
