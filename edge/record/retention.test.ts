import { describe, expect, it } from 'vitest';
import { bytesToFree, expiredSegments, segmentsToFree, type Protection, type SegmentInfo } from './retention.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;
const seg = (id: number, camera: string, ageDays: number, bytes = 100): SegmentInfo => ({ id, camera, startMs: NOW - ageDays * DAY - 10_000, endMs: NOW - ageDays * DAY, bytes });
const hold = (camera: string, fromAge: number, toAge: number, extra: Partial<Protection> = {}): Protection => ({
  camera, fromMs: NOW - fromAge * DAY - 20_000, toMs: NOW - toAge * DAY + 1, keepUntilMs: null, releasedAt: null, ...extra,
});

describe('expiredSegments', () => {
  const segments = [seg(1, 'a', 40), seg(2, 'a', 31), seg(3, 'a', 29), seg(4, 'b', 31), seg(5, 'b', 61), seg(6, 'a', 45)];
  const days = (c: string) => (c === 'b' ? 60 : 30);
  it.each<[string, Protection[], number[]]>([
    ['deletes what is older than the camera\'s retention (b keeps 60 days)', [], [1, 2, 5, 6]],
    ['keeps segments under an evidence hold', [hold('a', 41, 39)], [2, 5, 6]],
    ['keeps segments an event clip needs until the events\' retention ends', [hold('a', 31, 31, { keepUntilMs: NOW + DAY })], [1, 5, 6]],
    ['deletes them once the event clip\'s retention has passed', [hold('a', 31, 31, { keepUntilMs: NOW - 1 })], [1, 2, 5, 6]],
    ['deletes them once the hold is released', [hold('a', 41, 39, { releasedAt: NOW - DAY })], [1, 2, 5, 6]],
    ['does not let a hold on one camera protect another', [hold('b', 41, 39)], [1, 2, 5, 6]],
    ['keeps a held segment of b', [hold('b', 62, 60)], [1, 2, 6]],
  ])('%s', (_name, protections, expected) => {
    const chosen = expiredSegments(segments, protections, days, NOW).map((s) => s.id);
    expect(chosen.sort()).toEqual(expected.sort());
    expect(chosen).not.toContain(4);
  });
});

describe('segmentsToFree', () => {
  const oldestFirst = [seg(1, 'a', 10, 50), seg(2, 'b', 9, 50), seg(3, 'a', 8, 50), seg(4, 'b', 7, 50)];
  it.each<[string, number, Protection[], number[]]>([
    ['takes the oldest first until enough is freed', 90, [], [1, 2]],
    ['skips held segments', 90, [hold('a', 10, 10)], [2, 3]],
    ['returns less when everything else is held', 500, [hold('a', 11, 7), hold('b', 11, 7)], []],
    ['takes nothing when nothing is needed', 0, [], []],
  ])('%s', (_name, need, protections, expected) => {
    expect(segmentsToFree(oldestFirst, protections, need, NOW).map((s) => s.id)).toEqual(expected);
  });
});

describe('bytesToFree', () => {
  const floor = { floorPercent: 10, floorGb: 20, marginGb: 2 };
  it.each([
    ['a big disk: the 20 GB floor is smaller than 10 %', { freeBytes: 19e9, totalBytes: 4000e9 }, 3e9],
    ['a small disk: 10 % is smaller than 20 GB', { freeBytes: 5e9, totalBytes: 100e9 }, 7e9],
    ['above the floor: nothing', { freeBytes: 21e9, totalBytes: 4000e9 }, 0],
    ['a tiny disk: margin capped at 5 % of it', { freeBytes: 1e6, totalBytes: 64e6 }, 6.4e6 + 3.2e6 - 1e6],
  ])('%s', (_name, disk, expected) => {
    expect(bytesToFree(disk, floor)).toBeCloseTo(expected, -1);
  });
});
