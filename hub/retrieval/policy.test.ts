import { describe, expect, it } from 'vitest';
import { afterWardStatus, checkRequest, viewState, type RequestCheckInput } from './policy.js';
import type { StoredRetrievalState } from '../store/retrieval-schema.js';

const NOW = 1_764_061_200_000;
const base: RequestCheckInput = { from: NOW - 60_000, to: NOW, now: NOW, cameraKnown: true, wardKnown: true, openByOperator: 0, maxRetrieveMinutes: 30, maxOpenPerOperator: 3 };

describe('checkRequest', () => {
  it.each<[string, Partial<RequestCheckInput>, string | undefined]>([
    ['a minute of a known camera', {}, undefined],
    ['exactly the longest range', { from: NOW - 30 * 60_000 }, undefined],
    ['an unknown ward', { wardKnown: false }, 'ward:UNKNOWN_WARD'],
    ['a camera the ward never reported', { cameraKnown: false }, 'camera:UNKNOWN_CAMERA'],
    ['an empty range', { to: NOW - 60_000 }, 'to:BAD_RANGE'],
    ['a range in the future', { from: NOW + 1000, to: NOW + 61_000 }, 'from:BAD_RANGE'],
    ['a minute over the longest range', { from: NOW - 31 * 60_000 }, 'to:RANGE_TOO_LONG'],
    ['a fourth open request', { openByOperator: 3 }, 'ward:TOO_MANY_OPEN'],
  ])('%s', (_name, over, expected) => {
    const c = checkRequest({ ...base, ...over });
    expect(c.ok ? undefined : `${c.field}:${c.code}`).toBe(expected);
  });

  it('says how to fix a range that is too long, and answers 429 to one request too many', () => {
    const long = checkRequest({ ...base, from: NOW - 45 * 60_000 });
    expect(long.ok ? '' : long.error).toBe('the range is 45 minutes; at most 30 minutes per request (remoteAccess.maxRetrieveMinutes): split it');
    const many = checkRequest({ ...base, openByOperator: 5 });
    expect(many.ok ? 0 : many.status).toBe(429);
  });
});

describe('afterWardStatus', () => {
  it.each<[StoredRetrievalState, 'cutting' | 'sent' | 'failed', StoredRetrievalState | undefined]>([
    ['requested', 'cutting', 'cutting'],
    ['sent-to-ward', 'cutting', 'cutting'],
    ['cutting', 'sent', 'sent'],
    ['requested', 'sent', 'sent'],
    ['sent', 'cutting', undefined],
    ['cutting', 'cutting', undefined],
    ['cutting', 'failed', 'failed'],
    ['ready', 'failed', undefined],
    ['ready', 'sent', undefined],
    ['failed', 'sent', undefined],
  ])('%s + %s → %s', (current, incoming, expected) => {
    expect(afterWardStatus(current, { state: incoming })).toBe(expected);
  });
});

describe('viewState', () => {
  const receiving = { state: 'receiving' as const, received: 3, chunks: 8 };
  it.each([
    ['requested', undefined, { state: 'requested', progress: null }],
    ['cutting', undefined, { state: 'cutting', progress: null }],
    ['cutting', receiving, { state: 'transferring', progress: { received: 3, total: 8 } }],
    ['sent', undefined, { state: 'transferring', progress: { received: 0, total: 0 } }],
    ['sent', receiving, { state: 'transferring', progress: { received: 3, total: 8 } }],
    ['ready', { state: 'present' as const, received: 8, chunks: 8 }, { state: 'ready', progress: { received: 8, total: 8 } }],
    ['failed', undefined, { state: 'failed', progress: null }],
  ] as const)('%s with transfer %j', (stored, transfer, expected) => {
    expect(viewState(stored, transfer)).toEqual(expected);
  });
});
