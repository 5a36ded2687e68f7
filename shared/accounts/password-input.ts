// Where an administrator's new password comes from: a file, a prompt on a terminal, or generated.
import { readFileSync } from 'node:fs';
import { UsageError } from '../command.js';
import { generatePassword } from './policy.js';

export type PasswordSource = { password: string; generated: boolean };

/** Reads a line without echoing it (a terminal in raw mode); resolves on Enter, rejects on Ctrl-C / Ctrl-D. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    process.stderr.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new UsageError('cancelled'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * `--password-file` (its first line), else a prompt when stdin is a terminal (asked twice), else a
 * generated password the caller prints once.
 */
export async function readNewPassword(passwordFile: string | undefined): Promise<PasswordSource> {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(passwordFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--password-file: cannot read ${passwordFile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    const password = text.split(/\r?\n/)[0] ?? '';
    if (!password) throw new UsageError(`--password-file: ${passwordFile} is empty; put the password on its first line`);
    return { password, generated: false };
  }
  if (process.stdin.isTTY) {
    const first = await promptHidden('new password: ');
    if (!first) return { password: generatePassword(), generated: true };
    const again = await promptHidden('again: ');
    if (again !== first) throw new UsageError('the two passwords differ; nothing was changed');
    return { password: first, generated: false };
  }
  return { password: generatePassword(), generated: true };
}
