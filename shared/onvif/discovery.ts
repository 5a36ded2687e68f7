// WS-Discovery Probe (2005/04, SOAP-over-UDP) as ONVIF uses it: multicast on a site, directed unicast to given addresses.
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { all, at, envelope, NS, parseXml, textOf } from './soap.js';

export const MULTICAST_ADDRESS = '239.255.255.250';
export const DISCOVERY_PORT = 3702;
const DISCOVERY_TO = 'urn:schemas-xmlsoap-org:ws:2005:04:discovery';

export interface Found {
  /** `urn:uuid:…`: the device's stable identity */
  endpoint: string;
  /** device service URLs (XAddrs) */
  xaddrs: string[];
  scopes: string[];
  /** where the answer came from */
  from: string;
}

export function probeMessage(messageId: string): string {
  const header =
    `<wsa:Action soap:mustUnderstand="1">${NS.wsd}/Probe</wsa:Action>` +
    `<wsa:MessageID>${messageId}</wsa:MessageID>` +
    `<wsa:ReplyTo><wsa:Address>${NS.wsa}/role/anonymous</wsa:Address></wsa:ReplyTo>` +
    `<wsa:To soap:mustUnderstand="1">${DISCOVERY_TO}</wsa:To>`;
  return envelope('<wsd:Probe><wsd:Types>dn:NetworkVideoTransmitter</wsd:Types></wsd:Probe>', header);
}

const words = (s: string | undefined) => (s ?? '').split(/\s+/).filter(Boolean);

/** The devices in a ProbeMatches datagram that answers `messageId`; [] for anything else (never throws). */
export function parseProbeMatches(xml: string, messageId: string): Omit<Found, 'from'>[] {
  try {
    const doc = parseXml(xml);
    if (textOf(at(doc, 'Envelope', 'Header', 'RelatesTo')) !== messageId) return [];
    return all(at(doc, 'Envelope', 'Body', 'ProbeMatches'), 'ProbeMatch').map((m) => ({
      endpoint: textOf(at(m, 'EndpointReference', 'Address')) ?? '',
      xaddrs: words(textOf(at(m, 'XAddrs'))),
      scopes: words(textOf(at(m, 'Scopes'))),
    }));
  } catch {
    return [];
  }
}

/** `onvif://www.onvif.org/name/Gate%20North` → `Gate North`: the friendly name many cameras publish. */
export function scopeValue(scopes: readonly string[], kind: 'name' | 'hardware' | 'location'): string | undefined {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const s = scopes.find((x) => x.startsWith(prefix));
  if (s === undefined) return undefined;
  try {
    return decodeURIComponent(s.slice(prefix.length));
  } catch {
    return s.slice(prefix.length);
  }
}

export interface ProbeTarget {
  address: string;
  port: number;
}

export interface DiscoverOptions {
  /** directed probes to these; empty: one multicast probe to 239.255.255.250:3702 */
  targets: readonly ProbeTarget[];
  /** how long to gather answers */
  timeoutMs: number;
  /** called for each new device as its answer arrives */
  onFound?: (found: Found) => void;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === 'localhost';
}

/**
 * Sends Probes and gathers the answers for `timeoutMs`, one entry per device endpoint.
 * Probing only loopback targets binds loopback only, so a test never sends a datagram beyond this machine.
 */
export async function discover(options: DiscoverOptions): Promise<Found[]> {
  const socket: Socket = createSocket({ type: 'udp4', reuseAddr: false });
  const messageId = `urn:uuid:${randomUUID()}`;
  const found = new Map<string, Found>();
  socket.on('message', (msg, rinfo) => {
    for (const m of parseProbeMatches(msg.toString('utf8'), messageId)) {
      const key = m.endpoint || m.xaddrs.join(' ');
      if (found.has(key)) continue;
      const f = { ...m, from: rinfo.address };
      found.set(key, f);
      options.onFound?.(f);
    }
  });
  socket.on('error', () => undefined);
  const loopbackOnly = options.targets.length > 0 && options.targets.every((t) => isLoopback(t.address));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: loopbackOnly ? '127.0.0.1' : '0.0.0.0', port: 0 }, () => resolve());
  });
  const message = Buffer.from(probeMessage(messageId));
  const send = (port: number, address: string) =>
    new Promise<void>((resolve) => socket.send(message, port, address, () => resolve()));
  try {
    if (options.targets.length === 0) {
      socket.setMulticastTTL(1); // cameras sit on the box's own network segment
      await send(DISCOVERY_PORT, MULTICAST_ADDRESS);
      // UDP may drop a datagram: a second probe halfway makes a missed camera rarer
      setTimeout(() => void send(DISCOVERY_PORT, MULTICAST_ADDRESS), options.timeoutMs / 2).unref();
    } else {
      await Promise.all(options.targets.map((t) => send(t.port, t.address)));
    }
    await new Promise((resolve) => setTimeout(resolve, options.timeoutMs));
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
  return [...found.values()];
}
