// Which box a camera belongs to (pure). Camera ids are unique within a ward, not within a box's config alone: two
// boxes of one ward could both be given a "cam-01". A camera belongs to the box that sends its data; another box of
// the ward takes it over only once the first has been silent about it for a while (the camera was moved between
// boxes), so two live boxes with the same camera id cannot mix their data in one camera's history.

/** silence of the holding box after which another box of the ward may take a camera over */
export const CAMERA_MOVES_AFTER_MS = 10 * 60_000;

/**
 * A row's "last seen" is written at most this often: every message of a busy camera (and every batch of its box)
 * rewriting the same rows would make hub processes sharing one PostgreSQL index collide on them all the time, and
 * the moments it serves (liveness on the health board, the 10 minutes of CAMERA_MOVES_AFTER_MS) need no finer grain.
 */
export const LAST_SEEN_EVERY_MS = 10_000;

/** Whether a row last written at `writtenAt` (undefined: never) should be written again now. */
export function lastSeenDue(writtenAt: number | undefined, now: number): boolean {
  return writtenAt === undefined || now - writtenAt >= LAST_SEEN_EVERY_MS || now < writtenAt;
}

export type CameraClaim = { ok: true; moved: boolean } | { ok: false; reason: string };

export function cameraClaim(held: { box: string | null; lastSeenAt: number } | undefined, box: string, camera: string, now: number): CameraClaim {
  if (!held || held.box === null || held.box === box) return { ok: true, moved: false };
  const silentFor = now - held.lastSeenAt;
  if (silentFor >= CAMERA_MOVES_AFTER_MS) return { ok: true, moved: true };
  return {
    ok: false,
    reason: `camera ${camera} belongs to box ${held.box} of this ward (it sent data ${Math.round(silentFor / 1000)} s ago): camera ids must be unique within a ward — rename one in its box's edge.yaml`,
  };
}
