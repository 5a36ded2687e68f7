// Event clip: the recorded segments around an event, cut by stream copy (no re-encoding) and written atomically.
import { open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { clipCutArgs } from '../../shared/ffmpeg/args.js';
import { commitFileSync } from '../../shared/atomic.js';
import { keyframeAtOrBefore, keyframeSeconds } from '../record/keyframes.js';
import { runFfmpeg } from './run-ffmpeg.js';

export interface ClipSegment {
  path: string;
  startMs: number;
  endMs: number;
}

export interface ClipPlan {
  /** in order; each file is played up to its row's end (`outpoint`) */
  segments: ClipSegment[];
  /** from the start of the first segment */
  offsetSeconds: number;
  durationSeconds: number;
  /** the range the clip covers (the recording may begin later or end sooner than asked) */
  start: number;
  end: number;
}

/** Which segments, and where to cut, for [fromMs, toMs); undefined when no recording covers any of it. */
export function clipPlan(segments: readonly ClipSegment[], fromMs: number, toMs: number): ClipPlan | undefined {
  const used = segments.filter((s) => s.endMs > fromMs && s.startMs < toMs).sort((a, b) => a.startMs - b.startMs);
  const first = used[0];
  const last = used.at(-1);
  if (first === undefined || last === undefined) return undefined;
  const start = Math.max(fromMs, first.startMs);
  const end = Math.min(toMs, last.endMs);
  if (end <= start) return undefined;
  return { segments: used, offsetSeconds: (start - first.startMs) / 1000, durationSeconds: (end - start) / 1000, start, end };
}

/**
 * ffconcat list: paths quoted, a quote inside one escaped the way the concat demuxer reads it. A file that goes on
 * past its row's end (the next run's first segment repeats its last second) stops there: `outpoint` drops the
 * packets from then on, exactly, even with stream copy (an `inpoint` could only start at a keyframe).
 */
export function concatList(segments: readonly ClipSegment[]): string {
  const lines = ['ffconcat version 1.0'];
  segments.forEach((s, i) => {
    lines.push(`file '${s.path.replace(/'/g, "'\\''")}'`);
    if (i < segments.length - 1) lines.push(`outpoint ${((s.endMs - s.startMs) / 1000).toFixed(3)}`);
  });
  return lines.join('\n') + '\n';
}

/** Cuts the clip into a temp file beside `output`, fsyncs it and renames it into place. */
export async function cutClip(ffmpegPath: string, plan: ClipPlan, output: string): Promise<void> {
  const tag = randomBytes(6).toString('hex');
  const list = path.join(path.dirname(output), `.${path.basename(output)}.${tag}.ffconcat`);
  const tmp = path.join(path.dirname(output), `.${path.basename(output)}.${tag}.tmp.mp4`);
  try {
    await writeFile(list, concatList(plan.segments));
    // the clip's start lies in the first segment: copy from the keyframe before it
    const keyframe = keyframeAtOrBefore(await keyframeSeconds(plan.segments[0]!.path).catch(() => []), plan.offsetSeconds);
    const cut = { concatList: list, keyframeSeconds: keyframe, leadSeconds: plan.offsetSeconds - keyframe, durationSeconds: plan.durationSeconds, output: tmp };
    await runFfmpeg(ffmpegPath, clipCutArgs(cut), 120_000);
    const handle = await open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    commitFileSync(tmp, output);
  } finally {
    await rm(list, { force: true });
    await rm(tmp, { force: true });
  }
}
