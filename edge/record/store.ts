// The segment index and its neighbours in the edge db: segments, gaps, protections, camera status.
import type { Db } from '../../shared/db.js';
import type { Protection, SegmentInfo } from './retention.js';

/** closer than this to the previous segment's end, a segment continues it (a frame at 15 fps is 67 ms) */
const CONTIGUOUS_MS = 40;

export type GapReason = 'offline' | 'stalled' | 'restarted' | 'disk' | 'shutdown';

export interface SegmentRow extends SegmentInfo {
  path: string;
}

export interface GapRow {
  id: number;
  camera: string;
  fromMs: number;
  toMs: number | null;
  reason: GapReason;
}

export class RecordStore {
  private readonly s;

  constructor(readonly db: Db) {
    this.s = {
      addSegment: db.prepare('INSERT OR IGNORE INTO segments (camera, path, start_ms, end_ms, bytes) VALUES (?, ?, ?, ?, ?)'),
      lastSegment: db.prepare('SELECT id, camera, path, start_ms AS startMs, end_ms AS endMs, bytes FROM segments WHERE camera = ? ORDER BY end_ms DESC, start_ms DESC LIMIT 1'),
      segmentsOf: db.prepare('SELECT id, camera, path, start_ms AS startMs, end_ms AS endMs, bytes FROM segments WHERE camera = ? ORDER BY start_ms'),
      allPaths: db.prepare('SELECT id, path FROM segments WHERE camera = ?'),
      oldest: db.prepare('SELECT id, camera, path, start_ms AS startMs, end_ms AS endMs, bytes FROM segments WHERE (start_ms, id) > (?, ?) ORDER BY start_ms, id LIMIT ?'),
      // a row the next run's first segment covered whole has no span left (end = start): nothing to play there
      inRange: db.prepare('SELECT id, camera, path, start_ms AS startMs, end_ms AS endMs, bytes FROM segments WHERE camera = ? AND end_ms > ? AND start_ms < ? AND end_ms > start_ms ORDER BY start_ms'),
      deleteSegment: db.prepare('DELETE FROM segments WHERE id = ?'),
      setTimes: db.prepare('UPDATE segments SET start_ms = ?, end_ms = ? WHERE camera = ? AND path = ?'),
      yieldTo: db.prepare('UPDATE segments SET end_ms = max(start_ms, @from) WHERE camera = @camera AND end_ms > @from AND start_ms < @to AND path != @path'),
      openGap: db.prepare('SELECT id, camera, from_ms AS fromMs, to_ms AS toMs, reason FROM gaps WHERE camera = ? AND to_ms IS NULL ORDER BY id DESC LIMIT 1'),
      insertGap: db.prepare('INSERT INTO gaps (camera, from_ms, to_ms, reason) VALUES (?, ?, ?, ?)'),
      closeGap: db.prepare('UPDATE gaps SET to_ms = ? WHERE id = ?'),
      deleteGap: db.prepare('DELETE FROM gaps WHERE id = ?'),
      lastGap: db.prepare('SELECT id, camera, from_ms AS fromMs, to_ms AS toMs, reason FROM gaps WHERE camera = ? ORDER BY from_ms DESC, id DESC LIMIT 1'),
      gapsOf: db.prepare('SELECT id, camera, from_ms AS fromMs, to_ms AS toMs, reason FROM gaps WHERE camera = ? AND (to_ms IS NULL OR to_ms > ?) AND from_ms < ? ORDER BY from_ms'),
      gapsSince: db.prepare('SELECT count(*) FROM gaps WHERE camera = ? AND from_ms >= ?').pluck(),
      protections: db.prepare('SELECT camera, from_ms AS fromMs, to_ms AS toMs, keep_until_ms AS keepUntilMs, released_at AS releasedAt FROM protections WHERE released_at IS NULL AND (keep_until_ms IS NULL OR keep_until_ms > ?)'),
      protect: db.prepare('INSERT INTO protections (camera, from_ms, to_ms, kind, ref, keep_until_ms, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      release: db.prepare('UPDATE protections SET released_at = ? WHERE id = ? AND released_at IS NULL'),
      releaseRef: db.prepare('UPDATE protections SET released_at = ? WHERE kind = ? AND ref = ? AND released_at IS NULL'),
      setStatus: db.prepare(
        `INSERT INTO camera_status (camera, state, last_segment_at, bytes_per_second, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (camera) DO UPDATE SET state = excluded.state, last_segment_at = excluded.last_segment_at,
           bytes_per_second = excluded.bytes_per_second, updated_at = excluded.updated_at`,
      ),
    };
  }

  /**
   * Indexes a closed segment and closes the camera's open gap at its start, in one transaction. Rows of a camera
   * never overlap: a recorder that reconnects gets the camera's cached GOP, frames up to 2 s old, so its first
   * segment may begin before the last one of the previous run ended; that one's row then ends where the new one
   * begins (its file holds a little more; concat lists stop it there with `outpoint`), and a short one it covers
   * whole keeps no span at all (its file stays until retention; ranges skip it). The first segment of a
   * recorder run settles where the gap before it ends. Returns false when the path was indexed already.
   */
  addSegment(seg: Omit<SegmentRow, 'id'>, o: { firstOfRun?: boolean } = {}): boolean {
    return this.db.transaction(() => {
      const previous = this.s.lastSegment.get(seg.camera) as SegmentRow | undefined;
      // a few milliseconds after the previous end is the next frame (two runs' clocks differ that much): no hole
      const startMs = previous && seg.startMs > previous.endMs && seg.startMs - previous.endMs <= CONTIGUOUS_MS ? previous.endMs : seg.startMs;
      const added = this.s.addSegment.run(seg.camera, seg.path, startMs, seg.endMs, seg.bytes).changes === 1;
      if (!added) return false;
      // rows this one overlaps end where it begins (one it covers whole keeps no span)
      this.s.yieldTo.run({ camera: seg.camera, from: startMs, to: seg.endMs, path: seg.path });
      if (o.firstOfRun) this.endGapAt(seg.camera, startMs);
      else this.closeGap(seg.camera, startMs);
      return true;
    })();
  }

  /**
   * Moves rows of one recorder run to better times (they stay contiguous): the first one's predecessors yield to it,
   * and when it was the run's first, the gap before it ends where it now begins.
   */
  retime(camera: string, rows: readonly { path: string; startMs: number; endMs: number }[], o: { firstOfRun: boolean }): void {
    const first = rows[0];
    if (!first) return;
    this.db.transaction(() => {
      for (const r of rows) this.s.setTimes.run(r.startMs, r.endMs, camera, r.path);
      this.s.yieldTo.run({ camera, from: first.startMs, to: first.endMs, path: first.path });
      if (o.firstOfRun) this.endGapAt(camera, first.startMs);
    })();
  }

  /**
   * Recording resumed at `toMs`: the open gap ends there. A run reports its first frame's time before its first
   * segment is listed, and again (more exactly) with it: the gap it closed moves to the later word.
   */
  endGapAt(camera: string, toMs: number): void {
    if (this.s.openGap.get(camera)) return this.closeGap(camera, toMs);
    const last = this.s.lastGap.get(camera) as GapRow | undefined;
    if (!last || last.toMs === null || last.toMs === toMs || Math.abs(last.toMs - toMs) > 1000) return;
    if (toMs > last.fromMs) this.s.closeGap.run(toMs, last.id);
    else this.s.deleteGap.run(last.id); // the run began before recording stopped: no hole after all
  }

  /** The camera's latest gap (open or closed). */
  lastGap(camera: string): GapRow | undefined {
    return this.s.lastGap.get(camera) as GapRow | undefined;
  }

  lastSegment(camera: string): SegmentRow | undefined {
    return this.s.lastSegment.get(camera) as SegmentRow | undefined;
  }

  segmentsOf(camera: string): SegmentRow[] {
    return this.s.segmentsOf.all(camera) as SegmentRow[];
  }

  /** Segments of a camera overlapping [fromMs, toMs), oldest first: what a clip or playback needs. */
  segmentsInRange(camera: string, fromMs: number, toMs: number): SegmentRow[] {
    return this.s.inRange.all(camera, fromMs, toMs) as SegmentRow[];
  }

  pathsOf(camera: string): { id: number; path: string }[] {
    return this.s.allPaths.all(camera) as { id: number; path: string }[];
  }

  /** A page of segments, oldest first, after the segment `after` (keyset paging on start time, then id). */
  oldestSegments(limit: number, after: { startMs: number; id: number } = { startMs: -1, id: 0 }): SegmentRow[] {
    return this.s.oldest.all(after.startMs, after.id, limit) as SegmentRow[];
  }

  deleteSegments(ids: readonly number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.s.deleteSegment.run(id)))();
  }

  /** Opens a gap unless one is open already (the first cause wins: it is when recording really stopped). */
  openGap(camera: string, fromMs: number, reason: GapReason): void {
    if (!this.s.openGap.get(camera)) this.s.insertGap.run(camera, fromMs, null, reason);
  }

  closeGap(camera: string, toMs: number): void {
    const gap = this.s.openGap.get(camera) as GapRow | undefined;
    if (!gap) return;
    if (toMs > gap.fromMs) this.s.closeGap.run(toMs, gap.id);
    else this.s.deleteGap.run(gap.id); // recording resumed before it stopped: overlapping segments, no gap
  }

  /** Records a gap that is already over (found between two segments). */
  addClosedGap(camera: string, fromMs: number, toMs: number, reason: GapReason): void {
    this.s.insertGap.run(camera, fromMs, toMs, reason);
  }

  gaps(camera: string, fromMs = 0, toMs = Number.MAX_SAFE_INTEGER): GapRow[] {
    return this.s.gapsOf.all(camera, fromMs, toMs) as GapRow[];
  }

  gapsSince(camera: string, sinceMs: number): number {
    return this.s.gapsSince.get(camera, sinceMs) as number;
  }

  protectionsInForce(now: number): Protection[] {
    return this.s.protections.all(now) as Protection[];
  }

  /** Keeps [fromMs, toMs) of a camera: until keepUntilMs or until released (an event's pending clip; a hold: null). */
  protect(p: { camera: string; fromMs: number; toMs: number; kind: 'event' | 'hold'; ref?: string; keepUntilMs: number | null; createdBy?: string; now: number }): number {
    return Number(this.s.protect.run(p.camera, p.fromMs, p.toMs, p.kind, p.ref ?? null, p.keepUntilMs, p.createdBy ?? null, p.now).lastInsertRowid);
  }

  release(id: number, now: number): boolean {
    return this.s.release.run(now, id).changes === 1;
  }

  /** Releases what was protected for `ref` (an event whose clip is cut, or will never be). */
  releaseRef(kind: 'event' | 'hold', ref: string, now: number): number {
    return this.s.releaseRef.run(now, kind, ref).changes;
  }

  setStatus(camera: string, state: string, lastSegmentAt: number | null, bytesPerSecond: number, now: number): void {
    this.s.setStatus.run(camera, state, lastSegmentAt, bytesPerSecond, now);
  }
}
