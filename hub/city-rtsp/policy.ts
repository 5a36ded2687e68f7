// The city's RTSP policy (pure): whether a new connection is let in, and which RTSP status answers a live relay the
// hub could not open (the reason goes in the body, naming the field as the live view's API does).
import type { LiveCheck } from '../live/policy.js';

export interface ConnectionCounts {
  /** connections open now, in all and from this address */
  open: number;
  fromAddress: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** undefined: let it in; else why not (for the log: the client gets no RTSP answer, only a closed socket). */
export function refuseConnection(c: ConnectionCounts): string | undefined {
  if (c.open >= c.maxConnections) return `${c.open} RTSP connections open, at most ${c.maxConnections} (cityRtsp.maxConnections)`;
  if (c.fromAddress >= c.maxConnectionsPerAddress) return `${c.fromAddress} RTSP connections from this address, at most ${c.maxConnectionsPerAddress} (cityRtsp.maxConnectionsPerAddress)`;
  return undefined;
}

/** A relay refused by LiveRelays as an RTSP answer: unknown camera 404, the ward's limit 453 (RFC 2326 Not Enough Bandwidth), else 503. */
export function rtspRefusal(r: Extract<LiveCheck, { ok: false }>): { status: 404 | 453 | 503; body: string } {
  const status = r.status === 400 ? 404 : r.status === 429 ? 453 : 503;
  return { status, body: `${r.field}: ${r.error}` };
}
