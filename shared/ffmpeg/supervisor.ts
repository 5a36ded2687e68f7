// The restart loop around a long-lived ffmpeg: prepare a run, start it, watch it for stalls, and when it ends ask
// its owner what next (restart after the policy's wait, at once, after the owner's own wait, or not) until stopped.
// One run is an FfmpegInstance (instance.ts); the owner keeps only what is its own (segments, frames, fragments).
import type { Logger } from '../log.js';
import { FfmpegInstance, type EndedBy } from './instance.js';
import type { RestartPolicy } from './restart-policy.js';

export interface RunEnd {
  /** false: prepare() failed (`error` says why) and no process was started */
  started: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  endedBy: EndedBy;
  /** prepare()'s error, or the spawn's (a missing binary) */
  error: Error | undefined;
  /** stderr's bounded tail, and its last line */
  stderr: string;
  lastLine: string;
}

/**
 * What the loop does after a run: `restart` after the policy's wait, `now` without one, `idle` not at all (start()
 * begins again), or `restartWhen`: the owner waits its own way (given the policy's delay) and says whether to start.
 */
export type AfterRun = 'restart' | 'now' | 'idle' | { restartWhen: (delayMs: number) => Promise<boolean> };

/** A run's argument list (and environment), or undefined: do not start now (the loop goes idle). */
export type RunPlan = { args: string[]; env?: NodeJS.ProcessEnv } | undefined;

export interface FfmpegSupervisorOptions {
  ffmpegPath: string;
  /** before each run (a camera's host name resolved, say); a throw ends the run unstarted */
  prepare: () => Promise<RunPlan>;
  /** a run has started: read its stdout */
  onRun: (run: FfmpegInstance) => void;
  /** a stderr line of the run; true when it was the owner's (progress, frame times), not kept in the tail */
  onStderrLine?: (line: string) => boolean;
  /** a run ended or could not start; stop() waits for this */
  onEnd: (end: RunEnd) => AfterRun | Promise<AfterRun>;
  policy: RestartPolicy;
  /** stderr characters kept */
  tailChars: number;
  /** kill (SIGKILL) a run that showed no progress (alive()) for `afterMs`; `onStall` is told first */
  stall?: { afterMs: number; onStall: () => void } | undefined;
  clock?: (() => number) | undefined;
  /** where a failure of the loop itself (an owner's handler that threw) is said */
  logger?: Logger | undefined;
}

export interface StopOptions {
  /** ask ffmpeg to finish (SIGINT closes the open segment); default SIGKILL at once */
  signal?: NodeJS.Signals;
  /** then SIGKILL after this long */
  killAfterMs?: number;
}

export class FfmpegSupervisor {
  private readonly ffmpegPath: string;
  private readonly prepare: () => Promise<RunPlan>;
  private readonly onRun: (run: FfmpegInstance) => void;
  private readonly onStderrLine: ((line: string) => boolean) | undefined;
  private readonly onEnd: (end: RunEnd) => AfterRun | Promise<AfterRun>;
  private readonly policy: RestartPolicy;
  private readonly tailChars: number;
  private readonly stall: { afterMs: number; onStall: () => void } | undefined;
  private readonly clock: () => number;
  private readonly logger: Logger | undefined;

  private run: FfmpegInstance | undefined;
  private active = false;
  private stopRequested = false;
  private spawnedAtMs = 0;
  private lastAliveMs = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** the current run's end and its owner's handling of it: what stop() waits for */
  private ending: Promise<unknown> = Promise.resolve();
  private readonly sleepers = new Set<() => void>();

  constructor({ ffmpegPath, prepare, onRun, onStderrLine, onEnd, policy, tailChars, stall, clock, logger }: FfmpegSupervisorOptions) {
    this.ffmpegPath = ffmpegPath;
    this.prepare = prepare;
    this.onRun = onRun;
    this.onStderrLine = onStderrLine;
    this.onEnd = onEnd;
    this.policy = policy;
    this.tailChars = tailChars;
    this.stall = stall;
    this.clock = clock ?? Date.now;
    this.logger = logger;
  }

