// What the CLI prints for an error nobody caught: the message, never a hidden cause; a failed child process's
// stderr tail (ffmpeg says why it failed there); the stack only when asked for (--verbose or DEBUG).

/** The last `lines` non-empty lines of a child's stderr. */
function tail(text: string, lines: number): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '').slice(-lines);
}

/** Lines to print for `err`; pure, so any thrown value (an Error, a string, an object with a numeric code) is covered. */
export function errorReport(err: unknown, verbose: boolean): string[] {
  if (!(err instanceof Error)) return [`wardwatch: ${typeof err === 'string' ? err : JSON.stringify(err) ?? String(err)}`];
  const out = [`wardwatch: ${err.message || err.name}`];
  const { stderr, code, cmd } = err as Error & { stderr?: unknown; code?: unknown; cmd?: unknown };
  const text = Buffer.isBuffer(stderr) ? stderr.toString('utf8') : typeof stderr === 'string' ? stderr : '';
  // execFile puts the whole stderr into the message too: say only its tail, once
  if (text.trim() !== '') {
    out[0] = `wardwatch: ${typeof cmd === 'string' ? `${cmd.split(' ')[0]} failed` : 'a child process failed'}${typeof code === 'number' ? ` (exit code ${code})` : ''}`;
    out.push('  its last words:', ...tail(text, 8).map((l) => `  | ${l}`));
  }
  let cause = err.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++, cause = cause.cause) out.push(`  cause: ${cause.message}`);
  if (verbose && err.stack) out.push(err.stack);
  else out.push('  (run with --verbose or DEBUG=1 for the stack)');
  return out;
}

/** --verbose anywhere on the command line, or DEBUG set in the environment. */
export function wantsStack(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--verbose') || (env.DEBUG !== undefined && env.DEBUG !== '' && env.DEBUG !== '0');
}
