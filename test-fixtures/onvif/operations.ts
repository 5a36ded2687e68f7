// The ONVIF operations the simulator answers (device + media, Profile S), as pure functions of the device's state.
import { child, escapeXml as x, NS, text, type SoapFault, type SoapMessage } from './soap.js';

export interface ProfileSpec {
  /** profile token, also the stream name: `main`, `sub` */
  token: string;
  width: number;
  height: number;
  fps: number;
  bitrateKbps: number;
}

export const DEFAULT_PROFILES: readonly ProfileSpec[] = [
  { token: 'main', width: 1280, height: 720, fps: 15, bitrateKbps: 2048 },
  { token: 'sub', width: 640, height: 360, fps: 10, bitrateKbps: 512 },
];

export interface DeviceInfo {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

/** What an operation may read of the device: a snapshot of its state at the time of the request. */
export interface DeviceView {
  info: DeviceInfo;
  profiles: readonly ProfileSpec[];
  scopes: readonly string[];
  deviceUrl: string;
  mediaUrl: string;
  /** the device's clock, skew included */
  now: Date;
  streamUri(token: string): string;
  snapshotUri(token: string): string;
}

/** A response body fragment, or a fault. */
export type OperationResult = string | SoapFault;
type Operation = (request: SoapMessage, device: DeviceView) => OperationResult;

/** The one operation a client may call before it can authenticate: it needs the clock to build a token. */
export const PRE_AUTH_OPERATIONS = new Set(['GetSystemDateAndTime']);

// The single video source every profile is cut from (the widest profile's size).
const VIDEO_SOURCE = 'video_source';

function noProfile(token: string | undefined): SoapFault {
  return { code: 'Sender', subcodes: ['InvalidArgVal', 'NoProfile'], reason: `no profile "${token ?? ''}"` };
}

function findProfile(request: SoapMessage, device: DeviceView): ProfileSpec | SoapFault {
  const token = text(child(request.operation.node, 'ProfileToken'));
  return device.profiles.find((p) => p.token === token) ?? noProfile(token);
}

function sourceSize(device: DeviceView): { width: number; height: number; fps: number } {
  const widest = [...device.profiles].sort((a, b) => b.width - a.width)[0];
  return widest ?? { width: 1280, height: 720, fps: 15 };
}

function dateTimeXml(d: Date): string {
  return (
    `<tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>` +
    `<tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month>` +
    `<tt:Day>${d.getUTCDate()}</tt:Day></tt:Date>`
  );
}

function getSystemDateAndTime(_r: SoapMessage, device: DeviceView): string {
  // Manual, not NTP: a skewed clock is exactly what an unsynchronised camera has.
  return (
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
    `<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
    `<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>` +
    `<tt:UTCDateTime>${dateTimeXml(device.now)}</tt:UTCDateTime>` +
    `<tt:LocalDateTime>${dateTimeXml(device.now)}</tt:LocalDateTime>` +
    `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
  );
}

function getDeviceInformation(_r: SoapMessage, device: DeviceView): string {
  const i = device.info;
  return (
    `<tds:GetDeviceInformationResponse>` +
    `<tds:Manufacturer>${x(i.manufacturer)}</tds:Manufacturer><tds:Model>${x(i.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${x(i.firmware)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${x(i.serial)}</tds:SerialNumber><tds:HardwareId>${x(i.hardwareId)}</tds:HardwareId>` +
    `</tds:GetDeviceInformationResponse>`
  );
}

function deviceCapabilities(device: DeviceView): string {
  return (
    `<tt:Device><tt:XAddr>${x(device.deviceUrl)}</tt:XAddr>` +
    `<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>` +
    `<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>` +
    `<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>` +
    `<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>` +
    `<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>` +
    `<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>` +
    `<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>` +
    `<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>` +
    `<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>` +
    `<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security>` +
    `</tt:Device>`
  );
}

function mediaCapabilities(device: DeviceView): string {
  return (
    `<tt:Media><tt:XAddr>${x(device.mediaUrl)}</tt:XAddr><tt:StreamingCapabilities>` +
    `<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP>` +
    `</tt:StreamingCapabilities></tt:Media>`
  );
}

function getCapabilities(request: SoapMessage, device: DeviceView): OperationResult {
  const category = text(child(request.operation.node, 'Category')) || 'All';
  const parts: string[] = [];
  if (category === 'All' || category === 'Device') parts.push(deviceCapabilities(device));
  if (category === 'All' || category === 'Media') parts.push(mediaCapabilities(device));
  if (parts.length === 0) {
    return { code: 'Receiver', subcodes: ['ActionNotSupported', 'NoSuchService'], reason: 'no such service' };
  }
  return `<tds:GetCapabilitiesResponse><tds:Capabilities>${parts.join('')}</tds:Capabilities></tds:GetCapabilitiesResponse>`;
}

function getServices(request: SoapMessage, device: DeviceView): string {
  const withCapabilities = text(child(request.operation.node, 'IncludeCapability')) === 'true';
  const service = (namespace: string, xaddr: string, capabilities: string): string =>
    `<tds:Service><tds:Namespace>${namespace}</tds:Namespace><tds:XAddr>${x(xaddr)}</tds:XAddr>` +
    (withCapabilities ? `<tds:Capabilities>${capabilities}</tds:Capabilities>` : '') +
    `<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
  return (
    `<tds:GetServicesResponse>` +
    service(NS.tds, device.deviceUrl, `<tds:Capabilities><tds:Network/><tds:Security UsernameToken="true"/><tds:System/></tds:Capabilities>`) +
    service(
      NS.trt,
      device.mediaUrl,
      `<trt:Capabilities SnapshotUri="true" Rotation="false" VideoSourceMode="false" OSD="false">` +
        `<trt:ProfileCapabilities MaximumNumberOfProfiles="${device.profiles.length}"/>` +
        `<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>`,
    ) +
    `</tds:GetServicesResponse>`
  );
}

function getScopes(_r: SoapMessage, device: DeviceView): string {
  const scopes = device.scopes
    .map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${x(s)}</tt:ScopeItem></tds:Scopes>`)
    .join('');
  return `<tds:GetScopesResponse>${scopes}</tds:GetScopesResponse>`;
}

