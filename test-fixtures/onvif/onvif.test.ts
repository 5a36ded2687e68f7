// The simulator against a real ONVIF client (npm `onvif`) and raw SOAP / SOAP-over-UDP.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import onvif, { type Cam, type CamProfile, type DeviceInformation, type RequestCallback } from 'onvif';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEVICE,
  DEVICE_SERVICE_PATH,
  passwordDigest,
  sendDirectedProbe,
  startOnvifDevice,
  startOnvifDevices,
  type OnvifDevice,
  type OnvifDeviceOptions,
} from './index.js';

const USER = 'installer';
const PASSWORD = 'correct-horse-9';
const STREAMS = { main: 'rtsp://127.0.0.1:18554/main', sub: 'rtsp://127.0.0.1:18554/sub?x=1&y=2' };

const running: OnvifDevice[] = [];
async function device(options: Partial<OnvifDeviceOptions> = {}): Promise<OnvifDevice> {
  const d = await startOnvifDevice({
    username: USER,
    password: PASSWORD,
    manufacturer: 'Acme',
    model: 'IPC-42',
    firmware: '5.7.1',
    serial: 'SN123',
    hardwareId: 'HW9',
    streams: STREAMS,
    ...options,
  });
  running.push(d);
  return d;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((d) => d.stop()));
});

function connect(d: OnvifDevice, password = PASSWORD): Promise<Cam> {
  return new Promise((resolve, reject) => {
    const cam: Cam = new onvif.Cam(
      { hostname: '127.0.0.1', port: d.port, username: USER, password, path: DEVICE_SERVICE_PATH, timeout: 5000 },
      (err) => (err ? reject(err) : resolve(cam)),
    );
  });
}

/** Wraps one callback-style Cam call in a promise. */
function ask<T>(call: (cb: RequestCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, data) => (err ? reject(err) : resolve(data as T))));
}

/** A SOAP request built by hand, with a UsernameToken stamped at `createdMs` (omitted when null). */
function soapRequest(body: string, token: { createdMs: number; nonce?: Buffer; password?: string } | null): string {
  let security = '';
  if (token) {
    const nonce = token.nonce ?? randomBytes(16);
    const created = new Date(token.createdMs).toISOString();
    security =
      `<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"` +
      ` xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
      `<wsse:UsernameToken><wsse:Username>${USER}</wsse:Username>` +
      `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">` +
      `${passwordDigest(nonce, created, token.password ?? PASSWORD)}</wsse:Password>` +
      `<wsse:Nonce>${nonce.toString('base64')}</wsse:Nonce><wsu:Created>${created}</wsu:Created>` +
      `</wsse:UsernameToken></wsse:Security>`;
  }
  return (
    `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>${security}</s:Header>` +
    `<s:Body>${body}</s:Body></s:Envelope>`
  );
}

async function post(d: OnvifDevice, xml: string, url = d.url): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/soap+xml' }, body: xml });
  return { status: res.status, text: await res.text() };
}

const GET_DEVICE_INFORMATION = '<GetDeviceInformation xmlns="http://www.onvif.org/ver10/device/wsdl"/>';

