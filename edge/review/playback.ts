// Playback of recordings: a continuous run of segments joined by ffmpeg's concat demuxer (stream copy) into one
// fragmented MP4 on stdout, which the page appends to Media Source Extensions. The segments' own boundaries
// vanish, so playback crosses them without a stall.
import { spawn } from 'node:child_process';
import { open, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { playbackArgs } from '../../shared/ffmpeg/args.js';
import type { Logger } from '../../shared/log.js';
import { BoxSplitter, videoCodecOf, type VideoCodec } from '../../shared/mp4-boxes.js';
import { concatList } from '../events/clip.js';
import type { PlaybackPlan } from './timeline.js';

/** ffconcat list of the plan's segments, each played up to its row's end (see `concatList`). */
export function playbackConcatList(plan: PlaybackPlan): string {
  return concatList(plan.segments);
}

/** The video codec of a recorded segment, from its init segment (the first boxes of the file). */
export async function segmentCodec(file: string): Promise<VideoCodec | undefined> {
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(256 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const moov = new BoxSplitter(Number.MAX_SAFE_INTEGER).push(buf.subarray(0, bytesRead)).find((b) => b.type === 'moov');
    return moov && videoCodecOf(moov.bytes);
  } finally {
    await handle.close();
  }
}

export interface PlaybackStream {
  stream: Readable;
  /** kills ffmpeg (the viewer left) and removes the list file */
  close(): void;
}

/** Starts ffmpeg on the plan; the caller pipes `stream` to the response and calls close() when it ends. */
export async function startPlayback(ffmpegPath: string, tmpDir: string, plan: PlaybackPlan, logger: Logger): Promise<PlaybackStream> {
  const list = path.join(tmpDir, `playback-${randomBytes(6).toString('hex')}.ffconcat`);
  await writeFile(list, playbackConcatList(plan));
  const child = spawn(ffmpegPath, playbackArgs({ concatList: list }), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-1000)));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (child.exitCode === null) child.kill('SIGKILL');
    void rm(list, { force: true });
  };
  child.on('close', (code) => {
    if (code !== 0 && !closed) logger.warn({ code, stderr: stderr.trim().slice(-300) }, 'playback ffmpeg failed');
    void rm(list, { force: true });
  });
  child.on('error', (err) => logger.error({ err: err.message }, 'cannot run ffmpeg for playback'));
  return { stream: child.stdout, close };
}
