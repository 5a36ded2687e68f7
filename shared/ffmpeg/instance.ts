// One run of a long-lived ffmpeg (a recorder, a frame reader, a live reader): spawned, its stderr read line by line
// (the caller's lines taken out, the rest kept as a bounded tail), ended on purpose or on its own. The restart loop
// around runs is supervisor.ts.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { StderrTail } from './stderr-tail.js';

/** Who ended a run from here: the stall watchdog, stop(), or the caller's kill(); undefined when ffmpeg exited on its own. */
export type EndedBy = 'stall' | 'stop' | 'kill' | undefined;

export interface InstanceEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  endedBy: EndedBy;
  /** the process could not be spawned (a missing binary) */
  error: Error | undefined;
  /** what it said last (bounded), and its last line */
  stderr: string;
  lastLine: string;
}

export interface InstanceOptions {
  path: string;
  args: string[];
  env?: NodeJS.ProcessEnv | undefined;
  /** stderr characters kept for the exit's reason and the log */
  tailChars: number;
  /** one stderr line; return true when it was the caller's (progress, frame times), not ffmpeg talking */
  onStderrLine?: ((line: string) => boolean) | undefined;
}

export class FfmpegInstance {
  readonly stdout: Readable;
  readonly ended: Promise<InstanceEnd>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private endedBy: EndedBy;
  private error: Error | undefined;

  constructor({ path, args, env, tailChars, onStderrLine }: InstanceOptions) {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    this.child = child;
    this.stdout = child.stdout;
    const tail = new StderrTail(tailChars);
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (!onStderrLine?.(line)) tail.push(line);
    });
    child.on('error', (err) => (this.error = err));
    this.ended = new Promise((resolve) => {
      child.on('close', (code, signal) =>
        resolve({ code, signal, endedBy: this.endedBy, error: this.error, stderr: tail.all, lastLine: tail.lastLine }),
      );
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** ffmpeg has exited (its pipes may still be draining). */
  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Sends `signal` unless it has exited; the first reason given is the one its end reports. */
  signal(signal: NodeJS.Signals, by: Exclude<EndedBy, undefined>): void {
    if (this.exited) return;
    this.endedBy ??= by;
    this.child.kill(signal);
  }
}
