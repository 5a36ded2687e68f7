// ONVIF SOAP 1.2 client plumbing: envelopes with a WS-Security PasswordDigest token, POST, parse, faults.
import { createHash, randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
} as const;

const PASSWORD_DIGEST = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const NONCE_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-soap-message-security-1.0#Base64Binary';

/** A parsed XML element: prefixes removed, attributes as `@_name`, text as `#text`, every value a string. */
export type Xml = string | { [key: string]: Xml | Xml[] };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // serials, firmware versions and nonces must stay strings
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function parseXml(xml: string): Xml {
  return parser.parse(xml) as Xml;
}

/** The child elements called `name` (always a list). */
export function all(node: Xml | Xml[] | undefined, name: string): Xml[] {
  const n = Array.isArray(node) ? node[0] : node;
  if (n === undefined || typeof n === 'string') return [];
  const v = n[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Follows a path of child names, taking the first element at each step. */
export function at(node: Xml | undefined, ...names: string[]): Xml | undefined {
  let cur: Xml | undefined = node;
  for (const name of names) cur = all(cur, name)[0];
  return cur;
}

export function textOf(node: Xml | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === 'string') return node;
  const t = node['#text'];
  return typeof t === 'string' ? t : undefined;
}

export function attr(node: Xml | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const v = node[`@_${name}`];
  return typeof v === 'string' ? v : undefined;
}

/** Base64(SHA1(nonce + created + password)), ONVIF Core §5.12. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')])).digest('base64');
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * A UsernameToken stamped with the DEVICE's time (`deviceNowMs`): cameras refuse a Created far from their own
 * clock, and unsynchronised cameras are common, so the caller passes our clock corrected by the measured skew.
 */
export function securityHeader(c: Credentials, deviceNowMs: number, nonce: Buffer = randomBytes(16)): string {
  // whole seconds, as many cameras parse no fractions
  const created = new Date(Math.floor(deviceNowMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return (
    `<wsse:Security soap:mustUnderstand="1"><wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(c.username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${passwordDigest(nonce, created, c.password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${NONCE_ENCODING}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created>` +
    `</wsse:UsernameToken></wsse:Security>`
  );
}

const DECLARATIONS = Object.entries(NS).map(([p, uri]) => `xmlns:${p}="${uri}"`).join(' ');

export function envelope(body: string, header = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope ${DECLARATIONS}>${header ? `<soap:Header>${header}</soap:Header>` : ''}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

export type OnvifErrorKind = 'not-authorized' | 'unreachable' | 'timeout' | 'fault' | 'bad-response';

/** What went wrong talking to one device, in words an installer can act on. */
export class OnvifError extends Error {
  constructor(
    readonly kind: OnvifErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'OnvifError';
  }
}

function faultOf(doc: Xml): { subcodes: string[]; reason: string } | undefined {
  const fault = at(doc, 'Envelope', 'Body', 'Fault');
  if (fault === undefined) return undefined;
  const subcodes: string[] = [];
  let code = at(fault, 'Code');
  while (code !== undefined) {
    const value = textOf(at(code, 'Value'));
    if (value) subcodes.push(value.slice(value.indexOf(':') + 1));
    code = at(code, 'Subcode');
  }
  return { subcodes, reason: textOf(at(fault, 'Reason', 'Text')) ?? textOf(at(fault, 'Reason')) ?? '' };
}

/** POSTs one SOAP request and returns the first element of the response Body; throws OnvifError. */
export async function soapCall(url: string, action: string, body: string, header: string, timeoutMs: number): Promise<Xml> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': `application/soap+xml; charset=utf-8; action="${action}"` },
      body: envelope(body, header),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new OnvifError('timeout', `no answer from ${url} within ${timeoutMs / 1000} s`);
    throw new OnvifError('unreachable', `cannot reach ${url} (${e.cause?.code ?? e.message})`);
  }
  const text = await res.text();
  let doc: Xml;
  try {
    doc = parseXml(text);
  } catch {
    doc = '';
  }
  const fault = typeof doc === 'string' ? undefined : faultOf(doc);
  // ONVIF Core §5.12.2: NotAuthorized over HTTP 400; some cameras answer HTTP 401 (HTTP digest) instead
  if (res.status === 401 || fault?.subcodes.includes('NotAuthorized')) {
    throw new OnvifError('not-authorized', 'wrong user name or password (or the camera clock is far off)');
  }
  if (fault) throw new OnvifError('fault', `${fault.subcodes.join('/') || 'fault'}: ${fault.reason}`);
  if (!res.ok) throw new OnvifError('bad-response', `HTTP ${res.status} from ${url}`);
  const bodyNode = at(doc, 'Envelope', 'Body');
  if (bodyNode === undefined || typeof bodyNode === 'string') throw new OnvifError('bad-response', `${url} did not answer with a SOAP envelope`);
  const first = Object.keys(bodyNode).find((k) => !k.startsWith('@_') && k !== '#text');
  if (first === undefined) throw new OnvifError('bad-response', `${url} answered with an empty SOAP body`);
  return at(bodyNode, first)!;
}
