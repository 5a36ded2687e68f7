// Runs a short ffmpeg job (a snapshot, a clip cut) to completion, with a time limit and its stdout as bytes.
import { spawn } from 'node:child_process';

export class FfmpegJobError extends Error {
  readonly code = 'FFMPEG_FAILED';
}

export function runFfmpeg(ffmpegPath: string, args: string[], timeoutMs = 60_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new FfmpegJobError(`cannot run ffmpeg: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new FfmpegJobError(`ffmpeg failed (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-1)[0] ?? ''}`));
    });
  });
}
