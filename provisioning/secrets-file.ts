// Writes names into a secrets file (YAML, mode 0600), keeping its other entries and comments; atomic.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { isMap, parseDocument } from 'yaml';
import { replaceFile } from './replace-file.js';

export class SecretsEditError extends Error {}

/** `value: undefined` removes the name. Never logs or returns a value. */
export function setSecrets(file: string, entries: Readonly<Record<string, string | undefined>>): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const empty = !text.trim();
  const doc = parseDocument(empty ? '{}' : text);
  if (doc.errors.length) throw new SecretsEditError(`${file} is not valid YAML (${doc.errors[0]!.message.split('\n')[0]}): fix it or move it away`);
  if (!isMap(doc.contents)) throw new SecretsEditError(`${file} must be a mapping of name: value`);
  if (empty) doc.contents.flow = false;
  if (empty) doc.commentBefore = ' Wardwatch secrets by name (mode 0600). Never commit or share this file.';
  for (const [name, value] of Object.entries(entries)) {
    if (value === undefined) doc.delete(name);
    else doc.set(name, value);
  }
  // always 0600, whatever the old file had; its owner (the service user) is kept
  replaceFile(file, doc.toString({ lineWidth: 0, flowCollectionPadding: false }), 0o600, 0o600);
  chmodSync(file, 0o600);
}
