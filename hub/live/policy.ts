// Live relay policy (pure): whether an operator's live view may go to a ward, the relay's URL, and the token check.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface LiveCheckInput {
  wardKnown: boolean;
  /** the ward has reported this camera's status */
  cameraKnown: boolean;
  /** the ward's box that records this camera is online */
  wardOnline: boolean;
  /** relays of this ward open now */
  openForWard: number;
  maxRelaysPerWard: number;
}

export type LiveCheck = { ok: true } | { ok: false; status: 400 | 409 | 429; field: string; code: string; error: string };

const refuse = (status: 400 | 409 | 429, field: string, code: string, error: string): LiveCheck => ({ ok: false, status, field, code, error });

export function checkLive(r: LiveCheckInput): LiveCheck {
  if (!r.wardKnown) return refuse(400, 'ward', 'UNKNOWN_WARD', 'no such ward: use a ward id listed under wards in hub.yaml');
  if (!r.cameraKnown) return refuse(400, 'camera', 'UNKNOWN_CAMERA', "this ward has never reported this camera: pick one of the ward's cameras (see /api/wards)");
  if (!r.wardOnline) return refuse(409, 'ward', 'WARD_OFFLINE', 'the ward box is offline: live view needs it connected to the hub');
  if (r.openForWard >= r.maxRelaysPerWard) {
    return refuse(429, 'ward', 'TOO_MANY_RELAYS', `this ward already sends ${r.openForWard} live views through the hub (at most ${r.maxRelaysPerWard}, remoteAccess.maxRelaysPerWard): close one, or watch on the ward's review page`);
  }
  return { ok: true };
}

/** The WebSocket URL a ward connects out to, from the hub's public http(s) base. */
export function relayUrl(base: string, relayId: string): string {
  const u = new URL(base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/relay/${relayId}`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/** Compares a presented `Authorization: Bearer <token>` header with the relay's token in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer (\S+)$/.exec(header ?? '')?.[1] ?? '';
  // digests have one length, so timingSafeEqual neither throws nor leaks the token's length
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && presented.length > 0;
}
