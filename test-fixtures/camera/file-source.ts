// Any H.264 video file served as a fake camera: what ffprobe says about it, and whether a feeder can send it
// to RTP with `-c copy`. The check is pure; `probeFileSource` wraps ffprobe around it.
import path from 'node:path';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import { probe, type ProbeResult } from '../../shared/ffmpeg/probe.js';

export interface FileSource {
  file: string;
  /** of its first video stream */
  width: number;
  height: number;
  fps: number;
  /** one loop of the camera */
  durationSeconds: number;
  /** kbit/s of the whole file, when ffprobe knows it */
  bitrateKbps: number | undefined;
}

export class FileSourceError extends Error {
  readonly code = 'FILE_NOT_SERVABLE';
}

/** The facts ffprobe gave, in one line a person can check against the file. */
function describe(probed: ProbeResult): string {
  const streams = probed.streams.map((s) =>
    [s.type, s.codec, s.width && s.height ? `${s.width}×${s.height}` : '', s.fps ? `${s.fps} fps` : ''].filter(Boolean).join(' '),
  );
  const duration = probed.durationSeconds === undefined ? 'duration unknown' : `${probed.durationSeconds} s`;
  return `ffprobe: ${streams.join('; ') || 'no streams'}; ${duration}`;
}

/**
 * Whether the file can be a camera: its first video stream must be H.264 (the fake cameras copy it to RTP as
 * is, and their SDP says H264), with a size, a frame rate and a duration to loop. Throws FileSourceError naming
 * the file, the reason, ffprobe's facts and what to do.
 */
export function checkFileSource(file: string, probed: ProbeResult): FileSource {
  const video = probed.streams.find((s) => s.type === 'video');
  const facts = describe(probed);
  const fail = (reason: string, remedy: string): never => {
    throw new FileSourceError(`${path.basename(file)} cannot be served as a camera: ${reason} (${facts}); ${remedy}`);
  };
  const reencode = `re-encode it, e.g. ffmpeg -i ${path.basename(file)} -map 0:v:0 -c:v libx264 -g 30 -an out.mp4`;
  if (!video) return fail('it has no video stream', 'give a video file');
  if (video.codec !== 'h264') {
    return fail(`its video is ${video.codec}, and a fake camera sends H.264 only, copied to RTP without re-encoding`, reencode);
  }
  if (!video.width || !video.height || !video.fps) return fail('ffprobe gives no size or frame rate for its video', reencode);
  if (!probed.durationSeconds || probed.durationSeconds < 0.5) {
    return fail('its duration is unknown or under 0.5 s, and the camera loops it', 'give a file with a known duration (an MP4 written to its end)');
  }
  return {
    file,
    width: video.width,
    height: video.height,
    fps: video.fps,
    durationSeconds: probed.durationSeconds,
    bitrateKbps: probed.bitRate === undefined ? undefined : Math.round(probed.bitRate / 1000),
  };
}

/** Probes a file and checks it (ProbeError if ffprobe cannot read it, FileSourceError if it cannot be served). */
export async function probeFileSource(tools: FfmpegTools, file: string): Promise<FileSource> {
  const resolved = path.resolve(file);
  return checkFileSource(resolved, await probe(tools, resolved));
}
