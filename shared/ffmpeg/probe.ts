// ffprobe wrapper: what a segment, clip or camera stream holds (codec, size, fps, duration, bitrate).
import { probeArgs } from './args.js';
import { FfmpegJobError, runJob } from './job.js';
import type { FfmpegTools } from './locate.js';
import { redactUrl } from '../log.js';

export interface ProbedStream {
  type: 'video' | 'audio' | 'other';
  codec: string;
  width?: number;
  height?: number;
  /** frames per second from r_frame_rate, e.g. 15 */
  fps?: number;
}

export interface ProbeResult {
  durationSeconds: number | undefined;
  bytes: number | undefined;
  bitRate: number | undefined;
  streams: ProbedStream[];
}

interface RawProbe {
  format?: { duration?: string; size?: string; bit_rate?: string };
  streams?: { codec_type?: string; codec_name?: string; width?: number; height?: number; r_frame_rate?: string; avg_frame_rate?: string }[];
}

function rate(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [num, den] = text.split('/').map(Number);
  if (!num || !den) return undefined;
  return Math.round((num / den) * 100) / 100;
}

const num = (s: string | undefined): number | undefined => (s === undefined || s === 'N/A' ? undefined : Number(s));

export function parseProbe(json: string): ProbeResult {
  const raw = JSON.parse(json) as RawProbe;
  return {
    durationSeconds: num(raw.format?.duration),
    bytes: num(raw.format?.size),
    bitRate: num(raw.format?.bit_rate),
    streams: (raw.streams ?? []).map((s) => ({
      type: s.codec_type === 'video' || s.codec_type === 'audio' ? s.codec_type : 'other',
      codec: s.codec_name ?? 'unknown',
      ...(s.width ? { width: s.width } : {}),
      ...(s.height ? { height: s.height } : {}),
      ...(s.codec_type === 'video' ? { fps: rate(s.avg_frame_rate) ?? rate(s.r_frame_rate) } : {}),
    })),
  };
}

export class ProbeError extends Error {
  readonly code = 'PROBE_FAILED';
}

/** Probes a file or an RTSP URL (with an IP host). Rejects with ProbeError carrying ffprobe's own message. */
export async function probe(tools: FfmpegTools, input: string, timeoutSeconds = 15): Promise<ProbeResult> {
  try {
    const stdout = await runJob(tools.ffprobe.path, probeArgs(input, { tools, rtspTimeoutSeconds: timeoutSeconds }), {
      timeoutMs: timeoutSeconds * 1000 + 2000,
      maxStdoutBytes: 4 * 1024 * 1024,
    });
    return parseProbe(stdout.toString('utf8'));
  } catch (err) {
    const why = err instanceof FfmpegJobError && err.lastLine ? err.lastLine : (err as Error).message;
    // the message may be shown or logged anywhere: never with the camera's password in it
    throw new ProbeError(redactUrl(`ffprobe could not read ${input}: ${why.trim().split('\n').slice(-1)[0]}`));
  }
}
