// When a message may leave the outbox, and when what the hub has not confirmed is sent again: pure, tested by tables.
import type { DeliveryConfirmation } from '../../shared/contract/index.js';

/** What a PUBACK or a `cmd/ack` says about one outbox row or clip chunk. */
export type DeliverySignal = 'puback' | 'hubAck';

/**
 * Whether a row or chunk leaves the outbox on `signal`. `confirm` is what the hub said in `cmd/delivery`
 * (undefined: it never said, an old hub, whose PUBACK is sent after its commit). `ackable`: the hub can name it in a
 * `cmd/ack` (a row with a msgId, or a clip chunk); anything else can only leave on its PUBACK.
 */
export function leavesOutbox(confirm: DeliveryConfirmation | undefined, ackable: boolean, signal: DeliverySignal): boolean {
  if (signal === 'hubAck') return true;
  return confirm !== 'ack' || !ackable;
}

export interface ResendTiming {
  /** how long the oldest unconfirmed message waits before everything unconfirmed is sent again */
  firstMs: number;
  /** the wait doubles after each resend without progress, up to this */
  maxMs: number;
}

export const RESEND_DEFAULTS: ResendTiming = { firstMs: 30_000, maxMs: 10 * 60_000 };

/** The wait before resend number `attempt` (0 for the first), doubling, capped. */
export function resendDelayMs(attempt: number, timing: ResendTiming = RESEND_DEFAULTS): number {
  return Math.min(timing.maxMs, timing.firstMs * 2 ** Math.min(attempt, 30));
}

/**
 * Whether to send again what the hub has not confirmed: the broker took it (PUBACK) but no `cmd/ack` came, so the
 * broker may have lost it (a crash between autosaves) or the hub may have been down longer than its session.
 * `oldestWaitingSince` is when the oldest unconfirmed message got its PUBACK (undefined: nothing waits).
 */
export function resendDue(now: number, oldestWaitingSince: number | undefined, attempt: number, timing: ResendTiming = RESEND_DEFAULTS): boolean {
  return oldestWaitingSince !== undefined && now - oldestWaitingSince >= resendDelayMs(attempt, timing);
}

/** What the box remembers of the hub's `cmd/delivery` (uplink_state), read back; anything else is "never said". */
export function storedConfirmation(value: string | undefined): DeliveryConfirmation | undefined {
  return value === 'ack' || value === 'puback' ? value : undefined;
}
