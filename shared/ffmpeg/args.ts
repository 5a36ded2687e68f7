// Every ffmpeg/ffprobe argument list the product uses, built in one place from the located build's flags.
import type { FfmpegTools } from './locate.js';

const FRAGMENTED_MP4 = 'movflags=+frag_keyframe+empty_moov+default_base_moof';
const QUIET = ['-hide_banner', '-nostdin', '-loglevel', 'error'];

export interface RtspInput {
  /** URL with an IP address (see resolveUrlHost) and credentials */
  url: string;
  /** seconds without data before ffmpeg gives up on the socket */
  timeoutSeconds: number;
}

function rtspInput(tools: FfmpegTools, input: RtspInput): string[] {
  const timeout = String(Math.round(input.timeoutSeconds * 1_000_000)); // microseconds in both flag spellings
  const isRtsp = input.url.startsWith('rtsp://') || input.url.startsWith('rtsps://');
  return [...(isRtsp ? ['-rtsp_transport', 'tcp', tools.rtspTimeoutFlag, timeout] : []), '-i', input.url];
}

export interface RecorderArgs extends RtspInput {
  segmentSeconds: number;
  /**
   * Start writing at the first packet instead of probing the stream for seconds: recording resumes ~2 s sooner
   * after an outage. Needs the stream's parameters in its SDP (sprop-parameter-sets), as most cameras send.
   */
  fastStart?: boolean;
  /** strftime pattern of segment paths, e.g. `/var/lib/wardwatch/rec/cam1/%Y-%m-%d/%H/%M.%S.mp4` */
  pattern: string;
}

/**
 * Recorder: stream copy into fragmented-MP4 segments (readable up to the last fragment after a kill).
 * The closed segments are listed on stdout as CSV (`file,start,end`), the cheapest reliable signal;
 * `-progress` reports on stderr twice a second how much was written, which tells a stall from a pause.
 */
export function recorderArgs(tools: FfmpegTools, o: RecorderArgs): string[] {
  return [
    ...QUIET,
    '-progress', 'pipe:2',
    '-fflags', '+genpts',
    ...(o.fastStart ? ['-probesize', '32', '-analyzeduration', '0'] : []),
    ...rtspInput(tools, o),
    '-map', '0:v:0', '-map', '0:a?',
    '-c', 'copy',
    '-f', 'segment',
    '-segment_time', String(o.segmentSeconds),
    // cut at wall-clock multiples of the segment time: a reconnect's burst (the camera's cached GOP) stays in the
    // first segment, so two segments never open in the same second (their names are whole seconds)
    '-segment_atclocktime', '1',
    '-segment_format', 'mp4',
    '-segment_format_options', FRAGMENTED_MP4,
    '-reset_timestamps', '1',
    '-strftime', '1',
    '-segment_list', 'pipe:1',
    '-segment_list_type', 'csv',
    o.pattern,
  ];
}

export interface FrameReaderArgs extends RtspInput {
  fps: number;
  width: number;
  height: number;
}

/**
 * Frame reader: decodes the sub stream to raw RGB24 frames of a fixed size on stdout. `select` keeps the first
 * frame of each 1/fps slot with its own timestamp (the `fps` filter would re-stamp frames onto its grid), and
 * `showinfo` prints each kept frame's `pts` on stderr (with the time base and the stream's frame rate first), in
 * the order the frames come out: the reader pairs them. One decoder thread: frame threads would hold back a frame
 * per thread, late for no gain on a sub stream.
 */
export function frameReaderArgs(tools: FfmpegTools, o: FrameReaderArgs): string[] {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    '-threads', '1',
    // a short look at the stream before decoding: probing buffers seconds of frames that then come out stale
    '-probesize', '500000', '-analyzeduration', '500000',
    ...rtspInput(tools, o),
    '-an',
    '-vf', `select='isnan(prev_selected_t)+gt(floor(t*${o.fps}),floor(prev_selected_t*${o.fps}))',scale=${o.width}:${o.height},showinfo`,
    // one output frame per kept frame: raw video would otherwise be filled up to the stream's rate by repeats
    '-vsync', 'passthrough',
    '-pix_fmt', 'rgb24',
    '-f', 'rawvideo',
    'pipe:1',
  ];
}

export interface ClipCutArgs {
  /** an ffconcat list file naming the segments in order */
  concatList: string;
  /** seconds from the start of the first listed segment: a keyframe at or before the clip's start */
  keyframeSeconds: number;
  /** seconds from that keyframe to where the clip is to begin */
  leadSeconds: number;
  durationSeconds: number;
  output: string;
}

