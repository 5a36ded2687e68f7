// Clip files: a sparse temp file per transfer that chunks are written into, then hashed and renamed into place.
// Owner-only (0600 files, 0700 folders), as the footage they hold.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fchmodSync, fsyncSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { commitFileSync, fsyncDir } from '../../shared/atomic.js';
import { storePaths } from './paths.js';

/** Creates (or empties) the temp file of a transfer at its full size; returns its relative path. */
export function createPartialClip(root: string, eventId: string, bytes: number): string {
  const relative = storePaths.partialClip(eventId);
  const file = path.join(root, relative);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // 'w' keeps the mode of a file that exists (a transfer begun again): set it either way
  const fd = openSync(file, 'w', 0o600);
  fchmodSync(fd, 0o600);
  try {
    ftruncateSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(path.dirname(file));
  return relative;
}

/** Open temp files of one batch: chunks are written as they come, and every file is fsynced once before the commit. */
export class ChunkWriter {
  private readonly fds = new Map<string, number>();

  constructor(private readonly root: string) {}

  write(relative: string, offset: number, data: Uint8Array): void {
    let fd = this.fds.get(relative);
    if (fd === undefined) {
      fd = openSync(path.join(this.root, relative), 'r+');
      this.fds.set(relative, fd);
    }
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
  }

  /** forgets a file that is being replaced (its writes no longer matter) */
  drop(relative: string): void {
    const fd = this.fds.get(relative);
    if (fd !== undefined) closeSync(fd);
    this.fds.delete(relative);
  }

  syncAll(): void {
    for (const fd of this.fds.values()) fsyncSync(fd);
  }

  closeAll(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Moves a verified temp file (already fsynced chunk by chunk) to its final place, durably. */
export function commitClip(root: string, tempRelative: string, ward: string, eventId: string): string {
  const relative = storePaths.clip(ward, eventId);
  const target = path.join(root, relative);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  commitFileSync(path.join(root, tempRelative), target);
  return relative;
}

export function removeFile(root: string, relative: string): void {
  rmSync(path.join(root, relative), { force: true });
}
