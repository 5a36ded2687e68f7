// Secrets by name: from the environment (WARDWATCH_SECRET_<NAME>) first, then the secrets file (mode 0600).
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'yaml';

export type Secrets = ReadonlyMap<string, string>;

export function secretEnvName(name: string): string {
  return `WARDWATCH_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

export class SecretsFileError extends Error {
  readonly code = 'SECRETS_FILE';
}

/** Reads a secrets file: a YAML mapping of name → string. A missing file is an empty set. */
export function readSecretsFile(file: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new SecretsFileError(`cannot read secrets file ${file}: ${(err as Error).message}`);
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new SecretsFileError(`secrets file ${file} can be read by other users: run chmod 600 ${file}`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new SecretsFileError(`secrets file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const out = new Map<string, string>();
  if (data === null || data === undefined) return out;
  if (typeof data !== 'object' || Array.isArray(data)) throw new SecretsFileError(`secrets file ${file} must be a mapping of name: value`);
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string' && typeof v !== 'number') throw new SecretsFileError(`secrets file ${file}: "${k}" must be a string`);
    out.set(k, String(v));
  }
  return out;
}

export function lookupSecret(name: string, file: Map<string, string>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[secretEnvName(name)] ?? file.get(name);
}
