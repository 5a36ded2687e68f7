import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipCutArgs, frameReaderArgs, recorderArgs } from './args.js';
import { locateFfmpeg, parseVersion, FfmpegNotFoundError, type FfmpegTools } from './locate.js';
import { probe } from './probe.js';
import { resolveUrlHost } from './resolve.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'ww-ffmpeg-'));
let tools: FfmpegTools;
const source = path.join(dir, 'source.mp4');

beforeAll(async () => {
  tools = await locateFfmpeg();
  // 6 s of 320×180 test pattern at 10 fps, a keyframe every second, fragmented like our segments
  await run(tools.ffmpeg.path, [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=10:duration=6',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p',
    '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-y', source,
  ]);
});

describe('locateFfmpeg', () => {
  it('finds ffmpeg and ffprobe and reads their libavformat version', () => {
    expect(tools.ffmpeg.path).toMatch(/ffmpeg$/);
    expect(tools.ffprobe.path).toMatch(/ffprobe$/);
    expect(tools.ffmpeg.libavformat[0]).toBeGreaterThanOrEqual(58);
    expect(tools.rtspTimeoutFlag).toBe(tools.ffmpeg.libavformat[0] >= 59 ? '-timeout' : '-stimeout');
  });

  it('prefers a configured path and says clearly when it is wrong', async () => {
    await expect(locateFfmpeg({ ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toThrow(FfmpegNotFoundError);
    await expect(locateFfmpeg({ ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toThrow(/configured path \/nonexistent\/ffmpeg/);
    const again = await locateFfmpeg({ ffmpegPath: tools.ffmpeg.path });
    expect(again.ffmpeg.source).toBe('config');
  });

  it.each([
    ['ffmpeg version 5.1.6-0+deb12u1 Copyright\nlibavformat    59. 27.100 / 59. 27.100', '5.1.6-0+deb12u1', [59, 27]],
    ['ffmpeg version N-47683-g0e8eb07980-static\nlibavformat    58. 24.101 / 58. 24.101', 'N-47683-g0e8eb07980-static', [58, 24]],
  ])('parses version banners', (banner, version, lavf) => {
    expect(parseVersion(banner)).toEqual({ version, libavformat: lavf });
  });

  it('picks the RTSP timeout flag from the version', () => {
    const old = { ...tools, rtspTimeoutFlag: '-stimeout' as const };
    const args = recorderArgs(old, { url: 'rtsp://10.0.0.5/main', timeoutSeconds: 5, segmentSeconds: 10, pattern: '/x/%H.mp4' });
    expect(args.join(' ')).toContain('-rtsp_transport tcp -stimeout 5000000 -i rtsp://10.0.0.5/main');
    expect(args.join(' ')).toContain('movflags=+frag_keyframe+empty_moov+default_base_moof');
    const modern = frameReaderArgs({ ...tools, rtspTimeoutFlag: '-timeout' }, { url: 'rtsp://10.0.0.5/sub', timeoutSeconds: 3, fps: 5, width: 640, height: 360 });
    expect(modern.join(' ')).toContain('-timeout 3000000');
    expect(modern.join(' ')).toContain('floor(t*5),floor(prev_selected_t*5))\',scale=640:360,showinfo -vsync passthrough');
  });
});

describe('probe and clip cut with the real binaries', () => {
  it('probes a generated file', async () => {
    const result = await probe(tools, source);
    expect(result.durationSeconds).toBeCloseTo(6, 0);
    expect(result.streams[0]).toMatchObject({ type: 'video', codec: 'h264', width: 320, height: 180, fps: 10 });
  });

  it('cuts a clip by stream copy across two files', async () => {
    const list = path.join(dir, 'list.ffconcat');
    writeFileSync(list, `ffconcat version 1.0\nfile '${source}'\nfile '${source}'\n`);
    const out = path.join(dir, 'clip.mp4');
    await run(tools.ffmpeg.path, clipCutArgs({ concatList: list, keyframeSeconds: 3, leadSeconds: 1, durationSeconds: 5, output: out }));
    const result = await probe(tools, out);
    expect(result.streams[0]?.codec).toBe('h264');
    expect(result.durationSeconds).toBeGreaterThan(4.5);
    expect(result.durationSeconds).toBeLessThan(6.5);
  });

  it('reports a file ffprobe cannot read with ffprobe\'s reason', async () => {
    const bad = path.join(dir, 'bad.mp4');
    writeFileSync(bad, 'not a video');
    await expect(probe(tools, bad)).rejects.toThrow(/ffprobe could not read .*bad\.mp4/);
  });
});

describe('resolveUrlHost', () => {
  it('replaces a host name by its address and keeps credentials, port and path', async () => {
    const url = await resolveUrlHost('rtsp://u:p%40ss@cam-01.ward7.local:554/Streaming/101?x=1', () => Promise.resolve('10.7.0.11'));
    expect(url).toBe('rtsp://u:p%40ss@10.7.0.11:554/Streaming/101?x=1');
  });
  it('leaves IP addresses alone, and resolves localhost for real', async () => {
    expect(await resolveUrlHost('rtsp://192.168.1.5/a', () => Promise.reject(new Error('not called')))).toBe('rtsp://192.168.1.5/a');
    expect(await resolveUrlHost('rtsp://localhost:8554/a')).toMatch(/^rtsp:\/\/(127\.0\.0\.1|\[::1\]):8554\/a$/);
  });
});
