import { describe, expect, it } from 'vitest';
import type { BoxHealth } from './health.js';
import { boxHealth, cameraHealth, STALE_AFTER_MS, wardHealth, wardLiveness } from './health.js';

const now = 1_780_000_000_000;

describe('wardLiveness', () => {
  it.each([
    ['never reported', { state: null, updated_at: null }, 'unknown'],
    ['online, fresh', { state: 'online', updated_at: now - 10_000 }, 'online'],
    ['online at the limit', { state: 'online', updated_at: now - STALE_AFTER_MS.ward }, 'online'],
    ['online, quiet too long', { state: 'online', updated_at: now - STALE_AFTER_MS.ward - 1 }, 'stale'],
    ['offline (Last Will)', { state: 'offline', updated_at: now - 10_000 }, 'offline'],
    ['offline long ago', { state: 'offline', updated_at: now - 86_400_000 }, 'offline'],
  ] as const)('%s → %s', (_name, row, expected) => {
    expect(wardLiveness(row, now)).toBe(expected);
  });
});

describe('cameraHealth', () => {
  const status = (state: string) => JSON.stringify({ ward: 'p07', camera: 'c1', state, at: now, lastSegmentAt: now - 5000, gapsToday: 2, bytesPerSecond: 1, detectFps: 5 });
  it.each([
    ['recording, ward online', status('recording'), now - 1000, true, 'recording', true],
    ['stalled', status('stalled'), now - 1000, true, 'stalled', false],
    ['recording but its ward is offline', status('recording'), now - 1000, false, 'unknown', false],
    ['recording but quiet too long', status('recording'), now - STALE_AFTER_MS.camera - 1, true, 'unknown', false],
    ['no status yet', null, null, true, 'unknown', false],
    ['a status that is not JSON', '{', now, true, 'unknown', false],
  ] as const)('%s', (_name, s, updated, wardOnline, state, recording) => {
    expect(cameraHealth({ ward: 'p07', camera: 'c1', last_seen_at: now - 60_000, state: null, status: s, updated_at: updated }, wardOnline, now)).toMatchObject({ state, recording });
  });

  it('passes on the street figures of a box that sends them, and null from an older box', () => {
    const street = JSON.stringify({ ...JSON.parse(status('recording')), sightingsPerMin: 98, alertsPerMin: 2, framesLostPerMin: 40, detectedFps: 2.4, framesSkippedPerMin: 95 });
    const row = (text: string) => ({ ward: 'p07', camera: 'c1', last_seen_at: now, state: null, status: text, updated_at: now });
    expect(cameraHealth(row(street), true, now)).toMatchObject({ sightingsPerMin: 98, alertsPerMin: 2, framesLostPerMin: 40, detectedFps: 2.4, framesSkippedPerMin: 95 });
    expect(cameraHealth(row(status('recording')), true, now)).toMatchObject({ sightingsPerMin: null, alertsPerMin: null, framesLostPerMin: null, detectedFps: null, framesSkippedPerMin: null });
  });
});

describe('clocks on the health board', () => {
  const row = (extra: object) => ({
    ward: 'p07', camera: 'c1', last_seen_at: now, state: null, updated_at: now,
    status: JSON.stringify({ ward: 'p07', camera: 'c1', state: 'recording', at: now, lastSegmentAt: now, gapsToday: 0, bytesPerSecond: 1, detectFps: 5, ...extra }),
  });
  it.each([
    ['a camera 3.2 s ahead', { clockSkewMs: 3200 }, 3200, true],
    ['a camera 2.5 s behind', { clockSkewMs: -2500 }, -2500, true],
    ['a camera 0.3 s off', { clockSkewMs: 300 }, 300, false],
    ['a camera exactly 2 s off (the limit)', { clockSkewMs: 2000 }, 2000, false],
    ['a camera whose clock the box could not read', { clockSkewMs: null }, null, false],
    ['a camera of an older box, which does not say', {}, null, false],
  ] as const)('%s: skew %s, warned %s', (_name, extra, skew, warned) => {
    expect(cameraHealth(row(extra), true, now)).toMatchObject({ clockSkewMs: skew, clockSkewed: warned });
  });

  it.each([
    ['synced', { clock: { ntp: 'synced' } }, 'synced'],
    ['unsynced', { clock: { ntp: 'unsynced' } }, 'unsynced'],
    ['unknown', { clock: { ntp: 'unknown' } }, 'unknown'],
    ['not said by an older box', {}, null],
  ] as const)('passes on the box clock: %s', (_name, extra, want) => {
    const status = JSON.stringify({ state: 'online', ward: 'p07', version: '0.1.0', startedAt: now - 1, at: now, disk: { freeBytes: 10, totalBytes: 20 }, outboxDepth: 0, cameras: { recording: 1, total: 1 }, detector: 'onnx', alarms: [], ...extra });
    expect(boxHealth({ id: 'p07', name: 'P7', last_seen_at: now, state: 'online', status, updated_at: now }, [], now).clockNtp).toBe(want);
  });

  it('knows no box clock of an offline ward', () => {
    expect(boxHealth({ id: 'p07', name: 'P7', last_seen_at: now, state: 'offline', status: '{"state":"offline","ward":"p07"}', updated_at: now }, [], now).clockNtp).toBeNull();
  });
});

