// A small ONVIF Profile S client: device clock (and its skew), device information, media profiles and stream URIs.
// Hand-written over fast-xml-parser rather than the `onvif` npm package: that one is callback-based, pulls in
// a large dependency tree, and stamps WS-Security tokens with OUR clock, which unsynchronised cameras refuse.
import { all, at, attr, escapeXml, NS, OnvifError, securityHeader, soapCall, textOf, type Credentials, type Xml } from './soap.js';

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

export interface MediaProfile {
  token: string;
  name: string;
  /** as the camera names it: H264, H265, JPEG, MPEG4 */
  encoding: string | undefined;
  width: number | undefined;
  height: number | undefined;
  fps: number | undefined;
  bitrateKbps: number | undefined;
}

export interface OnvifClientOptions {
  /** device service URL, e.g. http://192.168.10.11/onvif/device_service */
  url: string;
  credentials?: Credentials | undefined;
  timeoutMs?: number;
  now?: () => number;
}

/** `192.168.1.64`, `192.168.1.64:8080` or a full URL → the device service URL. */
export function deviceServiceUrl(address: string): string {
  if (/^https?:\/\//i.test(address)) return address;
  return `http://${address}/onvif/device_service`;
}

function num(node: Xml | undefined): number | undefined {
  const t = textOf(node);
  if (t === undefined || t === '') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads the UTC time out of a GetSystemDateAndTime answer (ms since epoch), or undefined. */
export function parseDeviceTime(response: Xml): number | undefined {
  const utc = at(response, 'SystemDateAndTime', 'UTCDateTime');
  const [Y, M, D] = ['Year', 'Month', 'Day'].map((k) => num(at(utc, 'Date', k)));
  const [h, m, s] = ['Hour', 'Minute', 'Second'].map((k) => num(at(utc, 'Time', k)));
  if ([Y, M, D, h, m, s].some((v) => v === undefined)) return undefined;
  return Date.UTC(Y!, M! - 1, D!, h!, m!, s!);
}

/**
 * Device clock minus ours (ms) from one GetSystemDateAndTime round trip: the device read its clock somewhere between
 * `sentMs` and `receivedMs`, taken as the midpoint; its answer has whole seconds (cut, not rounded), so the device
 * was on average half a second past what it wrote. Off by at most half the round trip plus half a second.
 */
export function clockSkewMs(deviceMs: number, sentMs: number, receivedMs: number): number {
  return deviceMs + 500 - (sentMs + receivedMs) / 2;
}

export function parseProfiles(response: Xml): MediaProfile[] {
  return all(response, 'Profiles').map((p) => {
    const enc = at(p, 'VideoEncoderConfiguration');
    return {
      token: attr(p, 'token') ?? '',
      name: textOf(at(p, 'Name')) ?? attr(p, 'token') ?? '',
      encoding: textOf(at(enc, 'Encoding')),
      width: num(at(enc, 'Resolution', 'Width')),
      height: num(at(enc, 'Resolution', 'Height')),
      fps: num(at(enc, 'RateControl', 'FrameRateLimit')),
      bitrateKbps: num(at(enc, 'RateControl', 'BitrateLimit')),
    };
  });
}

export class OnvifClient {
  readonly url: string;
  /** device clock minus ours, in ms; known after `connect()` */
  skewMs = 0;
  private mediaUrl: string | undefined;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  private readonly credentials: Credentials | undefined;

  constructor({ url, credentials, timeoutMs, now }: OnvifClientOptions) {
    this.credentials = credentials;
    this.url = url;
    this.timeoutMs = timeoutMs ?? 5000;
    this.now = now ?? Date.now;
  }

  private call(url: string, ns: string, op: string, inner = '', authenticated = true): Promise<Xml> {
    const header = authenticated && this.credentials ? securityHeader(this.credentials, this.now() + this.skewMs) : '';
    const prefix = ns === NS.trt ? 'trt' : 'tds';
    return soapCall(url, `${ns}/${op}`, `<${prefix}:${op}>${inner}</${prefix}:${op}>`, header, this.timeoutMs);
  }

  /**
   * Reads the device clock (the one call a camera answers without credentials) and remembers the skew,
   * so that every token after this is stamped with the device's own time.
   */
  async connect(): Promise<{ skewMs: number }> {
    const sent = this.now();
    const response = await this.call(this.url, NS.tds, 'GetSystemDateAndTime', '', false);
    const received = this.now();
    const device = parseDeviceTime(response);
    if (device === undefined) throw new OnvifError('bad-response', `${this.url} sent no UTC time in GetSystemDateAndTime`);
    this.skewMs = clockSkewMs(device, sent, received);
    return { skewMs: this.skewMs };
  }

  async deviceInformation(): Promise<DeviceInformation> {
    const r = await this.call(this.url, NS.tds, 'GetDeviceInformation');
    const t = (k: string) => textOf(at(r, k)) ?? '';
    return { manufacturer: t('Manufacturer'), model: t('Model'), firmware: t('FirmwareVersion'), serial: t('SerialNumber'), hardwareId: t('HardwareId') };
  }

  /** The media service URL from GetCapabilities, on the host we reached (cameras behind NAT report inner addresses). */
  async media(): Promise<string> {
    if (this.mediaUrl) return this.mediaUrl;
    let url = this.url;
    try {
      const r = await this.call(this.url, NS.tds, 'GetCapabilities', '<tds:Category>Media</tds:Category>');
      const xaddr = textOf(at(r, 'Capabilities', 'Media', 'XAddr'));
      if (xaddr) {
        const reported = new URL(xaddr);
        const reached = new URL(this.url);
        reported.host = reached.host;
        reported.protocol = reached.protocol;
        url = reported.toString();
      }
    } catch (err) {
      // a camera without GetCapabilities usually serves media on the device path
      if (!(err instanceof OnvifError) || err.kind === 'not-authorized' || err.kind === 'unreachable') throw err;
    }
    this.mediaUrl = url;
    return url;
  }

  async profiles(): Promise<MediaProfile[]> {
    return parseProfiles(await this.call(await this.media(), NS.trt, 'GetProfiles'));
  }

  async streamUri(profileToken: string): Promise<string> {
    const setup = '<trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>';
    const r = await this.call(await this.media(), NS.trt, 'GetStreamUri', `${setup}<trt:ProfileToken>${escapeXml(profileToken)}</trt:ProfileToken>`);
    const uri = textOf(at(r, 'MediaUri', 'Uri'));
    if (!uri) throw new OnvifError('bad-response', `no stream URI for profile ${profileToken}`);
    return uri;
  }
}
