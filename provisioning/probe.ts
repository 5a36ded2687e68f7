// `wardwatch provision probe`: a camera's ONVIF profiles and stream URIs, ffprobe of each stream, and what to fix.
import { EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { CLOCK_SKEW_WARN_MS, clockSkewed } from '../shared/contract/messages.js';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { redactUrl } from '../shared/log.js';
import { deviceServiceUrl } from '../shared/onvif/client.js';
import type { Credentials } from '../shared/onvif/soap.js';
import { credentialsFrom, formatTable, mapLimit, parseCommand, progress } from './cli-util.js';
import { sampleStream, type StreamSample } from './stream-sample.js';
import { explain, pickStreams, surveyDevice, type Survey } from './survey.js';

/** A camera clock further off than this makes recordings and events disagree with the box (the pages warn too). */
export const MAX_CLOCK_SKEW_SECONDS = CLOCK_SKEW_WARN_MS / 1000;

export interface ProbedStream {
  /** ONVIF profile token, or `stream` for a plain RTSP URL */
  profile: string;
  /** without credentials */
  uri: string;
  role: 'main' | 'sub' | 'other';
  sample?: StreamSample;
  error?: string;
}

export interface ProbeReport {
  target: string;
  device?: Omit<Survey, 'profiles'>;
  streams: ProbedStream[];
  warnings: string[];
}

/** What the installer should know before relying on this camera. Pure. */
export function streamWarnings(r: { fromOnvif: boolean; streams: readonly ProbedStream[]; skewMs: number | undefined }): string[] {
  const w: string[] = [];
  if (r.fromOnvif && !r.streams.some((s) => s.role === 'sub')) {
    w.push('no sub stream: detection will decode the main stream (about 4× the CPU); turn on a second stream (~640×360, 5–15 fps) in the camera');
  }
  for (const s of r.streams) {
    if (s.sample && /^(hevc|h265)$/i.test(s.sample.codec)) {
      w.push(`${s.profile} is H.265: recording works, but live view in a browser will transcode it (CPU); H.264 is cheaper for the ${s.role === 'main' ? 'main' : 'sub'} stream`);
    }
  }
  if (r.skewMs !== undefined && clockSkewed(r.skewMs)) {
    const s = r.skewMs / 1000;
    w.push(`camera clock is ${Math.abs(s).toFixed(1)} s ${s > 0 ? 'ahead of' : 'behind'} the box: set NTP on the camera (its overlay time will not match recordings)`);
  }
  return w;
}

function withCredentials(uri: string, c: Credentials | undefined): string {
  if (!c) return uri;
  const u = new URL(uri);
  if (u.username) return uri;
  u.username = encodeURIComponent(c.username);
  u.password = encodeURIComponent(c.password);
  return u.toString();
}

function stripCredentials(uri: string): string {
  try {
    const u = new URL(uri);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return redactUrl(uri);
  }
}

export async function probeCamera(target: string, credentials: Credentials | undefined, sampleSeconds = 2): Promise<ProbeReport> {
  let streams: ProbedStream[];
  let device: Survey | undefined;
  if (/^rtsps?:\/\//i.test(target)) {
    streams = [{ profile: 'stream', uri: stripCredentials(target), role: 'other' }];
    // credentials written in the URL itself are used as given
    credentials = new URL(target).username ? undefined : credentials;
    if (!credentials) streams[0]!.uri = target;
  } else {
    device = await surveyDevice(deviceServiceUrl(target), credentials, { streams: true });
    const picked = pickStreams(device.profiles ?? []);
    streams = (device.profiles ?? []).map((p) => ({ profile: p.token, uri: p.uri, role: p === picked?.main ? 'main' : p === picked?.sub ? 'sub' : 'other' }));
  }
  const tools = streams.length ? await locateFfmpeg() : undefined;
  const bar = progress('streams', streams.length);
  await mapLimit(streams, 4, async (s) => {
    try {
      s.sample = await sampleStream(tools!, withCredentials(s.uri, credentials), sampleSeconds);
    } catch (err) {
      s.error = (err as Error).message;
    }
    s.uri = stripCredentials(s.uri);
    bar.tick(s.profile);
  });
  bar.done();
  const { profiles: _omit, ...deviceOnly } = device ?? { profiles: undefined };
  return {
    target,
    ...(device ? { device: deviceOnly as Omit<Survey, 'profiles'> } : {}),
    streams,
    warnings: streamWarnings({ fromOnvif: device !== undefined && !device.error, streams, skewMs: device?.skewMs }),
  };
}

const fmt = (n: number | undefined, unit = '') => (n === undefined ? '-' : `${n}${unit}`);

const HELP = `wardwatch provision probe <ADDRESS|RTSP-URL> [--user U --password-file F] [--json]

Shows what a camera streams. For an ONVIF ADDRESS (host[:port] or the device service URL): its profiles and
stream URIs, then about 2 s of each stream read with ffprobe: codec, size, fps and bitrate (measured).
For an RTSP URL: that stream only.
Warns when the camera has no sub stream, when a stream is H.265 (live view will transcode it), and when the
camera clock is more than ${MAX_CLOCK_SKEW_SECONDS} s off the box's.
  --user U --password-file F   the camera's login (ONVIF and RTSP); the password is read from file F
  --json                       one JSON object instead of the table
Exit 0 when every stream was read (warnings or not); 1 when the camera or a stream could not be read.`;

export const probeCommand: Command = {
  name: 'probe',
  summary: 'show a camera\'s streams (codec, size, fps, bitrate) and warnings',
  usage: 'wardwatch provision probe <ADDRESS|RTSP-URL> [--user U --password-file F] [--json]',
  async run(args, io: Output) {
    const parsed = parseCommand(args, { user: { type: 'string' }, 'password-file': { type: 'string' }, json: { type: 'boolean' } }, HELP, io, true);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('probe takes exactly one ADDRESS or RTSP URL');
    const credentials = credentialsFrom(values.user, values['password-file'], io);
    const report = await probeCamera(positionals[0]!, credentials);
    const deviceError = report.device?.error;
    const failed = deviceError !== undefined || report.streams.some((s) => s.error) || report.streams.length === 0;
    if (values.json) {
      io.out(JSON.stringify({ ...report, target: redactUrl(report.target), ok: !failed }));
    } else {
      const d = report.device;
      if (d?.info) {
        const skew = d.skewMs === undefined ? '' : `, clock ${d.skewMs >= 0 ? '+' : '-'}${Math.abs(d.skewMs / 1000).toFixed(1)} s`;
        io.out(`${d.address}: ${d.info.manufacturer} ${d.info.model}, firmware ${d.info.firmware}${skew}`);
      }
      if (report.streams.length) {
        const rows = report.streams.map((s) => [
          s.profile,
          s.role,
          s.sample?.codec ?? '-',
          s.sample ? `${fmt(s.sample.width)}x${fmt(s.sample.height)}` : '-',
          fmt(s.sample?.fps),
          s.sample?.bitrateKbps === undefined ? '-' : `${(s.sample.bitrateKbps / 1000).toFixed(2)} Mbit/s`,
          s.error ? `${s.uri}  (${s.error})` : s.uri,
        ]);
        for (const line of formatTable(['profile', 'role', 'codec', 'size', 'fps', 'bitrate', 'uri'], rows)) io.out(line);
      }
    }
    if (deviceError) io.err(`error: ${report.device!.address}: ${explain(deviceError, credentials !== undefined)}`);
    for (const s of report.streams) if (s.error) io.err(`error: ${s.profile}: ${s.error}`);
    for (const w of report.warnings) io.err(`warning: ${w}`);
    return failed ? EXIT.failure : EXIT.ok;
  },
};
