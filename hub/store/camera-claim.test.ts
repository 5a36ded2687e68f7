import { describe, expect, it } from 'vitest';
import { CAMERA_MOVES_AFTER_MS, cameraClaim, LAST_SEEN_EVERY_MS, lastSeenDue } from './camera-claim.js';

const NOW = 1_764_061_200_000;

describe('cameraClaim', () => {
  it.each([
    ['a camera never heard of joins the box that sends it', undefined, 'dn-1', { ok: true, moved: false }],
    ['its own box goes on sending', { box: 'dn-1', lastSeenAt: NOW - 1_000 }, 'dn-1', { ok: true, moved: false }],
    ['a row from before boxes (no box yet) is taken without a fuss', { box: null, lastSeenAt: NOW - 1_000 }, 'dn-1', { ok: true, moved: false }],
    ['another box of the ward, while the first still sends: refused', { box: 'dn-1', lastSeenAt: NOW - 60_000 }, 'dn-2', { ok: false }],
    ['another box, just before the first has been silent long enough: refused', { box: 'dn-1', lastSeenAt: NOW - CAMERA_MOVES_AFTER_MS + 1 }, 'dn-2', { ok: false }],
    ['another box, once the first has been silent about it for 10 min: the camera moved', { box: 'dn-1', lastSeenAt: NOW - CAMERA_MOVES_AFTER_MS }, 'dn-2', { ok: true, moved: true }],
  ])('%s', (_, held, box, expected) => {
    expect(cameraClaim(held, box, 'cam-01', NOW)).toMatchObject(expected);
  });

  it('names the holder, how long ago it sent, and the fix', () => {
    const claim = cameraClaim({ box: 'dn-1', lastSeenAt: NOW - 42_000 }, 'dn-2', 'cam-01', NOW);
    expect(claim).toEqual({ ok: false, reason: "camera cam-01 belongs to box dn-1 of this ward (it sent data 42 s ago): camera ids must be unique within a ward — rename one in its box's edge.yaml" });
  });
});

describe('lastSeenDue', () => {
  it.each([
    ['never written', undefined, true],
    ['written just now', NOW, false],
    ['written a moment under the grain ago', NOW - LAST_SEEN_EVERY_MS + 1, false],
    ['written a grain ago', NOW - LAST_SEEN_EVERY_MS, true],
    ['written "in the future" (the clock went back)', NOW + 5_000, true],
  ])('%s → %s', (_, writtenAt, due) => {
    expect(lastSeenDue(writtenAt, NOW)).toBe(due);
  });
});
