// WS-Discovery (2005/04, SOAP-over-UDP) as ONVIF uses it: a Probe responder, and a directed (unicast) probe.
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  attribute,
  child,
  children,
  envelope,
  escapeXml as x,
  localName,
  NS,
  parseSoap,
  resolveNamespace,
  text,
  type SoapMessage,
} from './soap.js';

export const PROBE_ACTION = `${NS.wsd}/Probe`;
export const PROBE_MATCHES_ACTION = `${NS.wsd}/ProbeMatches`;
/** The well-known To of a probe (real sites probe by multicast, shared/onvif/discovery.ts; this fixture by unicast to loopback only). */
const DISCOVERY_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';
const ANONYMOUS = `${NS.wsa}/role/anonymous`;
const STRCMP0 = `${NS.wsd}/strcmp0`;
const RFC3986 = `${NS.wsd}/rfc3986`;

export interface QName {
  namespace: string;
  local: string;
}

export const NETWORK_VIDEO_TRANSMITTER: QName = { namespace: NS.dn, local: 'NetworkVideoTransmitter' };
export const DEVICE: QName = { namespace: NS.tds, local: 'Device' };
/** What an ONVIF camera is, in discovery terms. */
export const ONVIF_DEVICE_TYPES: readonly QName[] = [NETWORK_VIDEO_TRANSMITTER, DEVICE];

export interface DiscoveryIdentity {
  /** `urn:uuid:…`, stable for the life of the device */
  endpoint: string;
  types: readonly QName[];
  scopes: readonly string[];
  xaddrs: readonly string[];
  metadataVersion: number;
}

export interface ProbeMatch {
  endpoint: string;
  /** as written by the device, e.g. `dn:NetworkVideoTransmitter` */
  types: string[];
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number;
  from: { address: string; port: number };
}

function words(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean);
}

/** Scope matching by RFC 3986 (the default): same scheme and authority, and the probe's path segments a prefix of ours. */
export function scopeMatches(probeScope: string, ours: string, matchBy = RFC3986): boolean {
  if (matchBy === STRCMP0) return probeScope === ours;
  if (matchBy !== RFC3986) return false;
  try {
    const p = new URL(probeScope);
    const o = new URL(ours);
    if (p.protocol !== o.protocol || p.host.toLowerCase() !== o.host.toLowerCase()) return false;
    const ps = p.pathname.split('/').filter(Boolean);
    const os = o.pathname.split('/').filter(Boolean);
    return ps.length <= os.length && ps.every((segment, i) => segment === os[i]);
  } catch {
    return probeScope === ours;
  }
}

/** Whether a device answers this Probe: every probed type and every probed scope must be one of its own. */
export function answersProbe(identity: DiscoveryIdentity, probe: SoapMessage): boolean {
  const typesNode = child(probe.operation.node, 'Types');
  const inScope = [typesNode, probe.operation.node, probe.body, probe.envelope];
  for (const qname of words(text(typesNode))) {
    const namespace = resolveNamespace(qname, inScope);
    const local = localName(qname);
    // An unresolvable prefix is matched by local name only, as lenient cameras do.
    const known = identity.types.some((t) => t.local === local && (namespace === undefined || t.namespace === namespace));
    if (!known) return false;
  }
  const scopesNode = child(probe.operation.node, 'Scopes');
  const matchBy = attribute(scopesNode, 'MatchBy');
  return words(text(scopesNode)).every((s) => identity.scopes.some((o) => scopeMatches(s, o, matchBy)));
}

function typesText(types: readonly QName[]): string {
  const prefix = (ns: string): string => Object.entries(NS).find(([, uri]) => uri === ns)?.[0] ?? 'dn';
  return types.map((t) => `${prefix(t.namespace)}:${t.local}`).join(' ');
}

export function probeMessage(messageId: string, types: readonly QName[] = [NETWORK_VIDEO_TRANSMITTER]): string {
  const header =
    `<wsa:Action soap:mustUnderstand="1">${PROBE_ACTION}</wsa:Action>` +
    `<wsa:MessageID>${x(messageId)}</wsa:MessageID>` +
    `<wsa:ReplyTo><wsa:Address>${ANONYMOUS}</wsa:Address></wsa:ReplyTo>` +
    `<wsa:To soap:mustUnderstand="1">${DISCOVERY_TO}</wsa:To>`;
  return envelope(`<wsd:Probe><wsd:Types>${typesText(types)}</wsd:Types></wsd:Probe>`, header);
}

