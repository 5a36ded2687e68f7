// Makes the segment index match the disk: adopts files it does not know (a recorder killed mid-segment leaves
// one), drops rows whose file is gone, and deletes files that hold no readable video at all.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { probe } from '../../shared/ffmpeg/probe.js';
import type { FfmpegTools } from '../../shared/ffmpeg/locate.js';
import type { Logger } from '../../shared/log.js';
import { cameraDir, hourDir, timeFromPath } from './paths.js';
import type { RecordStore } from './store.js';

export interface ReconcileResult {
  adopted: number;
  dropped: number;
  deletedUnreadable: number;
}

async function listSegments(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith('.mp4')) out.push(path.join(e.parentPath, e.name));
  }
  return out;
}

async function adopt(file: string, camera: string, store: RecordStore, tools: FfmpegTools, logger: Logger, result: ReconcileResult): Promise<void> {
  const startMs = timeFromPath(file);
  if (startMs === undefined) return;
  let duration: number | undefined;
  try {
    duration = (await probe(tools, file)).durationSeconds;
  } catch {
    duration = undefined;
  }
  if (!duration || duration <= 0) {
    // killed before its first fragment was complete: nothing in it can be played
    await rm(file, { force: true });
    result.deletedUnreadable++;
    logger.warn({ camera, file }, 'deleted a segment with no readable video');
    return;
  }
  const { size } = await stat(file);
  if (store.addSegment({ camera, path: file, startMs, endMs: startMs + Math.round(duration * 1000), bytes: size })) result.adopted++;
}

/** Full reconcile of one camera (at start). */
export async function reconcileCamera(root: string, camera: string, store: RecordStore, tools: FfmpegTools, logger: Logger): Promise<ReconcileResult> {
  const result: ReconcileResult = { adopted: 0, dropped: 0, deletedUnreadable: 0 };
  const onDisk = new Set(await listSegments(cameraDir(root, camera)));
  const gone: number[] = [];
  for (const row of store.pathsOf(camera)) {
    if (onDisk.has(row.path)) onDisk.delete(row.path);
    else gone.push(row.id);
  }
  if (gone.length) {
    store.deleteSegments(gone);
    result.dropped = gone.length;
  }
  for (const file of [...onDisk].sort()) await adopt(file, camera, store, tools, logger, result);
  return result;
}

/** Quick reconcile of the last two hours of a camera (after its recorder was killed mid-segment). */
export async function reconcileRecent(root: string, camera: string, store: RecordStore, tools: FfmpegTools, logger: Logger, now: number): Promise<ReconcileResult> {
  const result: ReconcileResult = { adopted: 0, dropped: 0, deletedUnreadable: 0 };
  const known = new Set(store.segmentsInRange(camera, now - 2 * 3_600_000, now + 3_600_000).map((s) => s.path));
  for (const dir of new Set([hourDir(root, camera, now - 3_600_000), hourDir(root, camera, now)])) {
    for (const file of (await listSegments(dir)).sort()) {
      if (!known.has(file)) await adopt(file, camera, store, tools, logger, result);
    }
  }
  return result;
}
