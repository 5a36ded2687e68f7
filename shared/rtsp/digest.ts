// RTSP Digest authentication (RFC 2617, MD5) as IP cameras do it: a realm, a signed nonce that
// expires, `qop=auth` accepted when the client offers it. The server knows each user's HA1
// (MD5(user:realm:password)), never the password. Pure functions, no sockets.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  username: string;
  password: string;
}

export interface DigestPolicy {
  realm: string;
  /** a user's HA1 (lower-case hex), or undefined for a name with no credential (a server may look it up: a promise) */
  ha1(username: string): string | undefined | Promise<string | undefined>;
  /** a nonce older than this is refused with `stale=TRUE` (the client retries with a fresh one) */
  nonceLifetimeMs: number;
  /** signs nonces, so no table of issued nonces is needed */
  secret: Buffer;
}

export type DigestVerdict = 'ok' | 'missing' | 'wrong' | 'stale';

const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

/** MD5(user:realm:password): what a server stores instead of the password. */
export function digestHa1(credentials: Credentials, realm: string): string {
  return md5(`${credentials.username}:${realm}:${credentials.password}`);
}

/** A policy for one user (a camera's admin account). */
export function createDigestPolicy(credentials: Credentials, realm = 'Wardwatch Camera'): DigestPolicy {
  const ha1 = digestHa1(credentials, realm);
  return { realm, ha1: (name) => (name === credentials.username ? ha1 : undefined), nonceLifetimeMs: 5 * 60_000, secret: randomBytes(16) };
}

/** A nonce is `<issued ms, hex>.<hmac>`: the server can check it was its own and how old it is. */
export function makeNonce(policy: DigestPolicy, nowMs: number): string {
  const issued = nowMs.toString(16);
  const mac = createHmac('sha256', policy.secret).update(issued).digest('hex').slice(0, 24);
  return `${issued}${mac}`;
}

function nonceAgeMs(policy: DigestPolicy, nonce: string, nowMs: number): number | undefined {
  if (nonce.length <= 24) return undefined;
  const issued = nonce.slice(0, -24);
  const mac = Buffer.from(nonce.slice(-24));
  const expected = Buffer.from(createHmac('sha256', policy.secret).update(issued).digest('hex').slice(0, 24));
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
  return nowMs - parseInt(issued, 16);
}

/** The `WWW-Authenticate` header value of a 401. */
export function challenge(policy: DigestPolicy, nowMs: number, stale = false): string {
  return `Digest realm="${policy.realm}", nonce="${makeNonce(policy, nowMs)}", algorithm=MD5${stale ? ', stale=TRUE' : ''}`;
}

/** Parses `Digest username="a", realm="b", nc=00000001, ...` into its fields (lower-case keys). */
export function parseAuthorization(header: string): Map<string, string> | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match?.[1]) return undefined;
  const fields = new Map<string, string>();
  const pair = /([a-zA-Z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const m of match[1].matchAll(pair)) {
    fields.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  }
  return fields;
}

/** What a request's Digest answer is computed over, besides the secret. */
interface DigestRequest {
  method: string;
  uri: string;
  nonce: string;
  qop?: string | undefined;
  nc?: string | undefined;
  cnonce?: string | undefined;
}

/** The response a client with these credentials computes; exported so tests can play the client. */
export function digestResponse(args: DigestRequest & { credentials: Credentials; realm: string }): string {
  return responseFromHa1({ ...args, ha1: digestHa1(args.credentials, args.realm) });
}

function responseFromHa1(args: DigestRequest & { ha1: string }): string {
  const { ha1 } = args;
  const ha2 = md5(`${args.method}:${args.uri}`);
  if (args.qop) return md5(`${ha1}:${args.nonce}:${args.nc ?? ''}:${args.cnonce ?? ''}:${args.qop}:${ha2}`);
  return md5(`${ha1}:${args.nonce}:${ha2}`);
}

/** Checks a request's `Authorization` header against the policy. */
export async function verify(policy: DigestPolicy, method: string, header: string | undefined, nowMs: number): Promise<DigestVerdict> {
  return (await authenticate(policy, method, header, nowMs)).verdict;
}

/** Like verify, and names the user the header claims (whatever the verdict: a throttle counts failures per name). */
export async function authenticate(policy: DigestPolicy, method: string, header: string | undefined, nowMs: number): Promise<{ verdict: DigestVerdict; username?: string }> {
  if (!header) return { verdict: 'missing' };
  const fields = parseAuthorization(header);
  if (!fields) return { verdict: 'wrong' };
  const username = fields.get('username');
  return { verdict: await check(policy, method, fields, nowMs), ...(username !== undefined && { username }) };
}

async function check(policy: DigestPolicy, method: string, fields: Map<string, string>, nowMs: number): Promise<DigestVerdict> {
  const nonce = fields.get('nonce') ?? '';
  const uri = fields.get('uri') ?? '';
  const given = (fields.get('response') ?? '').toLowerCase();
  const ha1 = await policy.ha1(fields.get('username') ?? '');
  if (ha1 === undefined || fields.get('realm') !== policy.realm) return 'wrong';
  const qop = fields.get('qop');
  if (qop !== undefined && qop !== 'auth') return 'wrong';
  const expected = responseFromHa1({
    ha1,
    method,
    uri,
    nonce,
    qop,
    nc: fields.get('nc'),
    cnonce: fields.get('cnonce'),
  });
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return 'wrong';
  const age = nonceAgeMs(policy, nonce, nowMs);
  if (age === undefined) return 'wrong';
  if (age > policy.nonceLifetimeMs) return 'stale';
  return 'ok';
}
