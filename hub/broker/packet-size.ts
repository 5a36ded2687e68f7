// Declared MQTT packet sizes, read off the wire as the bytes arrive, and the limits they must meet: aedes' parser
// buffers a packet whole before anyone sees it, so its size is judged from the fixed header instead (pure).
import type { Decision } from './acl.js';

/** Control packet types (the fixed header's high four bits) the limits tell apart, MQTT 3.1.1 §2.2.1. */
export const PacketType = { CONNECT: 1, PUBLISH: 3 } as const;

const TYPE_NAMES = ['reserved(0)', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'reserved(15)'];

export function packetTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

/** Everything a client may send before its login completes: its CONNECT (will and token included: a few hundred
 *  bytes from a box) and anything it pipelines behind it. */
export const LOGIN_MAX_BYTES = 64 * 1024;
/** What a PUBLISH carries besides its payload: topic length (2), topic (a contract topic is under 100 bytes) and
 *  packet id (2). */
export const PUBLISH_OVERHEAD_BYTES = 1024;
/** SUBSCRIBE, UNSUBSCRIBE, acks, pings, DISCONNECT after login: a box's are a few dozen bytes. */
export const CONTROL_MAX_BYTES = 4 * 1024;
/** The remaining length is a varint of at most four bytes (MQTT 3.1.1 §2.2.3). */
const MAX_LENGTH_BYTES = 4;

export interface PacketHeader {
  type: number;
  /** what the header declares is still to come after it */
  remainingLength: number;
  /** the whole packet, header included */
  totalBytes: number;
  /** 0 for the first packet on the connection */
  index: number;
  /** bytes of the connection before this packet */
  offset: number;
}

const ALLOW: Decision = { ok: true };
const refuse = (reason: string): Decision => ({ ok: false, reason });

/** Whether a packet may be read at all, from its header alone. */
export function checkDeclaredSize(header: PacketHeader, limits: { loggedIn: boolean; maxPayloadBytes: number }): Decision {
  const { type, remainingLength, totalBytes, index, offset } = header;
  const name = packetTypeName(type);
  if (type === 0 || type === 15) return refuse(`${name} packet: not MQTT`);
  if (!limits.loggedIn) {
    if (index === 0 && type !== PacketType.CONNECT) return refuse(`first packet is ${name}, not CONNECT`);
    if (offset + totalBytes > LOGIN_MAX_BYTES) {
      return refuse(`${name} declares ${remainingLength} bytes: at most ${LOGIN_MAX_BYTES} bytes may come before login`);
    }
    return ALLOW;
  }
  if (type === PacketType.PUBLISH) {
    const limit = limits.maxPayloadBytes + PUBLISH_OVERHEAD_BYTES;
    return remainingLength <= limit ? ALLOW : refuse(`PUBLISH declares ${remainingLength} bytes: more than maxPayloadBytes ${limits.maxPayloadBytes} + ${PUBLISH_OVERHEAD_BYTES} for its topic`);
  }
  return remainingLength <= CONTROL_MAX_BYTES ? ALLOW : refuse(`${name} declares ${remainingLength} bytes: more than ${CONTROL_MAX_BYTES}`);
}

/**
 * Follows the fixed headers of the back-to-back packets of one stream, whatever the chunking: the type byte and the
 * remaining-length varint are read, `check` judges them, and the body is skipped unread. After a refusal every
 * later chunk is refused too.
 */
export class FixedHeaderReader {
  private phase: 'type' | 'length' | 'body' = 'type';
  private type = 0;
  private length = 0;
  private lengthBytes = 0;
  private bodyLeft = 0;
  private index = 0;
  private offset = 0;
  private packetStart = 0;
  private refused: Decision | undefined;

  constructor(private readonly check: (header: PacketHeader) => Decision) {}

  feed(chunk: Uint8Array): Decision {
    if (this.refused) return this.refused;
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === 'body') {
        const n = Math.min(this.bodyLeft, chunk.length - i);
        i += n;
        this.bodyLeft -= n;
        if (this.bodyLeft === 0) this.nextPacket();
        continue;
      }
      const byte = chunk[i++]!;
      if (this.phase === 'type') {
        this.type = byte >> 4;
        this.length = 0;
        this.lengthBytes = 0;
        this.packetStart = this.offset + i - 1;
        this.phase = 'length';
        continue;
      }
      this.length += (byte & 0x7f) * 128 ** this.lengthBytes;
      this.lengthBytes++;
      if (byte & 0x80) {
        if (this.lengthBytes === MAX_LENGTH_BYTES) return (this.refused = refuse(`${packetTypeName(this.type)} has a remaining length of more than ${MAX_LENGTH_BYTES} bytes: not MQTT`));
        continue;
      }
      const decision = this.check({ type: this.type, remainingLength: this.length, totalBytes: 1 + this.lengthBytes + this.length, index: this.index, offset: this.packetStart });
      if (!decision.ok) return (this.refused = decision);
      this.bodyLeft = this.length;
      if (this.length === 0) this.nextPacket();
      else this.phase = 'body';
    }
    this.offset += chunk.length;
    return ALLOW;
  }

  private nextPacket(): void {
    this.phase = 'type';
    this.index++;
  }
}
