import { describe, expect, it } from 'vitest';
import { ackCommandSchema } from '../../shared/contract/index.js';
import { ackCommand, ackItemOf, AckBatch } from './ack-batch.js';

const EVENT = '01JDQ6Z7A1B2C3D4E5F6G7H8J9';
const MSG = '01JDQ6Z8X4K3M5N7P9R2S4T6V8';
const MSG2 = '01JDQ6ZC0000000000000000AB';

describe('what the hub acks', () => {
  it.each([
    ['an event', 'wardwatch/v1/p07/events', `{"msgId":"${MSG}","type":"start"}`, { ward: 'p07', msgId: MSG }],
    ['a msgId not first', 'wardwatch/v1/p07/counts', `{"ward":"p07", "msgId" : "${MSG}"}`, { ward: 'p07', msgId: MSG }],
    ['an invalid message that names its msgId', 'wardwatch/v1/p07/sightings', `{"msgId":"${MSG}","bad":true}`, { ward: 'p07', msgId: MSG }],
    ['a clip chunk', `wardwatch/v1/p07/clips/${EVENT}/12`, 'raw bytes', { ward: 'p07', chunk: { eventId: EVENT, n: 12 } }],
    ['a clip manifest', `wardwatch/v1/p07/clips/${EVENT}/manifest`, `{"msgId":"${MSG}"}`, { ward: 'p07', msgId: MSG }],
    ['a status (not in an outbox)', 'wardwatch/v1/p07/status', `{"msgId":"${MSG}"}`, undefined],
    ['a camera status', 'wardwatch/v1/p07/cameras/c1/status', '{}', undefined],
    ['malformed JSON without a msgId', 'wardwatch/v1/p07/events', '{"type":', undefined],
    ['a msgId that is not a ULID', 'wardwatch/v1/p07/events', '{"msgId":"not-a-ulid-at-all-0000000000"}', undefined],
    ['a topic outside the contract', 'elsewhere/p07/events', `{"msgId":"${MSG}"}`, undefined],
  ])('%s', (_name, topic, payload, item) => {
    expect(ackItemOf(topic, Buffer.from(payload))).toEqual(item);
  });
});

describe('ack batches', () => {
  it('hands back a ward\'s batch when it is full, counts a repeat once, and keeps wards apart', () => {
    const batch = new AckBatch(3);
    expect(batch.add({ ward: 'p07', msgId: MSG })).toBeUndefined();
    expect(batch.add({ ward: 'p07', msgId: MSG })).toBeUndefined(); // a repeat
    expect(batch.add({ ward: 'p08', msgId: MSG2 })).toBeUndefined();
    expect(batch.add({ ward: 'p07', chunk: { eventId: EVENT, n: 0 } })).toBeUndefined();
    expect(batch.size).toBe(3);
    const full = batch.add({ ward: 'p07', chunk: { eventId: EVENT, n: 1 } });
    expect(full).toEqual({ ward: 'p07', msgIds: [MSG], chunks: [{ eventId: EVENT, n: [0, 1] }] });
    expect(batch.size).toBe(1);
    expect(batch.take()).toEqual([{ ward: 'p08', msgIds: [MSG2], chunks: [] }]);
    expect(batch.take()).toEqual([]);
  });

  it.each([
    ['ids only', { ward: 'p07', msgIds: [MSG, MSG2], chunks: [] }, { msgIds: [MSG, MSG2] }],
    ['chunks too', { ward: 'p07', msgIds: [], chunks: [{ eventId: EVENT, n: [3, 4] }] }, { msgIds: [], chunks: [{ eventId: EVENT, n: [3, 4] }] }],
  ])('a batch of %s is a valid cmd/ack', (_name, acks, expected) => {
    const cmd = ackCommand(acks, MSG);
    expect(cmd).toEqual({ msgId: MSG, ...expected });
    expect(ackCommandSchema.safeParse(cmd).success).toBe(true);
  });

  it('a full batch of the contract\'s maximum is still a valid cmd/ack', () => {
    const batch = new AckBatch();
    let full;
    for (let i = 0; !full; i++) full = batch.add({ ward: 'p07', chunk: { eventId: EVENT, n: i } });
    expect(full.chunks[0]!.n).toHaveLength(1000);
    expect(ackCommandSchema.safeParse(ackCommand(full, MSG)).success).toBe(true);
  });
});
