// What to delete: pure choices over segments and protections, for retention by age and for the disk guard.

export interface SegmentInfo {
  id: number;
  camera: string;
  startMs: number;
  endMs: number;
  bytes: number;
}

export interface Protection {
  camera: string;
  fromMs: number;
  toMs: number;
  /** null: until released (an evidence hold) */
  keepUntilMs: number | null;
  releasedAt: number | null;
}

const DAY_MS = 86_400_000;

/** Is the segment covered by a protection still in force at `now`? */
export function isProtected(segment: SegmentInfo, protections: readonly Protection[], now: number): boolean {
  return protections.some(
    (p) =>
      p.camera === segment.camera &&
      p.releasedAt === null &&
      (p.keepUntilMs === null || p.keepUntilMs > now) &&
      p.fromMs < segment.endMs &&
      p.toMs > segment.startMs,
  );
}

/**
 * Retention by age: a segment whose end is older than its camera's `retainDays` goes, unless a protection in
 * force covers it (an event clip that needs it, or an evidence hold).
 */
export function expiredSegments<T extends SegmentInfo>(
  segments: readonly T[],
  protections: readonly Protection[],
  retainDays: (camera: string) => number,
  now: number,
): T[] {
  return segments.filter((s) => s.endMs < now - retainDays(s.camera) * DAY_MS && !isProtected(s, protections, now));
}

/**
 * The disk guard's victims: the oldest unprotected segments, across all cameras, until `bytesToFree` is reached.
 * `segments` must be sorted oldest first. Returns fewer bytes than asked when nothing else may go.
 */
export function segmentsToFree<T extends SegmentInfo>(segments: readonly T[], protections: readonly Protection[], bytesToFree: number, now: number): T[] {
  const victims: T[] = [];
  let freed = 0;
  for (const s of segments) {
    if (freed >= bytesToFree) break;
    if (isProtected(s, protections, now)) continue;
    victims.push(s);
    freed += s.bytes;
  }
  return victims;
}

export interface DiskState {
  freeBytes: number;
  totalBytes: number;
}

export interface DiskFloor {
  floorPercent: number;
  floorGb: number;
  marginGb: number;
}

/** The floor is the smaller of the two settings; the guard frees up to floor + margin. */
export function bytesToFree(disk: DiskState, floor: DiskFloor): number {
  const floorBytes = Math.min((disk.totalBytes * floor.floorPercent) / 100, floor.floorGb * 1e9);
  if (disk.freeBytes >= floorBytes) return 0;
  const margin = Math.min(floor.marginGb * 1e9, disk.totalBytes * 0.05);
  return Math.ceil(floorBytes + margin - disk.freeBytes);
}