/**
 * Clip: cut a time range out of recorded segments by stream copy. Copy must start at a keyframe, so it seeks to one
 * (ffmpeg's own seek lands on the *next* keyframe when the target is in a fragmented file's first fragment) and
 * shifts the timestamps back by the lead: the frames before the clip's start get negative times, which the MP4
 * muxer hides with an edit list, so a player shows the first frame at or after the start.
 */
export function clipCutArgs(o: ClipCutArgs): string[] {
  return [
    ...QUIET,
    '-f', 'concat', '-safe', '0',
    ...(o.keyframeSeconds > 0 ? ['-ss', o.keyframeSeconds.toFixed(3)] : []),
    '-i', o.concatList,
    '-t', (o.leadSeconds + o.durationSeconds).toFixed(3),
    '-map', '0:v:0', '-map', '0:a?',
    '-c', 'copy',
    ...(o.leadSeconds > 0 ? ['-output_ts_offset', (-o.leadSeconds).toFixed(3)] : []),
    '-movflags', '+faststart',
    '-f', 'mp4',
    '-y', o.output,
  ];
}

export interface SnapshotArgs {
  input: string;
  offsetSeconds: number;
}

/** Snapshot: one decoded frame of a recorded segment at a time offset, as PNG on stdout (sharp draws on it). */
export function snapshotArgs(o: SnapshotArgs): string[] {
  return [...QUIET, '-ss', o.offsetSeconds.toFixed(3), '-i', o.input, '-frames:v', '1', '-f', 'image2pipe', '-vcodec', 'png', 'pipe:1'];
}

/** Probe: streams and format of a file or URL, as JSON. */
export function probeArgs(input: string, o: { rtspTimeoutSeconds?: number; tools?: FfmpegTools } = {}): string[] {
  const rtsp = input.startsWith('rtsp://')
    ? ['-rtsp_transport', 'tcp', ...(o.tools && o.rtspTimeoutSeconds ? [probeTimeoutFlag(o.tools), String(o.rtspTimeoutSeconds * 1_000_000)] : [])]
    : [];
  return ['-v', 'error', ...rtsp, '-print_format', 'json', '-show_format', '-show_streams', input];
}

function probeTimeoutFlag(tools: FfmpegTools): string {
  return tools.ffprobe.libavformat[0] >= 59 ? '-timeout' : '-stimeout';
}

export interface LiveArgs extends RtspInput {
  /**
   * Re-encode to H.264 for a browser that cannot decode the camera's codec (H.265). Costly (x264 veryfast):
   * the review server allows one at a time.
   */
  transcode?: boolean;
  /** a file instead of a camera (tests of the transcode path): read it at its own pace, looped */
  loopFile?: boolean;
}

/**
 * Live view: the camera stream as fragmented MP4 on stdout for Media Source Extensions, video only, by stream
 * copy; a fragment per keyframe, so every fragment is a place a new viewer can start.
 */
export function liveArgs(tools: FfmpegTools, o: LiveArgs): string[] {
  return [
    ...QUIET,
    // start at the first packet instead of probing for seconds (cameras send SPS/PPS in their SDP)
    '-probesize', '32768', '-analyzeduration', '0',
    ...(o.loopFile ? ['-re', '-stream_loop', '-1', '-i', o.url] : rtspInput(tools, o)),
    '-map', '0:v:0',
    '-an',
    ...(o.transcode
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main', '-pix_fmt', 'yuv420p', '-g', '30', '-threads', '1']
      : ['-c', 'copy']),
    '-f', 'mp4',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
    'pipe:1',
  ];
}

export interface PlaybackArgs {
  /** an ffconcat list file naming consecutive segments (with their durations) */
  concatList: string;
}

/**
 * Playback: consecutive recorded segments joined by stream copy into one continuous fragmented MP4 on stdout
 * (timestamps run on across segment boundaries), video only.
 */
export function playbackArgs(o: PlaybackArgs): string[] {
  return [
    ...QUIET,
    '-f', 'concat', '-safe', '0',
    '-i', o.concatList,
    '-map', '0:v:0',
    '-an',
    '-c', 'copy',
    '-f', 'mp4',
    '-movflags', 'frag_keyframe+empty_moov+default_base_moof',
    'pipe:1',
  ];
}
