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

/**
 * Where a segment that was never listed (its ffmpeg was killed while writing it) began. Its name has the second
 * ffmpeg opened it, truncated, and opening comes after the first frame (by up to the 2 s of a cached GOP). The
 * index knows the exact times it can be: where the camera's last segment ended (the run went on), where its last
 * gap ended (the run began with it), or what the recorder said before it died. The latest that fits the name wins
 * (a run's own last end is later than the gap that began it); none fits → the name's time.
 */
export function unlistedStart(nameMs: number, candidates: readonly (number | null | undefined)[]): number {
  const fits = candidates.filter((c): c is number => typeof c === 'number' && c >= nameMs - 2500 && c < nameMs + 1000);
  return fits.length ? Math.max(...fits) : nameMs;
}

async function adopt(file: string, camera: string, store: RecordStore, tools: FfmpegTools, logger: Logger, result: ReconcileResult, hintMs?: number): Promise<void> {
  const nameMs = timeFromPath(file);
  if (nameMs === undefined) return;
  const startMs = unlistedStart(nameMs, [store.lastSegment(camera)?.endMs, store.lastGap(camera)?.toMs, hintMs]);
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

/**
 * Quick reconcile of the last two hours of a camera (after its recorder was killed mid-segment); `openSegmentStartMs`
 * is where the recorder says the segment it was writing began.
 */
export async function reconcileRecent(root: string, camera: string, store: RecordStore, tools: FfmpegTools, logger: Logger, now: number, openSegmentStartMs?: number): Promise<ReconcileResult> {
  const result: ReconcileResult = { adopted: 0, dropped: 0, deletedUnreadable: 0 };
  const known = new Set(store.segmentsInRange(camera, now - 2 * 3_600_000, now + 3_600_000).map((s) => s.path));
  for (const dir of new Set([hourDir(root, camera, now - 3_600_000), hourDir(root, camera, now)])) {
    for (const file of (await listSegments(dir)).sort()) {
      if (!known.has(file)) await adopt(file, camera, store, tools, logger, result, openSegmentStartMs);
    }
  }
  return result;
}