describe('wardHealth', () => {
  it('takes the figures from an online status, and none from an offline one', () => {
    const online = JSON.stringify({ state: 'online', ward: 'p07', version: '0.1.0', startedAt: now - 1, at: now, disk: { freeBytes: 10, totalBytes: 20 }, outboxDepth: 4, cameras: { recording: 26, total: 27 }, detector: 'onnx', alarms: ['disk'] });
    expect(boxHealth({ id: 'p07', name: 'P7', last_seen_at: now - 5, state: 'online', status: online, updated_at: now - 1000 }, [], now)).toMatchObject({
      state: 'online',
      online: true,
      diskFreeBytes: 10,
      outboxDepth: 4,
      camerasRecording: 26,
      camerasTotal: 27,
      alarms: ['disk'],
      lastSeenAt: now - 5,
    });
    expect(boxHealth({ id: 'p07', name: 'P7', last_seen_at: null, state: 'offline', status: '{"state":"offline","ward":"p07"}', updated_at: now - 1000 }, [], now)).toMatchObject({
      state: 'offline',
      online: false,
      outboxDepth: null,
      lastSeenAt: now - 1000,
    });
  });
});

describe('wardHealth of its boxes', () => {
  const now = 1_764_061_200_000;
  const box = (id: string, over: Partial<BoxHealth> = {}): BoxHealth => ({
    id, name: id, state: 'online', online: true, lastSeenAt: now - 1000, version: '0.4.0', diskFreeBytes: 50, diskTotalBytes: 100, outboxDepth: 2,
    camerasRecording: 10, camerasTotal: 10, detector: 'yolox-nano', clockNtp: 'synced', alarms: [], cameras: [], ...over,
  });
  const ward = { id: 'duc-nhuan', name: 'Phường Đức Nhuận', last_seen_at: null };

  it.each([
    ['all boxes online: online, figures summed', [box('dn-1'), box('dn-2')], { state: 'online', online: true, outboxDepth: 4, camerasRecording: 20, camerasTotal: 20, alarms: [] }],
    ['one box offline: the ward is offline and the alarm says which', [box('dn-1'), box('dn-2', { state: 'offline', online: false, outboxDepth: null, camerasRecording: null, camerasTotal: null })],
      { state: 'offline', online: false, outboxDepth: 2, camerasRecording: 10, camerasTotal: 10, alarms: ['box dn-2 offline'] }],
    ['one stale, one unknown: stale before unknown', [box('dn-1', { state: 'unknown' }), box('dn-2', { state: 'stale' })], { state: 'stale', online: false }],
    ["a box's alarm names the box; the fullest disk is the ward's", [box('dn-1', { alarms: ['disk nearly full'], diskFreeBytes: 5 }), box('dn-2', { diskFreeBytes: 80 })],
      { alarms: ['dn-1: disk nearly full'], diskFreeBytes: 5, diskTotalBytes: 100 }],
    ['versions and detectors that differ are listed', [box('dn-1'), box('dn-2', { version: '0.3.1', detector: null })], { version: '0.4.0, 0.3.1', detector: 'yolox-nano' }],
    ['an unsynced clock on any box shows', [box('dn-1'), box('dn-2', { clockNtp: 'unsynced' })], { clockNtp: 'unsynced' }],
    ['no boxes: unknown, no figures', [], { state: 'unknown', outboxDepth: null, camerasTotal: null, diskFreeBytes: null }],
  ] as const)('%s', (_, boxes, expected) => {
    expect(wardHealth(ward, [...boxes])).toMatchObject(expected);
  });

  it('a one-box ward (box id = ward id) reads as its box, alarms unprefixed', () => {
    const only = box('p07', { alarms: ['disk nearly full'], state: 'stale', online: false });
    expect(wardHealth({ id: 'p07', name: 'Phường 7', last_seen_at: null }, [only])).toMatchObject({ ...only, name: 'Phường 7', boxes: [only] });
  });
});
