// Keyframe times read off a fragmented MP4's boxes, against a file the real ffmpeg writes as the recorder does.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { locateFfmpeg } from '../../shared/ffmpeg/locate.js';
import { keyframeAtOrBefore, keyframeSeconds } from './keyframes.js';

const run = promisify(execFile);

describe('keyframeSeconds', () => {
  it('finds a fragment per keyframe, at its time, in a file written like a segment', async () => {
    const tools = await locateFfmpeg();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-kf-')), 'seg.mp4');
    // 10 fps, a keyframe every 15 frames (1.5 s), 6 s, fragmented at keyframes as the recorder writes
    await run(tools.ffmpeg.path, ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10', '-t', '6', '-c:v', 'libx264', '-g', '15', '-keyint_min', '15', '-sc_threshold', '0',
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', '-y', file]);
    expect(await keyframeSeconds(file)).toEqual([0, 1.5, 3, 4.5]);
  });

  it('says nothing for a file with no fragments', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-kf-')), 'junk.mp4');
    writeFileSync(file, Buffer.from('not an mp4 at all'));
    expect(await keyframeSeconds(file)).toEqual([]);
  });
});

describe('keyframeAtOrBefore', () => {
  it.each([
    { keyframes: [0, 1.5, 3, 4.5], at: 0.2, want: 0 },
    { keyframes: [0, 1.5, 3, 4.5], at: 1.5, want: 1.5 },
    { keyframes: [0, 1.5, 3, 4.5], at: 2.9, want: 1.5 },
    { keyframes: [0, 1.5, 3, 4.5], at: 10, want: 4.5 },
    { keyframes: [], at: 2, want: 0 },
  ])('$at s in $keyframes → $want s', ({ keyframes, at, want }) => {
    expect(keyframeAtOrBefore(keyframes, at)).toBe(want);
  });
});
