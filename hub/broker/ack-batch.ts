// The hub's end-to-end acknowledgements: what names a committed message in a `cmd/ack`, and batching them per ward
// (one `cmd/ack` per ward for many messages), pure and tested by tables.
import { MAX_ACK_IDS, parseTopic, ULID_PATTERN, type AckCommand } from '../../shared/contract/index.js';

/** One committed message as a `cmd/ack` names it: a JSON message by its msgId, a clip chunk by its event and index. */
export type AckItem = { ward: string; msgId: string } | { ward: string; chunk: { eventId: string; n: number } };

const MSG_ID = /"msgId"\s*:\s*"([0-9A-HJKMNP-TV-Z]{26})"/;

/**
 * What the hub acks for a message it committed (or dropped as invalid for good): found from the topic and the raw
 * payload, so a message that failed its schema is acked too (sending it again would not help). Undefined for what
 * no ack can name: a status (not in the outbox), a topic outside the contract, a payload without a msgId.
 */
export function ackItemOf(topic: string, payload: Buffer): AckItem | undefined {
  const parsed = parseTopic(topic);
  if (!parsed || parsed.kind === 'command' || parsed.kind === 'wardStatus' || parsed.kind === 'cameraStatus') return undefined;
  if (parsed.kind === 'clipChunk') return { ward: parsed.ward, chunk: { eventId: parsed.eventId, n: parsed.index } };
  // the msgId is near the start of every message the box writes; a regular expression spares a second JSON.parse
  const found = MSG_ID.exec(payload.toString('utf8', 0, Math.min(payload.length, 4096))) ?? MSG_ID.exec(payload.toString('utf8'));
  return found && ULID_PATTERN.test(found[1]!) ? { ward: parsed.ward, msgId: found[1]! } : undefined;
}

export interface WardAcks {
  ward: string;
  msgIds: string[];
  chunks: { eventId: string; n: number[] }[];
}

interface Pending {
  msgIds: Set<string>;
  chunks: Map<string, Set<number>>;
  count: number;
}

/** Collects acks per ward; a ward's batch is handed back as soon as it holds `max` items, the rest by `take()`. */
export class AckBatch {
  private readonly wards = new Map<string, Pending>();

  constructor(private readonly max: number = MAX_ACK_IDS) {}

  /** Adds one item; returns the ward's batch when it is full (it then starts empty). A repeat is counted once. */
  add(item: AckItem): WardAcks | undefined {
    let p = this.wards.get(item.ward);
    if (!p) this.wards.set(item.ward, (p = { msgIds: new Set(), chunks: new Map(), count: 0 }));
    if ('msgId' in item) {
      if (p.msgIds.has(item.msgId)) return undefined;
      p.msgIds.add(item.msgId);
    } else {
      let set = p.chunks.get(item.chunk.eventId);
      if (!set) p.chunks.set(item.chunk.eventId, (set = new Set()));
      if (set.has(item.chunk.n)) return undefined;
      set.add(item.chunk.n);
    }
    p.count++;
    if (p.count < this.max) return undefined;
    this.wards.delete(item.ward);
    return toWardAcks(item.ward, p);
  }

  /** Items waiting, all wards. */
  get size(): number {
    let n = 0;
    for (const p of this.wards.values()) n += p.count;
    return n;
  }

  /** Every ward's batch so far, and starts empty. */
  take(): WardAcks[] {
    const out = [...this.wards].map(([ward, p]) => toWardAcks(ward, p));
    this.wards.clear();
    return out;
  }
}

function toWardAcks(ward: string, p: Pending): WardAcks {
  return { ward, msgIds: [...p.msgIds], chunks: [...p.chunks].map(([eventId, n]) => ({ eventId, n: [...n] })) };
}

/** The `cmd/ack` payload of one ward's batch. */
export function ackCommand(acks: WardAcks, msgId: string): AckCommand {
  return { msgId, msgIds: acks.msgIds, ...(acks.chunks.length ? { chunks: acks.chunks } : {}) };
}