function profileXml(p: ProfileSpec, device: DeviceView, element: string): string {
  const src = sourceSize(device);
  return (
    `<${element} token="${x(p.token)}" fixed="true"><tt:Name>${x(p.token)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="vsc_${x(p.token)}"><tt:Name>vsc_${x(p.token)}</tt:Name>` +
    `<tt:UseCount>1</tt:UseCount><tt:SourceToken>${VIDEO_SOURCE}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${src.width}" height="${src.height}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="venc_${x(p.token)}"><tt:Name>venc_${x(p.token)}</tt:Name>` +
    `<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${p.bitrateKbps}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${p.fps * 2}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>` +
    // The schema requires a multicast block; it only describes, nothing is ever multicast.
    `<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>` +
    `<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>` +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></${element}>`
  );
}

function getProfiles(_r: SoapMessage, device: DeviceView): string {
  const profiles = device.profiles.map((p) => profileXml(p, device, 'trt:Profiles')).join('');
  return `<trt:GetProfilesResponse>${profiles}</trt:GetProfilesResponse>`;
}

function getProfile(request: SoapMessage, device: DeviceView): OperationResult {
  const p = findProfile(request, device);
  if ('code' in p) return p;
  return `<trt:GetProfileResponse>${profileXml(p, device, 'trt:Profile')}</trt:GetProfileResponse>`;
}

function getVideoSources(_r: SoapMessage, device: DeviceView): string {
  const src = sourceSize(device);
  return (
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE}">` +
    `<tt:Framerate>${src.fps}</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${src.width}</tt:Width><tt:Height>${src.height}</tt:Height></tt:Resolution>` +
    `</trt:VideoSources></trt:GetVideoSourcesResponse>`
  );
}

function mediaUri(uri: string): string {
  return (
    `<trt:MediaUri><tt:Uri>${x(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>`
  );
}

function getStreamUri(request: SoapMessage, device: DeviceView): OperationResult {
  const p = findProfile(request, device);
  if ('code' in p) return p;
  const stream = text(child(child(request.operation.node, 'StreamSetup'), 'Stream'));
  if (stream === 'RTP-Multicast') {
    return { code: 'Sender', subcodes: ['InvalidArgVal', 'InvalidStreamSetup'], reason: 'multicast is not supported' };
  }
  return `<trt:GetStreamUriResponse>${mediaUri(device.streamUri(p.token))}</trt:GetStreamUriResponse>`;
}

function getSnapshotUri(request: SoapMessage, device: DeviceView): OperationResult {
  const p = findProfile(request, device);
  if ('code' in p) return p;
  return `<trt:GetSnapshotUriResponse>${mediaUri(device.snapshotUri(p.token))}</trt:GetSnapshotUriResponse>`;
}

const OPERATIONS: Record<string, Record<string, Operation>> = {
  [NS.tds]: {
    GetSystemDateAndTime: getSystemDateAndTime,
    GetDeviceInformation: getDeviceInformation,
    GetCapabilities: getCapabilities,
    GetServices: getServices,
    GetScopes: getScopes,
  },
  [NS.trt]: {
    GetProfiles: getProfiles,
    GetProfile: getProfile,
    GetVideoSources: getVideoSources,
    GetStreamUri: getStreamUri,
    GetSnapshotUri: getSnapshotUri,
  },
};

/**
 * Finds the operation for a request. A request without a namespace is matched by name, to be as
 * tolerant as real cameras; one in a namespace we do not serve (e.g. Media2) is not supported.
 */
export function findOperation(name: string, namespace: string | undefined): Operation | undefined {
  if (namespace !== undefined) return OPERATIONS[namespace]?.[name];
  return OPERATIONS[NS.tds]?.[name] ?? OPERATIONS[NS.trt]?.[name];
}

export function actionNotSupported(name: string, namespace: string | undefined): SoapFault {
  return {
    code: 'Receiver',
    subcodes: ['ActionNotSupported'],
    reason: `action ${namespace ? `${namespace}#` : ''}${name} is not supported`,
  };
}
