// Host names in camera URLs are resolved here, in Node: the bundled 2018 ffmpeg crashes on any name.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Returns the URL with its host replaced by an IP address (IPv4 preferred). Credentials and path are kept. */
export async function resolveUrlHost(url: string, resolver: (host: string) => Promise<string> = defaultResolve): Promise<string> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return url;
  const address = await resolver(host);
  parsed.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return parsed.toString();
}

async function defaultResolve(host: string): Promise<string> {
  const { address } = await lookup(host, { family: 0, order: 'ipv4first' });
  return address;
}
