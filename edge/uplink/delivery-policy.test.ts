import { describe, expect, it } from 'vitest';
import { leavesOutbox, resendDelayMs, resendDue, storedConfirmation } from './delivery-policy.js';

const timing = { firstMs: 30_000, maxMs: 600_000 };

describe('delivery policy', () => {
  it.each([
    // hub says      ackable  signal     leaves
    [undefined, true, 'puback', true], // an old hub (never said): its PUBACK comes after its commit
    [undefined, false, 'puback', true],
    ['puback', true, 'puback', true], // the embedded broker's fast path
    ['puback', false, 'puback', true],
    ['ack', true, 'puback', false], // behind an external broker the PUBACK only means the broker took it
    ['ack', false, 'puback', true], // nothing a cmd/ack could name: it can only leave on its PUBACK
    ['ack', true, 'hubAck', true],
    ['puback', true, 'hubAck', true], // an ack from the hub is always the hub's word
    [undefined, true, 'hubAck', true],
  ] as const)('hub confirms by %s, ackable %s, on %s: leaves the outbox %s', (confirm, ackable, signal, leaves) => {
    expect(leavesOutbox(confirm, ackable, signal)).toBe(leaves);
  });

  it.each([
    [0, 30_000],
    [1, 60_000],
    [2, 120_000],
    [4, 480_000],
    [5, 600_000], // capped
    [80, 600_000],
  ])('resend number %i waits %i ms', (attempt, ms) => {
    expect(resendDelayMs(attempt, timing)).toBe(ms);
  });

  it.each([
    ['nothing waits', 100_000, undefined, 0, false],
    ['the oldest waited less than the delay', 100_000, 80_001, 0, false],
    ['the oldest waited exactly the delay', 100_000, 70_000, 0, true],
    ['the oldest waited longer', 100_000, 10_000, 0, true],
    ['after one resend the wait doubles', 100_000, 50_000, 1, false],
    ['…and is due once doubled', 120_000, 60_000, 1, true],
  ] as const)('%s: resend due %s', (_name, now, since, attempt, due) => {
    expect(resendDue(now, since, attempt, timing)).toBe(due);
  });

  it.each([
    ['ack', 'ack'],
    ['puback', 'puback'],
    [undefined, undefined],
    ['PUBACK', undefined],
    ['', undefined],
  ] as const)('stored confirmation %s reads back as %s', (stored, confirm) => {
    expect(storedConfirmation(stored)).toBe(confirm);
  });
});
