// Access units out of a fragmented MP4 made by real ffmpeg the way a ward box makes its live stream: frame count,
// keyframes, timing, and the NAL units written back as Annex B read by ffprobe, a reader we did not write.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateFfmpeg, type FfmpegTools } from '../ffmpeg/locate.js';
import { BoxSplitter, FragmentAssembler } from '../mp4-boxes.js';
import { accessUnits, Fmp4Error, h264TrackOf, type AccessUnit } from './fmp4-h264.js';

const run = promisify(execFile);
const START_CODE = Buffer.from([0, 0, 0, 1]);

let tools: FfmpegTools;
let dir: string;
let init: Buffer;
let fragments: Buffer[];

beforeAll(async () => {
  tools = await locateFfmpeg();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ww-fmp4-'));
  const file = path.join(dir, 'live.mp4');
  // 3 s at 10 fps, a keyframe every second, B-frames so composition offsets are there
  await run(tools.ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '3', '-c:v', 'libx264', '-g', '10', '-bf', '2', '-pix_fmt', 'yuv420p', '-f', 'mp4', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', file]);
  const assembler = new FragmentAssembler();
  const out = assembler.push(new BoxSplitter().push(await readFile(file)));
  init = out.init!;
  fragments = out.fragments.map((f) => f.bytes);
}, 60_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe('fMP4 → H.264 access units', () => {
  it('reads the parameter sets and the clock from the init segment', () => {
    const track = h264TrackOf(init);
    expect(track.lengthSize).toBe(4);
    expect(track.sps).toHaveLength(1);
    expect(track.sps[0]![0]! & 0x1f).toBe(7);
    expect(track.pps[0]![0]! & 0x1f).toBe(8);
    expect(track.timescale).toBeGreaterThan(0);
  });

  it('gives every frame once, a keyframe first in each fragment, times rising by the frame duration', async () => {
    const track = h264TrackOf(init);
    expect(fragments).toHaveLength(3);
    const units: AccessUnit[] = fragments.flatMap((f) => accessUnits(f, track));
    expect(units).toHaveLength(30);
    expect(fragments.map((f) => accessUnits(f, track)[0]!.keyframe)).toEqual([true, true, true]);
    expect(units.filter((u) => u.keyframe)).toHaveLength(3);
    const frame = track.timescale / 10;
    expect(units.every((u, i) => u.dts === i * frame && u.duration === frame)).toBe(true);
    expect(units.some((u) => u.pts !== u.dts)).toBe(true); // B-frames reorder
    expect(units.filter((u) => u.keyframe).every((u) => u.nals.some((n) => (n[0]! & 0x1f) === 5))).toBe(true);

    const annexB = Buffer.concat([...track.sps, ...track.pps, ...units.flatMap((u) => u.nals)].flatMap((n) => [START_CODE, n]));
    const file = path.join(dir, 'out.h264');
    await writeFile(file, annexB);
    const { stdout } = await run(tools.ffprobe.path, ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,nb_read_frames', '-of', 'json', file]);
    expect(JSON.parse(stdout)).toMatchObject({ streams: [{ codec_name: 'h264', width: 320, nb_read_frames: '30' }] });
  });

  it.each([
    ['an init segment without a moov', () => h264TrackOf(Buffer.from('0000000866747970', 'hex'))],
    ['a fragment cut short', () => accessUnits(fragments[0]!.subarray(0, fragments[0]!.length - 100), h264TrackOf(init))],
    ['a fragment without a moof', () => accessUnits(Buffer.alloc(16), h264TrackOf(init))],
  ])('refuses %s with an Fmp4Error', (_name, f) => {
    expect(f).toThrow(Fmp4Error);
  });
});
