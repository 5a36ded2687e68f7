// Where segments live: `<root>/<camera>/YYYY-MM-DD/HH/MM.SS.mp4`, in UTC (the recorder runs ffmpeg with TZ=UTC).
import path from 'node:path';

const pad = (n: number) => String(n).padStart(2, '0');

export function cameraDir(root: string, camera: string): string {
  return path.join(root, camera);
}

export function hourDir(root: string, camera: string, ms: number): string {
  const d = new Date(ms);
  return path.join(root, camera, `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`, pad(d.getUTCHours()));
}

/** The strftime pattern handed to ffmpeg's segment muxer. */
export function segmentPattern(root: string, camera: string): string {
  return path.join(root, camera, '%Y-%m-%d', '%H', '%M.%S.mp4');
}

const PATH_TIME = /(\d{4})-(\d{2})-(\d{2})[/\\](\d{2})[/\\](\d{2})\.(\d{2})\.mp4$/;

/** The start time a segment's path encodes, or undefined for a file that is not a segment. */
export function timeFromPath(file: string): number | undefined {
  const m = PATH_TIME.exec(file);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The segment muxer lists only a file's base name (`MM.SS.mp4`); the hour and date come from when it closed.
 * `closedAt − duration` is close to its start, so the hour within ±30 min of that is the one.
 */
export function resolveListedSegment(root: string, camera: string, baseName: string, closedAtMs: number, durationMs: number): { path: string; startMs: number } | undefined {
  const m = /^(\d{2})\.(\d{2})\.mp4$/.exec(baseName);
  if (!m) return undefined;
  const approx = closedAtMs - durationMs;
  const hour = new Date(approx);
  hour.setUTCMinutes(Number(m[1]), Number(m[2]), 0);
  let start = hour.getTime();
  if (start - approx > 30 * 60_000) start -= 3_600_000;
  else if (approx - start > 30 * 60_000) start += 3_600_000;
  return { path: path.join(hourDir(root, camera, start), baseName), startMs: start };
}