  /** a run is under way (spawned, not yet closed) */
  get running(): boolean {
    return this.run !== undefined;
  }

  get pid(): number | undefined {
    return this.run?.pid;
  }

  /** stop() was called (and start() not since) */
  get stopping(): boolean {
    return this.stopRequested;
  }

  /** Starts runs, unless the loop is already under way (running, or waiting to restart). */
  start(): void {
    this.stopRequested = false;
    if (this.stall && this.watchdog === undefined) this.watchdog = setInterval(() => this.checkStall(), 1000);
    if (this.active) return;
    this.active = true;
    void this.loop().catch((err: unknown) => this.logger?.error({ err: (err as Error).message }, 'ffmpeg restart loop failed; it restarts no more'));
  }

  /** The run shows progress (a segment, a frame): the stall watchdog counts from here. */
  alive(): void {
    this.lastAliveMs = this.clock();
  }

  /** Ends the current run now (SIGKILL); its end is handled like any other, with `endedBy: 'kill'`. */
  kill(): void {
    this.run?.signal('SIGKILL', 'kill');
  }

  /** Waits `ms`, or less when stop() comes first. */
  sleep(ms: number): Promise<void> {
    if (this.stopRequested) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  /** No more restarts; ends the run (gracefully when asked) and waits until its end has been handled. */
  async stop({ signal, killAfterMs = 5000 }: StopOptions = {}): Promise<void> {
    this.stopRequested = true;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    for (const wake of [...this.sleepers]) wake();
    const run = this.run;
    let timer: NodeJS.Timeout | undefined;
    if (run && !run.exited) {
      if (signal && signal !== 'SIGKILL') {
        run.signal(signal, 'stop');
        timer = setTimeout(() => run.signal('SIGKILL', 'stop'), killAfterMs);
      } else {
        run.signal('SIGKILL', 'stop');
      }
    }
    await this.ending;
    clearTimeout(timer);
  }

  private async loop(): Promise<void> {
    try {
      while (!this.stopRequested) {
        const after = await this.runOnce();
        if (after === undefined || this.stopRequested || after === 'idle') return;
        if (after === 'now') continue;
        const delay = this.policy.next(this.clock() - this.spawnedAtMs);
        if (after === 'restart') await this.sleep(delay);
        else if (!(await after.restartWhen(delay))) return;
      }
    } finally {
      // in the same step as the loop's end, so that a start() right after it begins a new loop
      this.active = false;
    }
  }

  /** One run, from prepare() to its owner's word on its end; undefined when it was not started (stop, or no plan). */
  private async runOnce(): Promise<AfterRun | undefined> {
    let plan: RunPlan;
    try {
      plan = await this.prepare();
    } catch (err) {
      const end: RunEnd = { started: false, code: null, signal: null, endedBy: undefined, error: err as Error, stderr: '', lastLine: '' };
      const handled = Promise.resolve(this.onEnd(end));
      this.ending = handled.catch(() => undefined);
      return handled;
    }
    if (this.stopRequested || plan === undefined) return undefined;
    this.spawnedAtMs = this.lastAliveMs = this.clock();
    const run = new FfmpegInstance({ path: this.ffmpegPath, args: plan.args, env: plan.env, tailChars: this.tailChars, onStderrLine: this.onStderrLine });
    this.run = run;
    const handled = (async () => {
      this.onRun(run);
      const end = await run.ended;
      this.run = undefined;
      return this.onEnd({ started: true, ...end });
    })();
    this.ending = handled.catch(() => undefined);
    return handled;
  }

  private checkStall(): void {
    const run = this.run;
    if (!this.stall || !run || run.exited || this.stopRequested) return;
    if (this.clock() - this.lastAliveMs > this.stall.afterMs) {
      this.stall.onStall();
      run.signal('SIGKILL', 'stall');
    }
  }
}
