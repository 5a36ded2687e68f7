// Paths from the db to files under the storage root: never outside it, whatever the db holds.
import path from 'node:path';
import type { HubStore } from '../store/store.js';

/** The absolute path of a stored relative path, or undefined when it would leave the storage root. */
export function storedFile(store: HubStore, relative: string | null): string | undefined {
  if (!relative) return undefined;
  const file = path.resolve(store.root, relative);
  return file.startsWith(store.root + path.sep) ? file : undefined;
}
