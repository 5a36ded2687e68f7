// Samples a camera stream with ffprobe for ~2 s: codec and size from the stream, fps and bitrate measured from packets.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FfmpegTools } from '../shared/ffmpeg/locate.js';
import { parseProbe } from '../shared/ffmpeg/probe.js';
import { resolveUrlHost } from '../shared/ffmpeg/resolve.js';
import { redactUrl } from '../shared/log.js';

const run = promisify(execFile);

export interface StreamSample {
  codec: string;
  width: number | undefined;
  height: number | undefined;
  /** measured from packet timestamps; falls back to the stream's declared rate */
  fps: number | undefined;
  /** measured from packet sizes over the sample */
  bitrateKbps: number | undefined;
}

interface RawPackets {
  packets?: { stream_index?: number; size?: string; pts_time?: string }[];
  streams?: { index?: number; codec_type?: string }[];
}

/** Turns ffprobe's JSON (streams + packets) into one sample of the first video stream. Pure; exported for tests. */
export function parseSample(json: string): StreamSample | undefined {
  const probe = parseProbe(json);
  const raw = JSON.parse(json) as RawPackets;
  const videoIndex = (raw.streams ?? []).findIndex((s) => s.codec_type === 'video');
  const video = probe.streams[videoIndex];
  if (videoIndex < 0 || !video) return undefined;
  const index = raw.streams?.[videoIndex]?.index ?? videoIndex;
  const packets = (raw.packets ?? []).filter((p) => (p.stream_index ?? index) === index);
  const times = packets.map((p) => Number(p.pts_time)).filter(Number.isFinite);
  const span = times.length > 1 ? Math.max(...times) - Math.min(...times) : 0;
  // n timestamps span n-1 frame intervals; the bytes of n packets cover n intervals' worth of video
  const fps = span > 0.2 ? Math.round(((times.length - 1) / span) * 10) / 10 : video.fps;
  const bytes = packets.reduce((sum, p) => sum + (Number(p.size) || 0), 0);
  const bitrateKbps = span > 0.2 ? Math.round((bytes * 8) / ((span * times.length) / (times.length - 1)) / 1000) : undefined;
  return { codec: video.codec, width: video.width, height: video.height, fps, bitrateKbps };
}

export class SampleError extends Error {}

/**
 * `url` may carry credentials: they go to ffprobe only, and every message is redacted. The argument list is built
 * here rather than in shared/ffmpeg/args.ts because only the installer samples packets.
 */
export async function sampleStream(tools: FfmpegTools, url: string, seconds = 2, timeoutSeconds = 10): Promise<StreamSample> {
  let input: string;
  try {
    input = await resolveUrlHost(url);
  } catch (err) {
    throw new SampleError(`cannot resolve the host of ${redactUrl(url)} (${(err as Error).message})`);
  }
  const args = [
    '-hide_banner', '-v', 'error',
    // the socket timeout flag follows ffprobe's own build, which may differ from ffmpeg's
    ...(input.startsWith('rtsp') ? ['-rtsp_transport', 'tcp', tools.ffprobe.libavformat[0] >= 59 ? '-timeout' : '-stimeout', String(timeoutSeconds * 1_000_000)] : []),
    '-read_intervals', `%+${seconds}`,
    '-select_streams', 'v:0',
    '-show_entries', 'stream=index,codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate:packet=stream_index,size,pts_time',
    '-of', 'json',
    input,
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(tools.ffprobe.path, args, { timeout: (timeoutSeconds + seconds + 10) * 1000, maxBuffer: 16 * 1024 * 1024 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string; killed?: boolean };
    const why = e.killed ? 'timed out' : (e.stderr || e.message).trim().split('\n').slice(-1)[0];
    throw new SampleError(`ffprobe could not read ${redactUrl(url)}: ${redactUrl(why ?? '')}`);
  }
  const sample = parseSample(stdout);
  if (!sample) throw new SampleError(`${redactUrl(url)} has no video stream`);
  return sample;
}
