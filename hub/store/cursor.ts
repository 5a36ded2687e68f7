// The keyset cursor of the incident and sighting lists: the (start, id) of the last row shown, as opaque base64url
// (the API encodes and decodes it; the search pages by it).
import { ULID_PATTERN } from '../../shared/contract/index.js';

export interface Cursor {
  start: number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.start, c.id])).toString('base64url');
}

/** The cursor, or undefined when the text is not one of ours (the caller answers 400 naming `cursor`). */
export function decodeCursor(text: string): Cursor | undefined {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [start, id] = value as unknown[];
  if (typeof start !== 'number' || !Number.isSafeInteger(start) || typeof id !== 'string' || !ULID_PATTERN.test(id)) return undefined;
  return { start, id };
}
