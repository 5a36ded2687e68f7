import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnvifDevices, type OnvifDevice } from '../../test-fixtures/onvif/index.js';
import { clockSkewMs, deviceServiceUrl, OnvifClient, parseDeviceTime } from './client.js';
import { discover, parseProbeMatches, probeMessage, scopeValue } from './discovery.js';
import { OnvifError, parseXml } from './soap.js';

const creds = { username: 'admin', password: 'right-pass' };
let devices: OnvifDevice[];

beforeAll(async () => {
  devices = await startOnvifDevices(3, { ...creds, manufacturer: 'Acme', model: 'IPC-42', firmware: '5.7.1', streams: { main: 'rtsp://127.0.0.1:9/main', sub: 'rtsp://127.0.0.1:9/sub' } });
});
afterAll(async () => {
  await Promise.all(devices.map((d) => d.stop()));
});

describe('ONVIF client', () => {
  it('reads device information, profiles and stream URIs with a PasswordDigest token', async () => {
    const c = new OnvifClient({ url: devices[0]!.url, credentials: creds });
    await c.connect();
    expect(await c.deviceInformation()).toMatchObject({ manufacturer: 'Acme', model: 'IPC-42', firmware: '5.7.1' });
    const profiles = await c.profiles();
    expect(profiles.map((p) => [p.token, p.width, p.height, p.encoding])).toEqual([
      ['main', 1280, 720, 'H264'],
      ['sub', 640, 360, 'H264'],
    ]);
    expect(await c.streamUri('sub')).toBe('rtsp://127.0.0.1:9/sub');
  });

  it('stamps its tokens with the device clock, so a camera an hour ahead still accepts them, and measures the skew', async () => {
    const d = devices[1]!;
    d.setClockSkew(3600);
    try {
      const c = new OnvifClient({ url: d.url, credentials: creds });
      const { skewMs } = await c.connect();
      expect(Math.abs(skewMs - 3_600_000)).toBeLessThan(1600);
      expect((await c.deviceInformation()).model).toBe('IPC-42');
    } finally {
      d.setClockSkew(0);
    }
  });

  it('reports a wrong password as not-authorized', async () => {
    const c = new OnvifClient({ url: devices[2]!.url, credentials: { username: 'admin', password: 'wrong' } });
    await c.connect();
    await expect(c.deviceInformation()).rejects.toMatchObject({ kind: 'not-authorized' });
  });

  it('reports an address where nothing listens as unreachable', async () => {
    const c = new OnvifClient({ url: 'http://127.0.0.1:9/onvif/device_service', timeoutMs: 2000 });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnvifError);
    expect((err as OnvifError).kind).toBe('unreachable');
  });

  it.each([
    ['192.168.1.64', 'http://192.168.1.64/onvif/device_service'],
    ['192.168.1.64:8080', 'http://192.168.1.64:8080/onvif/device_service'],
    ['http://10.0.0.2/onvif/dev', 'http://10.0.0.2/onvif/dev'],
  ])('turns %s into the device service URL', (a, url) => expect(deviceServiceUrl(a)).toBe(url));

  it.each([
    // device answer (whole s), sent, received → skew
    ['in step, an instant round trip, read just as the second began', 10_000, 10_000, 10_000, 500],
    ['in step, a 200 ms round trip', 10_000, 9_900, 10_100, 500],
    ['3.2 s ahead, read mid-second', 13_000, 9_700, 9_900, 3_700],
    ['an hour behind', 10_000 - 3_600_000, 10_000, 10_400, -3_600_000 + 300],
    ['a camera whose clock was reset to 1970', 0, 1_780_000_000_000, 1_780_000_000_010, -1_780_000_000_000 + 495],
  ])('measures the clock skew of a camera %s', (_name, device, sent, received, skew) => {
    expect(clockSkewMs(device, sent, received)).toBe(skew);
  });

  it('reads the UTC time of a GetSystemDateAndTime answer, and nothing from an incomplete one', () => {
    const xml = (second: string) =>
      `<SystemDateAndTime><UTCDateTime><Time><Hour>1</Hour><Minute>2</Minute>${second}</Time><Date><Year>2024</Year><Month>2</Month><Day>29</Day></Date></UTCDateTime></SystemDateAndTime>`;
    expect(parseDeviceTime(parseXml(xml('<Second>3</Second>')))).toBe(Date.UTC(2024, 1, 29, 1, 2, 3));
    expect(parseDeviceTime(parseXml(xml('')))).toBeUndefined();
  });
});

describe('WS-Discovery', () => {
  it('finds every device a directed probe reaches, once each, with its XAddrs and name scope', async () => {
    const found = await discover({ targets: devices.map((d) => ({ address: '127.0.0.1', port: d.discoveryPort! })), timeoutMs: 500 });
    expect(found.map((f) => f.xaddrs[0]).sort()).toEqual(devices.map((d) => d.url).sort());
    expect(found.map((f) => scopeValue(f.scopes, 'name')).sort()).toEqual(['Wardwatch SimCam 1', 'Wardwatch SimCam 2', 'Wardwatch SimCam 3']);
  });

  it('ignores answers to another probe', () => {
    expect(parseProbeMatches(probeMessage('urn:uuid:a'), 'urn:uuid:a')).toEqual([]);
    expect(parseProbeMatches('not xml <', 'x')).toEqual([]);
  });
});
