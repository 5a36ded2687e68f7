// Ground truth for a recorded segment of a fake camera: which scene frame it starts with (found by its packet
// sizes, which survive RTP → RTSP → `-c copy` → MP4 byte for byte) and when the camera's feeder received its
// first frame and the frame after its last. Tests compare a recorder's segment index with it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FakeCamera } from './camera.js';
import type { GroundTruth, StreamName } from './scenes.js';
import { RTP_CLOCK_HZ, type TimelineView } from './timeline.js';

const run = promisify(execFile);

/** Fewer packet sizes than this could match a scene by chance. */
export const MIN_FINGERPRINT_PACKETS = 4;

export type SegmentTruthCode = 'SEGMENT_TOO_SHORT' | 'NO_MATCH' | 'AMBIGUOUS' | 'NO_TIMELINE';

export class SegmentTruthError extends Error {
  constructor(
    readonly code: SegmentTruthCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SegmentTruth {
  /** wall-clock ms when the feeder received the segment's first frame */
  startMs: number;
  /** wall-clock ms when it received the frame after the segment's last (the end of its display interval) */
  endMs: number;
  /** video packets in the segment */
  frames: number;
  /** index in the scene file of the segment's first frame */
  sceneFrame: number;
  /** which scene loop of the feeder's run (0 = the first) and which feeder run (`feeder.runs`) it was */
  loop: number;
  run: number;
}

export interface SegmentTruthOptions {
  ffprobePath: string;
  camera: FakeCamera<GroundTruth | undefined>;
  stream: StreamName;
  /** the recorded segment (any container ffprobe reads; video packets in decode order) */
  file: string;
  /** roughly when it started (e.g. the product's own start time): picks the loop, so within half a loop */
  approxStartMs: number;
}

export async function segmentTruth(o: SegmentTruthOptions): Promise<SegmentTruth> {
  const { feeder } = o.camera.stream(o.stream);
  const [scene, segment] = await Promise.all([sceneFingerprint(o.ffprobePath, feeder.file), readPackets(o.ffprobePath, o.file)]);
  const match = matchSceneFrame(scene.sizes, segment.sizes);
  if (!match.ok) {
    const what = `camera ${o.camera.id}'s ${o.stream} stream (${path.basename(feeder.file)})`;
    throw new SegmentTruthError(match.code, `cannot place ${o.file} in ${what}: ${match.reason}`);
  }
  const placed = placeOnTimeline(feeder.timeline, {
    sceneFrame: match.frame,
    frames: segment.sizes.length,
    loopFrames: scene.sizes.length,
    ticksPerFrame: scene.ticksPerFrame,
    approxStartMs: o.approxStartMs,
  });
  if (!placed) {
    throw new SegmentTruthError('NO_TIMELINE', `camera ${o.camera.id}'s ${o.stream} feeder has no keyframe arrivals to place ${o.file} on`);
  }
  return { ...placed, frames: segment.sizes.length, sceneFrame: match.frame };
}

export type SceneFrameMatch =
  | { ok: true; frame: number }
  | { ok: false; code: Exclude<SegmentTruthCode, 'NO_TIMELINE'>; reason: string };

/**
 * Where in the looping scene (its packet sizes in order) a segment (its packet sizes) begins. Every packet of
 * the segment must match, cyclically (the scene loops), so a lost frame shows as no match rather than a wrong
 * length.
 */
export function matchSceneFrame(scene: readonly number[], segment: readonly number[]): SceneFrameMatch {
  if (segment.length < MIN_FINGERPRINT_PACKETS) {
    return { ok: false, code: 'SEGMENT_TOO_SHORT', reason: `it has ${segment.length} video packet(s); ${MIN_FINGERPRINT_PACKETS} are needed to tell where in the scene it starts` };
  }
  const matches: number[] = [];
  let longest = { frame: -1, length: 0 };
  for (let frame = 0; frame < scene.length; frame++) {
    const length = matchingLength(scene, segment, frame);
    if (length === segment.length) matches.push(frame);
    else if (length > longest.length) longest = { frame, length };
  }
  if (matches.length === 1) return { ok: true, frame: matches[0]! };
  if (matches.length > 1) {
    return { ok: false, code: 'AMBIGUOUS', reason: `its ${segment.length} packet sizes occur at scene frames ${matches.join(', ')}; record a longer segment` };
  }
  const head = `its packet sizes (${segment.slice(0, 6).join(', ')}, …) occur nowhere in the scene's ${scene.length} frames`;
  if (longest.length < MIN_FINGERPRINT_PACKETS) return { ok: false, code: 'NO_MATCH', reason: `${head}: another scene or stream?` };
  const { frame, length } = longest;
  const differs = `packet ${length} is ${segment[length]} bytes where the scene has ${scene[(frame + length) % scene.length]}`;
  return { ok: false, code: 'NO_MATCH', reason: `${head}; the first ${length} match from scene frame ${frame}, then ${differs}: a frame lost or altered?` };
}

/** How many packets of `segment` match the scene from `frame` on, going round the loop. */
function matchingLength(scene: readonly number[], segment: readonly number[], frame: number): number {
  let n = 0;
  while (n < segment.length && segment[n] === scene[(frame + n) % scene.length]) n++;
  return n;
}

export interface Placement {
  sceneFrame: number;
  frames: number;
  /** frames in one scene loop */
  loopFrames: number;
  /** RTP ticks per frame (90 000 / fps): with `-stream_loop` a loop of N frames spans exactly N of them */
  ticksPerFrame: number;
  approxStartMs: number;
}

/**
 * The wall-clock span of frames `sceneFrame …+frames` in the loop nearest `approxStartMs`, in the feeder run that
 * was sending then (ticks restart with each run, whose first packet is scene frame 0).
 */
export function placeOnTimeline(timeline: TimelineView, p: Placement): Omit<SegmentTruth, 'frames' | 'sceneFrame'> | undefined {
  const feederRun = timeline.runAt(p.approxStartMs)?.run;
  if (feederRun === undefined) return undefined;
  const approxTicks = timeline.ticksAtWallClock(p.approxStartMs, feederRun);
  if (approxTicks === undefined) return undefined;
  const loop = Math.max(0, Math.round((approxTicks / p.ticksPerFrame - p.sceneFrame) / p.loopFrames));
  const first = loop * p.loopFrames + p.sceneFrame;
  // RTP ticks are whole numbers (ffmpeg rounds pts to the 90 kHz clock)
  const wallClockOf = (frame: number): number | undefined => timeline.wallClockOfTicks(Math.round(frame * p.ticksPerFrame), feederRun);
  const startMs = wallClockOf(first);
  const endMs = wallClockOf(first + p.frames);
  if (startMs === undefined || endMs === undefined) return undefined;
  return { startMs, endMs, loop, run: feederRun };
}

interface Packets {
  sizes: number[];
  ticksPerFrame: number;
}

/** Scene files are immutable (their name holds a hash of what made them): read each once. */
const sceneCache = new Map<string, Promise<Packets>>();

function sceneFingerprint(ffprobePath: string, file: string): Promise<Packets> {
  let packets = sceneCache.get(file);
  if (!packets) {
    packets = readPackets(ffprobePath, file);
    packets.catch(() => sceneCache.delete(file));
    sceneCache.set(file, packets);
  }
  return packets;
}

async function readPackets(ffprobePath: string, file: string): Promise<Packets> {
  const { stdout } = await run(
    ffprobePath,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=r_frame_rate:packet=size', '-of', 'json', file],
    { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
  );
  const probed = JSON.parse(stdout) as { streams?: { r_frame_rate?: string }[]; packets?: { size?: string }[] };
  const [num, den] = (probed.streams?.[0]?.r_frame_rate ?? '').split('/').map(Number);
  if (!num || !den) throw new Error(`ffprobe found no video frame rate in ${file}`);
  return { sizes: (probed.packets ?? []).map((p) => Number(p.size)), ticksPerFrame: (RTP_CLOCK_HZ * den) / num };
}