export function probeMatchesMessage(
  identity: DiscoveryIdentity,
  relatesTo: string,
  sequence: { instanceId: number; messageNumber: number },
): string {
  const header =
    `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID>` +
    `<wsa:RelatesTo>${x(relatesTo)}</wsa:RelatesTo>` +
    `<wsa:To>${ANONYMOUS}</wsa:To>` +
    `<wsa:Action>${PROBE_MATCHES_ACTION}</wsa:Action>` +
    `<wsd:AppSequence InstanceId="${sequence.instanceId}" MessageNumber="${sequence.messageNumber}"/>`;
  const body =
    `<wsd:ProbeMatches><wsd:ProbeMatch>` +
    `<wsa:EndpointReference><wsa:Address>${x(identity.endpoint)}</wsa:Address></wsa:EndpointReference>` +
    `<wsd:Types>${typesText(identity.types)}</wsd:Types>` +
    `<wsd:Scopes>${identity.scopes.map(x).join(' ')}</wsd:Scopes>` +
    `<wsd:XAddrs>${identity.xaddrs.map(x).join(' ')}</wsd:XAddrs>` +
    `<wsd:MetadataVersion>${identity.metadataVersion}</wsd:MetadataVersion>` +
    `</wsd:ProbeMatch></wsd:ProbeMatches>`;
  return envelope(body, header);
}

/** The matches of a ProbeMatches message that answers `messageId`; [] for anything else. */
export function parseProbeMatches(xml: string, messageId: string): Omit<ProbeMatch, 'from'>[] {
  let message: SoapMessage;
  try {
    message = parseSoap(xml);
  } catch {
    return [];
  }
  if (message.operation.name !== 'ProbeMatches') return [];
  if (text(child(message.header, 'RelatesTo')) !== messageId) return [];
  return children(message.operation.node, 'ProbeMatch').map((m) => ({
    endpoint: text(child(child(m, 'EndpointReference'), 'Address')) ?? '',
    types: words(text(child(m, 'Types'))),
    scopes: words(text(child(m, 'Scopes'))),
    xaddrs: words(text(child(m, 'XAddrs'))),
    metadataVersion: Number(text(child(m, 'MetadataVersion')) ?? '0'),
  }));
}

export interface DiscoveryResponder {
  host: string;
  port: number;
  stop(): Promise<void>;
}

function bindSocket(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

/**
 * Answers Probes on a UDP socket. It binds one address (127.0.0.1 by default) and joins no multicast
 * group: tests reach it with a directed probe. The reply goes unicast to the probe's source.
 */
export async function startDiscoveryResponder(options: {
  host: string;
  port: number;
  identity: () => DiscoveryIdentity;
}): Promise<DiscoveryResponder> {
  const socket = createSocket('udp4');
  const sequence = { instanceId: Math.floor(Date.now() / 1000), messageNumber: 0 };
  socket.on('message', (msg, from) => {
    let probe: SoapMessage;
    try {
      probe = parseSoap(msg.toString('utf8'));
    } catch {
      return; // SOAP-over-UDP: a malformed datagram is dropped, never answered
    }
    const { name, namespace } = probe.operation;
    if (name !== 'Probe' || (namespace !== undefined && namespace !== NS.wsd)) return;
    const messageId = text(child(probe.header, 'MessageID'));
    const identity = options.identity();
    if (!messageId || !answersProbe(identity, probe)) return;
    sequence.messageNumber += 1;
    socket.send(probeMatchesMessage(identity, messageId, sequence), from.port, from.address);
  });
  // A stray send error (the prober already gone) must not crash the process.
  socket.on('error', () => undefined);
  await bindSocket(socket, options.host, options.port);
  return {
    host: options.host,
    port: socket.address().port,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}

/**
 * Sends one Probe to `address:port` by unicast UDP on loopback (a test fixture sends nowhere else) and gathers
 * every ProbeMatch answering it until `timeoutMs` has passed.
 */
export async function sendDirectedProbe(
  address: string,
  port: number,
  timeoutMs = 1000,
  types: readonly QName[] = [NETWORK_VIDEO_TRANSMITTER],
): Promise<ProbeMatch[]> {
  if (!isLoopback(address)) throw new Error(`sendDirectedProbe probes loopback only (tests bind 127.0.0.1), not ${address}`);
  const socket = createSocket('udp4');
  const messageId = `urn:uuid:${randomUUID()}`;
  const matches: ProbeMatch[] = [];
  socket.on('message', (msg, from) => {
    for (const m of parseProbeMatches(msg.toString('utf8'), messageId)) {
      matches.push({ ...m, from: { address: from.address, port: from.port } });
    }
  });
  await bindSocket(socket, '127.0.0.1', 0);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.send(probeMessage(messageId, types), port, address, (err) => (err ? reject(err) : resolve()));
    });
    await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return matches;
}
