// What a subcommand looks like, and the exit codes every command uses.
import { formatProblem, type ConfigProblem } from './config/problems.js';
export const EXIT = {
  ok: 0,
  failure: 1,
  /** bad command line (sysexits EX_USAGE) */
  usage: 64,
  /** bad configuration (sysexits EX_CONFIG) */
  config: 78,
} as const;

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const consoleOutput: Output = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** its actions (`user add|passwd|…`): `--help` after any of them prints the usage too */
  subcommands?: readonly string[];
  /** prints its own `--help` (with exit 0); otherwise the CLI prints `usage` and `summary` for it */
  ownHelp?: boolean;
  /** returns the exit code; long-running commands resolve when they stop */
  run(args: string[], io: Output): Promise<number>;
}

/** Prints every problem of a config file, as `provision validate` and the daemons do before exiting 78. */
export function printProblems(io: Output, file: string, problems: readonly ConfigProblem[]): void {
  io.err(`${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`);
  for (const p of problems) io.err(formatProblem(p));
}

/**
 * Resolves with the first SIGTERM or SIGINT. Call it before announcing ports: a supervisor may stop a daemon as
 * soon as it reads one.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

/** `--help` or `-h` among a command's arguments (not after `--`). */
export function asksHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export class UsageError extends Error {
  readonly code = 'USAGE';
}
