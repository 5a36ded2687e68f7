// Runs a one-shot ffmpeg or ffprobe job (a snapshot, a clip cut, a probe, `-version`) to its end: stdout as bytes,
// a bounded tail of stderr, a time limit, and an error that says which tool failed, how, and its last words.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { StderrTail } from './stderr-tail.js';

export class FfmpegJobError extends Error {
  readonly code = 'FFMPEG_FAILED';
  constructor(
    message: string,
    /** null when it did not exit by itself (spawn failure, signal, time limit) */
    readonly exitCode: number | null,
    /** its last stderr line ('' when it said nothing) */
    readonly lastLine: string,
  ) {
    super(message);
    this.name = 'FfmpegJobError';
  }
}

export interface JobOptions {
  /** killed (SIGKILL) after this long; default 60 s */
  timeoutMs?: number;
  /** killed when stdout grows past this many bytes; default no limit */
  maxStdoutBytes?: number;
  /** stderr characters kept; default 2000 */
  tailChars?: number;
}

/** Runs `binary` with `args`; resolves with its stdout when it exits 0, rejects with FfmpegJobError otherwise. */
export function runJob(binary: string, args: readonly string[], { timeoutMs = 60_000, maxStdoutBytes = Infinity, tailChars = 2000 }: JobOptions = {}): Promise<Buffer> {
  const name = path.basename(binary);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let outBytes = 0;
    let why: string | undefined;
    const stop = (reason: string) => {
      why ??= reason;
      child.kill('SIGKILL');
    };
    const tail = new StderrTail(tailChars);
    let partial = '';
    child.stderr.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) tail.push(line);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxStdoutBytes) stop(`wrote more than ${maxStdoutBytes} bytes and was stopped`);
      else out.push(chunk);
    });
    const timer = setTimeout(() => stop(`took longer than ${Math.round(timeoutMs / 100) / 10} s and was stopped`), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new FfmpegJobError(`cannot run ${name}: ${e.message}`, null, ''));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      tail.push(partial);
      const last = tail.lastLine;
      if (code === 0 && why === undefined) resolve(Buffer.concat(out));
      else if (why !== undefined) reject(new FfmpegJobError(`${name} ${why}${last ? `: ${last}` : ''}`, null, last));
      else reject(new FfmpegJobError(`${name} failed (${signal ?? `exit ${code}`}): ${last}`, code, last));
    });
  });
}
