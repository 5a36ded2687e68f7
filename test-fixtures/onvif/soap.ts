// SOAP 1.2 plumbing shared by the device service and WS-Discovery: parse an envelope, build one, build faults.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** The namespaces our messages use, under the prefixes real ONVIF devices use. */
export const NS = {
  soap: 'http://www.w3.org/2003/05/soap-envelope',
  tds: 'http://www.onvif.org/ver10/device/wsdl',
  trt: 'http://www.onvif.org/ver10/media/wsdl',
  tt: 'http://www.onvif.org/ver10/schema',
  ter: 'http://www.onvif.org/ver10/error',
  dn: 'http://www.onvif.org/ver10/network/wsdl',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  // WS-Discovery (2005/04) still rides on the 2004/08 WS-Addressing draft, as ONVIF requires.
  wsa: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  wsd: 'http://schemas.xmlsoap.org/ws/2005/04/discovery',
} as const;

export type XmlValue = string | XmlNode | XmlValue[];
export interface XmlNode {
  [key: string]: XmlValue;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Keep every value a string: nonces, serials and versions must not become numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

function prefixOf(qname: string): string | undefined {
  const colon = qname.indexOf(':');
  return colon < 0 ? undefined : qname.slice(0, colon);
}

function isElementKey(key: string): boolean {
  return !key.startsWith('@_') && key !== '#text' && !key.startsWith('?');
}

function first(value: XmlValue | undefined): XmlValue | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Child elements named `name` (any prefix), in document order. */
export function children(node: XmlValue | undefined, name: string): XmlValue[] {
  const n = first(node);
  if (n === undefined || typeof n === 'string' || Array.isArray(n)) return [];
  const out: XmlValue[] = [];
  for (const [key, value] of Object.entries(n)) {
    if (!isElementKey(key) || localName(key) !== name) continue;
    if (Array.isArray(value)) out.push(...value);
    else out.push(value);
  }
  return out;
}

/** The first child element named `name` (any prefix). */
export function child(node: XmlValue | undefined, name: string): XmlValue | undefined {
  return children(node, name)[0];
}

/** Text content of an element, whether or not it carries attributes. */
export function text(node: XmlValue | undefined): string | undefined {
  const n = first(node);
  if (n === undefined) return undefined;
  if (typeof n === 'string') return n;
  if (Array.isArray(n)) return undefined;
  const t = n['#text'];
  return typeof t === 'string' ? t : t === undefined ? '' : undefined;
}

export function attribute(node: XmlValue | undefined, name: string): string | undefined {
  const n = first(node);
  if (n === undefined || typeof n === 'string' || Array.isArray(n)) return undefined;
  for (const [key, value] of Object.entries(n)) {
    if (key.startsWith('@_') && localName(key.slice(2)) === name && typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Resolves a prefixed (or unprefixed) name to its namespace URI, looking at the xmlns declarations
 * of the element itself and then of its ancestors (innermost first).
 */
export function resolveNamespace(qname: string, scopes: readonly (XmlValue | undefined)[]): string | undefined {
  const prefix = prefixOf(qname);
  const attr = prefix === undefined ? '@_xmlns' : `@_xmlns:${prefix}`;
  for (const scope of scopes) {
    const n = first(scope);
    if (n === undefined || typeof n === 'string' || Array.isArray(n)) continue;
    const uri = n[attr];
    if (typeof uri === 'string') return uri;
  }
  return undefined;
}

export interface SoapMessage {
  envelope: XmlNode;
  header: XmlValue | undefined;
  body: XmlValue;
  /** The first element of the Body: the operation of a request, the answer of a response. */
  operation: { name: string; namespace: string | undefined; node: XmlValue };
}

export class SoapParseError extends Error {}

/** Parses a SOAP envelope; throws SoapParseError when it is not well-formed XML or not an envelope. */
export function parseSoap(xml: string): SoapMessage {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new SoapParseError(`not well-formed XML: ${valid.err.msg}`);
  const doc = parser.parse(xml) as XmlNode;
  const envelopeKey = Object.keys(doc).find((k) => isElementKey(k) && localName(k) === 'Envelope');
  const envelope = envelopeKey === undefined ? undefined : first(doc[envelopeKey]);
  if (envelope === undefined || typeof envelope === 'string' || Array.isArray(envelope)) {
    throw new SoapParseError('no SOAP Envelope');
  }
  const body = child(envelope, 'Body');
  if (body === undefined) throw new SoapParseError('no SOAP Body');
  const bodyNode = first(body);
  const opKey =
    bodyNode !== undefined && typeof bodyNode !== 'string' && !Array.isArray(bodyNode)
      ? Object.keys(bodyNode).find(isElementKey)
      : undefined;
  if (opKey === undefined || bodyNode === undefined || typeof bodyNode === 'string' || Array.isArray(bodyNode)) {
    throw new SoapParseError('empty SOAP Body');
  }
  const node = first(bodyNode[opKey]) ?? '';
  return {
    envelope,
    header: child(envelope, 'Header'),
    body,
    operation: { name: localName(opKey), namespace: resolveNamespace(opKey, [node, body, envelope]), node },
  };
}

export function escapeXml(value: string | number | boolean): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const DECLARATIONS = Object.entries(NS)
  .map(([prefix, uri]) => `xmlns:${prefix}="${uri}"`)
  .join(' ');

/** A SOAP 1.2 envelope declaring every prefix of NS, so that fragments can use them freely. */
export function envelope(body: string, header = ''): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<soap:Envelope ${DECLARATIONS}>` +
    (header ? `<soap:Header>${header}</soap:Header>` : '') +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export interface SoapFault {
  /** SOAP 1.2 binding: Sender faults travel as HTTP 400, Receiver faults as HTTP 500. */
  code: 'Sender' | 'Receiver';
  /** ONVIF subcodes, outermost first, without prefix: e.g. ['InvalidArgVal', 'NoProfile'] */
  subcodes: string[];
  reason: string;
}

export function faultStatus(fault: SoapFault): number {
  return fault.code === 'Sender' ? 400 : 500;
}

export function faultXml(fault: SoapFault): string {
  let subcode = '';
  for (const s of [...fault.subcodes].reverse()) {
    subcode = `<soap:Subcode><soap:Value>ter:${s}</soap:Value>${subcode}</soap:Subcode>`;
  }
  return envelope(
    `<soap:Fault><soap:Code><soap:Value>soap:${fault.code}</soap:Value>${subcode}</soap:Code>` +
      `<soap:Reason><soap:Text xml:lang="en">${escapeXml(fault.reason)}</soap:Text></soap:Reason></soap:Fault>`,
  );
}
