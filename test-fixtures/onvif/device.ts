// The simulated ONVIF camera: SOAP over HTTP on 127.0.0.1, WS-Security checks, a snapshot JPEG, and its discovery responder.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ONVIF_DEVICE_TYPES, startDiscoveryResponder, type DiscoveryIdentity, type DiscoveryResponder } from './discovery.js';
import {
  actionNotSupported,
  DEFAULT_PROFILES,
  findOperation,
  PRE_AUTH_OPERATIONS,
  type DeviceView,
  type ProfileSpec,
} from './operations.js';
import { envelope, faultStatus, faultXml, parseSoap, SoapParseError, type SoapFault, type SoapMessage } from './soap.js';
import { checkUsernameToken, nonceMemory } from './ws-security.js';
import { DOG_JPG } from '../media/index.js';

export const DEVICE_SERVICE_PATH = '/onvif/device_service';
export const MEDIA_SERVICE_PATH = '/onvif/media_service';
// Like many cameras, either path answers every operation: clients that ignore XAddrs still work.
const SOAP_PATHS = new Set([DEVICE_SERVICE_PATH, MEDIA_SERVICE_PATH]);
const SNAPSHOT_PATH = /^\/onvif\/snapshot\/([A-Za-z0-9_-]+)\.jpg$/;
const MAX_REQUEST_BYTES = 1024 * 1024;

export const DEFAULT_SNAPSHOT_FILE = DOG_JPG;

export interface OnvifDeviceOptions {
  username: string;
  password: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
  /** friendly name, published as the `onvif://www.onvif.org/name/…` scope */
  name?: string;
  /** e.g. `ward-3/junction-12`, published as the location scope */
  location?: string;
  /** RTSP URL per profile token; a profile without one gets `rtsp://127.0.0.1:554/<token>` */
  streams?: Record<string, string>;
  profiles?: readonly ProfileSpec[];
  /** the device clock runs this many seconds ahead of ours (negative: behind) */
  clockSkewSeconds?: number;
  /** how far a token's Created may be from the device clock (default 300 s, as Axis does) */
  tokenToleranceSeconds?: number;
  port?: number;
  /** answer directed WS-Discovery probes (default true) */
  discovery?: boolean;
  discoveryPort?: number;
  snapshotFile?: string;
}

export interface OnvifCall {
  operation: string;
  /** 'ok', or why it was refused */
  outcome: 'ok' | 'not-authorized' | 'not-supported' | 'fault';
}