describe('ONVIF device service', () => {
  it('serves device information, both profiles, their stream URIs and a snapshot to the npm onvif client', async () => {
    const d = await device();
    const cam = await connect(d);

    const info = await ask<DeviceInformation>((cb) => cam.getDeviceInformation(cb));
    expect(info).toMatchObject({ manufacturer: 'Acme', model: 'IPC-42', firmwareVersion: '5.7.1', serialNumber: 'SN123', hardwareId: 'HW9' });

    const profiles = await ask<CamProfile[]>((cb) => cam.getProfiles(cb));
    const summary = profiles.map((p) => ({
      token: (p.$ as { token: string }).token,
      encoding: p.videoEncoderConfiguration.encoding as string,
      size: p.videoEncoderConfiguration.resolution as { width: number; height: number },
    }));
    expect(summary).toEqual([
      { token: 'main', encoding: 'H264', size: { width: 1280, height: 720 } },
      { token: 'sub', encoding: 'H264', size: { width: 640, height: 360 } },
    ]);

    const main = await ask<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'main' }, cb));
    const sub = await ask<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'sub' }, cb));
    expect([main.uri, sub.uri]).toEqual([STREAMS.main, STREAMS.sub]);

    const snapshot = await ask<{ uri: string }>((cb) => cam.getSnapshotUri({ profileToken: 'main' }, cb));
    expect(snapshot.uri).toBe(d.snapshotUrl('main'));
    const res = await fetch(snapshot.uri);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await res.arrayBuffer());
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));

    expect(d.calls()[0]).toEqual({ operation: 'GetSystemDateAndTime', outcome: 'ok' });
  });

  it('hands out a stream URI changed at run time', async () => {
    const d = await device();
    d.setStreamUri('main', 'rtsp://127.0.0.1:19999/moved');
    const cam = await connect(d);
    const main = await ask<{ uri: string }>((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'main' }, cb));
    expect(main.uri).toBe('rtsp://127.0.0.1:19999/moved');
  });

  it('refuses a wrong password with ter:NotAuthorized', async () => {
    const d = await device();
    await expect(connect(d, 'wrong-password')).rejects.toThrow(/not Authorized/i);
    expect(d.calls().some((c) => c.outcome === 'not-authorized')).toBe(true);

    const res = await post(d, soapRequest(GET_DEVICE_INFORMATION, { createdMs: Date.now(), password: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('ter:NotAuthorized');
  });

  it('refuses a request without a UsernameToken, but tells anyone the time', async () => {
    const d = await device();
    const refused = await post(d, soapRequest(GET_DEVICE_INFORMATION, null));
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('ter:NotAuthorized');

    const time = await post(d, soapRequest('<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>', null));
    expect(time.status).toBe(200);
    expect(time.text).toContain('UTCDateTime');
  });

  it('refuses a replayed nonce', async () => {
    const d = await device();
    const xml = soapRequest(GET_DEVICE_INFORMATION, { createdMs: Date.now(), nonce: randomBytes(16) });
    expect((await post(d, xml)).status).toBe(200);
    expect((await post(d, xml)).status).toBe(400);
  });

  it('shows its clock skew, and judges tokens by its own clock', async () => {
    const d = await device({ clockSkewSeconds: 3600 });
    const cam = await connect(d); // the client learns the device clock first, so its tokens are accepted
    const deviceTime = await ask<Date>((cb) => cam.getSystemDateAndTime(cb));
    expect(deviceTime.getTime() - Date.now()).toBeGreaterThan(3600_000 - 3000);
    expect(deviceTime.getTime() - Date.now()).toBeLessThan(3600_000 + 3000);
    await expect(ask((cb) => cam.getDeviceInformation(cb))).resolves.toBeDefined();

    // A token stamped with our own clock is an hour old to this device.
    const stale = await post(d, soapRequest(GET_DEVICE_INFORMATION, { createdMs: Date.now() }));
    expect(stale.status).toBe(400);
    const skewed = await post(d, soapRequest(GET_DEVICE_INFORMATION, { createdMs: Date.now() + 3600_000 }));
    expect(skewed.status).toBe(200);

    d.setClockSkew(-120);
    const later = await ask<Date>((cb) => cam.getSystemDateAndTime(cb));
    expect(Math.abs(later.getTime() - (Date.now() - 120_000))).toBeLessThan(3000);
  });

  it('answers every operation on either service path', async () => {
    const d = await device();
    const res = await post(d, soapRequest(GET_DEVICE_INFORMATION, { createdMs: Date.now() }), d.mediaUrl);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<tds:SerialNumber>SN123</tds:SerialNumber>');
  });

  it('answers an unknown action, or a Media2 one, with ActionNotSupported', async () => {
    const d = await device();
    for (const body of [
      '<SetFlux xmlns="http://www.onvif.org/ver10/device/wsdl"/>',
      '<GetProfiles xmlns="http://www.onvif.org/ver20/media/wsdl"><Type>All</Type></GetProfiles>',
    ]) {
      const res = await post(d, soapRequest(body, { createdMs: Date.now() }));
      expect(res.status).toBe(500);
      expect(res.text).toContain('ter:ActionNotSupported');
    }
  });

  it('answers XML that is not well-formed with a Sender fault', async () => {
    const d = await device();
    const res = await post(d, '<s:Envelope><s:Body><oops></s:Body>');
    expect(res.status).toBe(400);
    expect(res.text).toContain('ter:WellFormed');
  });

  it('faults a stream URI request for an unknown profile', async () => {
    const d = await device();
    const body =
      '<GetStreamUri xmlns="http://www.onvif.org/ver10/media/wsdl"><ProfileToken>third</ProfileToken></GetStreamUri>';
    const res = await post(d, soapRequest(body, { createdMs: Date.now() }), d.mediaUrl);
    expect(res.status).toBe(400);
    expect(res.text).toContain('ter:NoProfile');
  });
});

describe('WS-Discovery responder', () => {
  it('answers a directed probe with its endpoint, types, scopes and device service XAddr', async () => {
    const d = await device({ name: 'Gate North', location: 'ward-3/junction-12' });
    expect(d.discoveryPort).toBeGreaterThan(0);
    const matches = await sendDirectedProbe('127.0.0.1', d.discoveryPort!, 500);
    expect(matches).toHaveLength(1);
    const [m] = matches;
    expect(m).toMatchObject({ endpoint: d.endpoint, xaddrs: [d.url], from: { address: '127.0.0.1', port: d.discoveryPort } });
    expect(m!.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(m!.types).toEqual(['dn:NetworkVideoTransmitter', 'tds:Device']);
    expect(m!.scopes).toEqual(
      expect.arrayContaining([
        'onvif://www.onvif.org/name/Gate%20North',
        'onvif://www.onvif.org/hardware/IPC-42',
        'onvif://www.onvif.org/location/ward-3/junction-12',
      ]),
    );
  });

  it('answers a probe for tds:Device, and stays silent for a type it is not', async () => {
    const d = await device();
    expect(await sendDirectedProbe('127.0.0.1', d.discoveryPort!, 300, [DEVICE])).toHaveLength(1);
    const printer = { namespace: 'http://schemas.microsoft.com/windows/2006/08/wdp/print', local: 'PrintDeviceType' };
    expect(await sendDirectedProbe('127.0.0.1', d.discoveryPort!, 300, [printer])).toEqual([]);
  });

  it('answers a probe written the way the npm onvif library writes it (default namespaces, empty Scopes)', async () => {
    const d = await device();
    const messageId = 'urn:uuid:11111111-2222-3333-4444-555555555555';
    const probe =
      '<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
      '<Header><wsa:MessageID xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">' + messageId + '</wsa:MessageID>' +
      '<wsa:Action xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action>' +
      '</Header><Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery">' +
      '<Types>dn:NetworkVideoTransmitter</Types><Scopes /></Probe></Body></Envelope>';
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const reply = new Promise<string>((resolve) => socket.once('message', (msg) => resolve(msg.toString('utf8'))));
    socket.send(probe, d.discoveryPort!, '127.0.0.1');
    const xml = await reply;
    socket.close();
    expect(xml).toContain(`<wsa:RelatesTo>${messageId}</wsa:RelatesTo>`);
    expect(xml).toContain(`<wsd:XAddrs>${d.url}</wsd:XAddrs>`);
  });

  it('starts several devices that each answer for themselves', async () => {
    const devices = await startOnvifDevices(3, { username: USER, password: PASSWORD, serial: 'WARD3' });
    running.push(...devices);
    const found = await Promise.all(devices.map((d) => sendDirectedProbe('127.0.0.1', d.discoveryPort!, 300)));
    expect(found.map((f) => f[0]?.xaddrs[0])).toEqual(devices.map((d) => d.url));
    expect(new Set(devices.map((d) => d.endpoint)).size).toBe(3);

    const cam = await connect(devices[2]!);
    const info = await ask<DeviceInformation>((cb) => cam.getDeviceInformation(cb));
    expect(info.serialNumber).toBe('WARD3-3');
  });
});
