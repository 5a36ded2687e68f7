// What every provisioning command shares: --help text with exit codes, password files, host:port, tables, progress.
import { readFileSync, statSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { asksHelp, UsageError, type Output } from '../shared/command.js';
import type { Credentials } from '../shared/onvif/soap.js';

export const EXIT_CODES_HELP = 'exit codes: 0 ok, 1 failure (named on stderr), 64 bad command line, 78 bad configuration';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs plus `--help`: returns undefined when help was printed (the command then exits 0). */
export function parseCommand<O extends Options>(args: string[], options: O, help: string, io: Output, allowPositionals = false) {
  if (asksHelp(args)) {
    io.out(help.trimEnd());
    io.out(`\n${EXIT_CODES_HELP}`);
    return undefined;
  }
  return parseArgs({ args, options, allowPositionals, strict: true });
}

/**
 * Reads a camera password from a file. Passwords never go on the command line: every user of the box
 * could read them in `ps`, and they would land in the shell history.
 */
export function readPasswordFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --password-file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password) throw new UsageError(`--password-file ${file} is empty`);
  return password;
}

/** Whether a file is readable by group or others (a warning for password files). */
export function tooOpen(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

export function credentialsFrom(user: string | undefined, passwordFile: string | undefined, io: Output): Credentials | undefined {
  if (user === undefined && passwordFile === undefined) return undefined;
  if (user === undefined || passwordFile === undefined) throw new UsageError('--user and --password-file go together');
  if (tooOpen(passwordFile)) io.err(`warning: ${passwordFile} can be read by other users: chmod 600 ${passwordFile}`);
  return { username: user, password: readPasswordFile(passwordFile) };
}

/** `10.0.0.5`, `10.0.0.5:3702`, `[::1]:80` → address and port. */
export function parseHostPort(value: string, defaultPort: number, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d+))?$/.exec(value.trim());
  const port = m?.[3] === undefined ? defaultPort : Number(m[3]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`${flag} ${JSON.stringify(value)} is not HOST or HOST:PORT`);
  return { host: (m[1] ?? m[2])!, port };
}

export function parseSeconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw new UsageError(`${flag} must be a number of seconds between 0 and 600 (got ${JSON.stringify(value)})`);
  return n;
}

/** A plain text table: columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)];
}

export interface Progress {
  tick(label?: string): void;
  done(): void;
}

/**
 * A one-line progress bar on stderr, drawn only on a terminal: piped output and logs stay clean.
 * (A dependency such as cli-progress would buy multi-bars and ETA, which a 30-camera job does not need.)
 */
export function progress(what: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  let n = 0;
  const draw = (label = '') => {
    if (!stream.isTTY) return;
    const width = 24;
    const filled = total ? Math.round((n / total) * width) : width;
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${n}/${total} ${what} ${label}`.slice(0, (stream.columns || 80) - 1).padEnd((stream.columns || 80) - 1));
  };
  draw();
  return {
    tick(label) {
      n++;
      draw(label);
    },
    done() {
      if (stream.isTTY) stream.write('\r' + ' '.repeat((stream.columns || 80) - 1) + '\r');
    },
  };
}

/** Runs `fn` over `items`, at most `limit` at once, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
