// The hub's key for signing clip links: made once, at first start, into <storage>/keys/link.key (mode 0600).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../../shared/atomic.js';

export const LINK_KEY_FILE = path.join('keys', 'link.key');
const KEY_BYTES = 32;

export class LinkKeyError extends Error {
  readonly code = 'LINK_KEY';
}

function readKey(file: string): Buffer {
  if ((statSync(file).mode & 0o077) !== 0) throw new LinkKeyError(`link key ${file} can be read by other users: run chmod 600 ${file}`);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  if (key.length < KEY_BYTES) {
    throw new LinkKeyError(`link key ${file} is not a ${KEY_BYTES}-byte base64url key: remove it to make a new one (links already sent stop working)`);
  }
  return key;
}

/**
 * Returns the configured key when given, else the one in the storage root, creating it on first start. The new
 * key is written to a temp file, fsynced, then hard-linked into place: link() fails if another process made the
 * key first, and then both use that one, so two hubs starting at once never sign with different keys.
 */
export function loadLinkKey(storageRoot: string, configured?: string): Buffer {
  if (configured !== undefined) {
    const key = Buffer.from(configured, 'utf8');
    if (key.length < KEY_BYTES) throw new LinkKeyError(`the configured link key is shorter than ${KEY_BYTES} bytes: use a long random string`);
    return key;
  }
  const file = path.join(storageRoot, LINK_KEY_FILE);
  try {
    return readKey(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.link.key.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64url')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(dir);
  return readKey(file);
}