export interface OnvifDevice {
  /** the device service URL, what discovery publishes as XAddrs */
  url: string;
  mediaUrl: string;
  host: string;
  port: number;
  /** the UDP port of the discovery responder, undefined when discovery is off */
  discoveryPort: number | undefined;
  /** `urn:uuid:…`, the WS-Discovery endpoint reference */
  endpoint: string;
  snapshotUrl(profileToken: string): string;
  setClockSkew(seconds: number): void;
  setStreamUri(profileToken: string, uri: string): void;
  /** every SOAP call answered so far, in order: lets a test see what a client asked */
  calls(): readonly OnvifCall[];
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

function scopeSegment(value: string): string {
  return value.split('/').map(encodeURIComponent).join('/');
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendSoap(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
  res.end(xml);
}

export async function startOnvifDevice(options: OnvifDeviceOptions): Promise<OnvifDevice> {
  const manufacturer = options.manufacturer ?? 'Wardwatch';
  const model = options.model ?? 'SimCam 1';
  const info = {
    manufacturer,
    model,
    firmware: options.firmware ?? '1.0.0',
    serial: options.serial ?? 'SIM-0001',
    hardwareId: options.hardwareId ?? 'SIMHW-1',
  };
  const profiles = options.profiles ?? DEFAULT_PROFILES;
  const streams = new Map(Object.entries(options.streams ?? {}));
  const tolerance = options.tokenToleranceSeconds ?? 300;
  const seenNonce = nonceMemory(tolerance);
  const snapshotFile = options.snapshotFile ?? DEFAULT_SNAPSHOT_FILE;
  const endpoint = `urn:uuid:${randomUUID()}`;
  const scopes = [
    'onvif://www.onvif.org/type/video_encoder',
    'onvif://www.onvif.org/type/Network_Video_Transmitter',
    'onvif://www.onvif.org/Profile/Streaming',
    `onvif://www.onvif.org/name/${scopeSegment(options.name ?? `${manufacturer} ${model}`)}`,
    `onvif://www.onvif.org/hardware/${scopeSegment(model)}`,
    `onvif://www.onvif.org/location/${scopeSegment(options.location ?? 'test-bench')}`,
  ];
  let skewSeconds = options.clockSkewSeconds ?? 0;
  const calls: OnvifCall[] = [];
  let base = '';

  const view = (): DeviceView => ({
    info,
    profiles,
    scopes,
    deviceUrl: `${base}${DEVICE_SERVICE_PATH}`,
    mediaUrl: `${base}${MEDIA_SERVICE_PATH}`,
    now: new Date(Date.now() + skewSeconds * 1000),
    streamUri: (token) => streams.get(token) ?? `rtsp://127.0.0.1:554/${token}`,
    snapshotUri: (token) => `${base}/onvif/snapshot/${token}.jpg`,
  });

  /** One SOAP request in, one status and envelope out. */
  function answer(xml: string): { status: number; xml: string } {
    const fault = (f: SoapFault, operation: string, outcome: OnvifCall['outcome']) => {
      calls.push({ operation, outcome });
      return { status: faultStatus(f), xml: faultXml(f) };
    };
    let request: SoapMessage;
    try {
      request = parseSoap(xml);
    } catch (err) {
      if (!(err instanceof SoapParseError)) throw err;
      return fault({ code: 'Sender', subcodes: ['WellFormed'], reason: err.message }, '(unparsed)', 'fault');
    }
    const { name, namespace } = request.operation;
    const device = view();
    if (!PRE_AUTH_OPERATIONS.has(name)) {
      const token = checkUsernameToken(request.header, {
        credentials: { username: options.username, password: options.password },
        deviceNow: device.now.getTime(),
        toleranceSeconds: tolerance,
        seenNonce,
      });
      // ONVIF Core §5.12.2: a refused token is a Sender fault ter:NotAuthorized over HTTP 400.
      if (!token.ok) {
        return fault({ code: 'Sender', subcodes: ['NotAuthorized'], reason: 'Sender not Authorized' }, name, 'not-authorized');
      }
    }
    const operation = findOperation(name, namespace);
    if (!operation) return fault(actionNotSupported(name, namespace), name, 'not-supported');
    const result = operation(request, device);
    if (typeof result !== 'string') return fault(result, name, 'fault');
    calls.push({ operation: name, outcome: 'ok' });
    return { status: 200, xml: envelope(result) };
  }

  async function serveSnapshot(token: string, res: ServerResponse): Promise<void> {
    if (!profiles.some((p) => p.token === token)) {
      res.writeHead(404).end();
      return;
    }
    const jpeg = await readFile(snapshotFile);
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length });
    res.end(jpeg);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://device');
    const snapshot = SNAPSHOT_PATH.exec(url.pathname);
    if (snapshot?.[1] !== undefined && req.method === 'GET') return serveSnapshot(snapshot[1], res);
    if (!SOAP_PATHS.has(url.pathname)) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { connection: 'close' }).end();
      return;
    }
    const { status, xml } = answer(body);
    sendSoap(res, status, xml);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${HOST}:${port}`;

  let responder: DiscoveryResponder | undefined;
  if (options.discovery !== false) {
    try {
      responder = await startDiscoveryResponder({
        host: HOST,
        port: options.discoveryPort ?? 0,
        identity: (): DiscoveryIdentity => ({
          endpoint,
          types: ONVIF_DEVICE_TYPES,
          scopes,
          xaddrs: [`${base}${DEVICE_SERVICE_PATH}`],
          metadataVersion: 1,
        }),
      });
    } catch (err) {
      server.close();
      throw err;
    }
  }

  return {
    url: `${base}${DEVICE_SERVICE_PATH}`,
    mediaUrl: `${base}${MEDIA_SERVICE_PATH}`,
    host: HOST,
    port,
    discoveryPort: responder?.port,
    endpoint,
    snapshotUrl: (token) => `${base}/onvif/snapshot/${token}.jpg`,
    setClockSkew: (seconds) => {
      skewSeconds = seconds;
    },
    setStreamUri: (token, uri) => {
      streams.set(token, uri);
    },
    calls: () => [...calls],
    async stop() {
      await responder?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Starts `n` devices. Given one set of options, each device gets its own serial and name
 * (`<serial>-<i>`, `<name> <i>`, counting from 1) so that they can be told apart.
 */
export async function startOnvifDevices(
  n: number,
  options: OnvifDeviceOptions | ((index: number) => OnvifDeviceOptions),
): Promise<OnvifDevice[]> {
  const optionsFor = (i: number): OnvifDeviceOptions =>
    typeof options === 'function'
      ? options(i)
      : {
          ...options,
          serial: `${options.serial ?? 'SIM'}-${i + 1}`,
          name: `${options.name ?? 'Wardwatch SimCam'} ${i + 1}`,
        };
  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => startOnvifDevice(optionsFor(i))));
  const devices = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(devices.map((d) => d.stop()));
    throw failed.reason;
  }
  return devices;
}
