// How this hub confirms delivery, told to each ward in a retained `cmd/delivery`: the embedded broker's PUBACK comes
// after the commit; behind an external broker the hub sends `cmd/ack`. A box waits for the one its hub names.
import { monotonicFactory } from 'ulid';
import type { DeliveryCommand, DeliveryConfirmation } from '../../shared/contract/index.js';
import type { Logger } from '../../shared/log.js';

const ulid = monotonicFactory();

export type PublishCommand = (ward: string, name: string, payload: unknown, options?: { retain?: boolean }) => Promise<void>;

/** Publishes the retained `cmd/delivery` of each ward; a failure is logged (the next start or reload says it again). */
export async function announceDelivery(publish: PublishCommand, wards: readonly string[], confirm: DeliveryConfirmation, logger: Logger, now: number = Date.now()): Promise<void> {
  await Promise.all(
    wards.map(async (ward) => {
      const message: DeliveryCommand = { msgId: ulid(now), confirm };
      await publish(ward, 'delivery', message, { retain: true }).catch((err: unknown) => logger.warn({ ward, err }, `could not tell ward ${ward} how the hub confirms delivery: it goes on as before`));
    }),
  );
}
