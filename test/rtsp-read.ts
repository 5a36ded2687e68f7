// Reading a fake camera's stream as a client would, for the fixtures' tests: what ffprobe says of it, and how many
// frames ffmpeg decodes from it.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { FfmpegTools } from '../shared/ffmpeg/locate.js';

const run = promisify(execFile);

/** Each stream's codec, size and frame rate, as ffprobe reads them over RTSP/TCP. */
export async function probeStreams(tools: FfmpegTools, url: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(tools.ffprobe.path, ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name,width,height,r_frame_rate', '-of', 'json', url], { timeout: 20_000 });
  return (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams;
}

/** Decodes `seconds` of a stream; resolves with the frame count ffmpeg reports. */
export function decodedFrames(tools: FfmpegTools, url: string, seconds: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.ffmpeg.path, ['-hide_banner', '-nostdin', '-rtsp_transport', 'tcp', '-i', url, '-t', String(seconds), '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`ffmpeg exited ${code}: ${stderr}`));
      else resolve(Number([...stderr.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1] ?? 0));
    });
  });
}
