// The one-shot runner with the real ffmpeg: stdout as bytes, and an error for each way a job goes wrong.
import { beforeAll, describe, expect, it } from 'vitest';
import { FfmpegJobError, runJob } from './job.js';
import { locateFfmpeg, type FfmpegTools } from './locate.js';

let tools: FfmpegTools;
const lavfi = (source: string) => ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', source];

beforeAll(async () => {
  tools = await locateFfmpeg();
});

describe('runJob', () => {
  it('gives the job its stdout as bytes', async () => {
    const out = await runJob(tools.ffmpeg.path, [...lavfi('color=c=red:s=2x2'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
    expect(out.length).toBe(2 * 2 * 3);
    expect(out[0]).toBeGreaterThan(200);
    expect(out[1]).toBeLessThan(50);
  });

  it.each([
    {
      what: 'an exit code with its last words',
      args: () => ['-hide_banner', '-nostdin', '-i', '/nonexistent/input.mp4', '-f', 'null', '-'],
      options: {},
      message: /^ffmpeg failed \(exit \d+\): .*\/nonexistent\/input\.mp4: No such file or directory$/,
      exited: true,
    },
    {
      what: 'the time limit',
      args: () => ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=10', '-f', 'null', '-'],
      options: { timeoutMs: 300 },
      message: /^ffmpeg took longer than 0\.3 s and was stopped/,
      exited: false,
    },
    {
      what: 'too much output',
      args: () => [...lavfi('testsrc=size=64x64:rate=10'), '-frames:v', '10', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
      options: { maxStdoutBytes: 1000 },
      message: /^ffmpeg wrote more than 1000 bytes and was stopped/,
      exited: false,
    },
  ])('fails with a clear error on $what', async ({ args, options, message, exited }) => {
    const err = await runJob(tools.ffmpeg.path, args(), options).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegJobError);
    expect((err as FfmpegJobError).message).toMatch(message);
    expect((err as FfmpegJobError).code).toBe('FFMPEG_FAILED');
    expect((err as FfmpegJobError).exitCode !== null).toBe(exited);
  });

  it('says when the binary cannot be run at all', async () => {
    await expect(runJob('/nonexistent/bin/ffmpeg', ['-version'])).rejects.toThrow(/^cannot run ffmpeg: .*ENOENT/);
  });
});
