// The frames the int8 recipe looks at: the calibration set (what calibrate.ts measures ranges on) and the reference
// set (what the accuracy gate compares fp32 and int8 on). They never share a frame: the reference takes the shipped
// pictures, the dense street scene at t = 0, 0.25, 0.5 … s and the street clips at t = 0, 0.2, 0.4 … s; the
// calibration takes no picture, the scene at t = 0.125, 0.625 … s and the clips at t = 0.1, 0.5, 0.9 … s.
import { runJob } from '../../shared/ffmpeg/job.js';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { RgbFrame } from '../../edge/detect/detector.js';
import { packagedModel } from '../../edge/detect/model-file.js';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { formatsWith, prepareScene } from '../../test-fixtures/camera/scene-cache.js';
import { DOG_JPG, PERSON_JPG } from '../../test-fixtures/media/index.js';

export type FrameSetName = 'reference' | 'calibration';

export interface SetFrame {
  /** where it comes from, e.g. `street-scene@12.25s` */
  source: string;
  frame: RgbFrame;
}

/** A run of frames from a video: `count` frames from `start` s at `fps` (count undefined: to the end). */
export interface VideoRun {
  name: string;
  file: string;
  start: number;
  fps: number;
  count?: number | undefined;
}

const WIDTH = 640;
const HEIGHT = 360;
const SCENE_SECONDS = 60;

/** Pure: which runs of which videos a set takes. `clips`: the street clips (mp4 files), when their folder is there. */
export function framePlan(set: FrameSetName, scene: string, clips: readonly string[]): VideoRun[] {
  const reference = set === 'reference';
  return [
    { name: 'street-scene', file: scene, start: reference ? 0 : 0.125, fps: reference ? 4 : 2, count: reference ? SCENE_SECONDS * 4 : SCENE_SECONDS * 2 - 1 },
    ...clips.map((file) => ({ name: path.basename(file, '.mp4'), file, start: reference ? 0 : 0.1, fps: reference ? 5 : 2.5 })),
  ];
}

/** Frames of a video run, scaled to the box's detect size (640×360) as its frame reader does. */
async function videoFrames(ffmpeg: string, run: VideoRun): Promise<SetFrame[]> {
  const args = ['-v', 'error', '-ss', String(run.start), '-i', run.file, '-vf', `fps=${run.fps},scale=${WIDTH}:${HEIGHT}`, ...(run.count ? ['-frames:v', String(run.count)] : []), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const data = await runJob(ffmpeg, args, { timeoutMs: 600_000 });
  const size = WIDTH * HEIGHT * 3;
  if (data.length < size) throw new Error(`ffmpeg gave no frame of ${run.file}`);
  const out: SetFrame[] = [];
  for (let i = 0; (i + 1) * size <= data.length; i++) {
    out.push({ source: `${run.name}@${(run.start + i / run.fps).toFixed(3)}s`, frame: { data: new Uint8Array(data.subarray(i * size, (i + 1) * size)), width: WIDTH, height: HEIGHT } });
  }
  return out;
}

async function picture(file: string): Promise<SetFrame> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { source: path.basename(file), frame: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height } };
}

/** The street clips in `dir` (mp4), or none when the folder is absent. */
export function streetClips(dir: string | undefined): string[] {
  if (dir === undefined || !existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.mp4')).sort().map((f) => path.join(dir, f));
}

/** Decodes a set (the dense street scene is rendered once by the fake cameras' scene cache, then reused). */
export async function loadFrames(set: FrameSetName, clipsDir: string | undefined): Promise<SetFrame[]> {
  const tools = await locateFfmpeg();
  const scene = await prepareScene({ scene: 'street', loopSeconds: SCENE_SECONDS, formats: formatsWith() }, { ffmpegPath: tools.ffmpeg.path, ffmpegVersion: tools.ffmpeg.version });
  const frames: SetFrame[] = [];
  if (set === 'reference') for (const file of [packagedModel().checkImage, DOG_JPG, PERSON_JPG]) frames.push(await picture(file));
  for (const run of framePlan(set, scene.files.sub, streetClips(clipsDir))) frames.push(...(await videoFrames(tools.ffmpeg.path, run)));
  return frames;
}
