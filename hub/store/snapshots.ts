// Snapshot files: the event's JPEG written to a temp file and fsynced off the event loop, then renamed into
// place inside the ingest transaction, so the db never names a snapshot that is not on disk. Owner-only (0600 files,
// 0700 folders): they show people and plates.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { storePaths } from './paths.js';

export interface PendingSnapshot {
  /** absolute temp path, already written and fsynced */
  temp: string;
  /** relative final path */
  relative: string;
}

export async function writeSnapshotTemp(root: string, ward: string, eventId: string, base64: string): Promise<PendingSnapshot> {
  const relative = storePaths.snapshot(ward, eventId);
  const dir = path.dirname(path.join(root, relative));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${eventId}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(Buffer.from(base64, 'base64'));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { temp, relative };
}

/** Renames into place; returns the directory to fsync before the commit. */
export function commitSnapshot(root: string, pending: PendingSnapshot): string {
  const target = path.join(root, pending.relative);
  mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  renameSync(pending.temp, target);
  return path.dirname(target);
}

export function discardSnapshot(pending: PendingSnapshot): void {
  rmSync(pending.temp, { force: true });
}

/** Removes temp files a crash left behind. */
export async function sweepSnapshotTemps(root: string): Promise<number> {
  const base = path.join(root, 'snapshots');
  let removed = 0;
  const wards = await readdir(base).catch(() => [] as string[]);
  for (const ward of wards) {
    const names = await readdir(path.join(base, ward)).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith('.') && n.endsWith('.tmp'))) {
      await rm(path.join(base, ward, name), { force: true });
      removed++;
    }
  }
  return removed;
}
