import { describe, expect, it } from 'vitest';
import { minuteAction } from './counts.js';

// msgIds sort by time: OLD < NEW
const OLD = '01JDQ6Z8000000000000000001';
const NEW = '01JDQ6Z8000000000000000002';

describe('minuteAction', () => {
  it.each([
    ['a minute not seen before is written', undefined, OLD, 'write'],
    ['the same message again changes nothing', OLD, OLD, 'duplicate'],
    ['a newer message for the minute replaces it', OLD, NEW, 'replace'],
    ['an older message arriving after a newer one changes nothing', NEW, OLD, 'superseded'],
  ] as const)('%s', (_name, stored, incoming, expected) => {
    expect(minuteAction(stored, incoming)).toBe(expected);
  });
});
