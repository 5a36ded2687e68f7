// Ward, box and camera health for the health board, from the retained status rows (pure: rows and the clock in).
// A box reports its own status; a ward's health is its boxes' (docs/wards-and-boxes.md).
import { clockSkewed, type CameraStatus, type NtpState, type WardStatus } from '../../shared/contract/index.js';

/** A box publishes its status every 30 s and a camera's every 60 s: three missed ones make it stale. */
export const STALE_AFTER_MS = { ward: 90_000, camera: 180_000 } as const;

/** a box with its last status */
export interface BoxRow {
  id: string;
  name: string;
  last_seen_at: number | null;
  /** from box_status, null when the box never reported */
  state: string | null;
  status: string | null;
  updated_at: number | null;
}

export interface CameraRow {
  ward: string;
  camera: string;
  /** the box that sends it (absent: the ward's own) */
  box_id?: string | null;
  last_seen_at: number;
  state: string | null;
  status: string | null;
  updated_at: number | null;
}

/** `stale`: said it was online, then went quiet without a Last Will (e.g. the uplink hangs). */
export type Liveness = 'online' | 'offline' | 'stale' | 'unknown';

export interface CameraHealth {
  camera: string;
  /** the recorder's state as last reported; `unknown` when its ward or its status is not current */
  state: CameraStatus['state'] | 'unknown';
  recording: boolean;
  lastSegmentAt: number | null;
  gapsToday: number | null;
  bytesPerSecond: number | null;
  detectFps: number | null;
  /** over the last minute, from boxes since 0.2: objects that passed, alerts raised, frames the detector could not take */
  sightingsPerMin: number | null;
  alertsPerMin: number | null;
  framesLostPerMin: number | null;
  /** the detector's effective rate for this camera and the frames its overload plan skipped (boxes since 0.3) */
  detectedFps: number | null;
  framesSkippedPerMin: number | null;
  /** camera clock minus its box's clock (ms), null when unknown (no ONVIF, no answer, an older box) */
  clockSkewMs: number | null;
  /** further off than the contract's CLOCK_SKEW_WARN_MS: the page warns */
  clockSkewed: boolean;
  /** hub clock: the last status or message about this camera */
  lastSeenAt: number | null;
}

export interface BoxHealth {
  id: string;
  name: string;
  state: Liveness;
  online: boolean;
  lastSeenAt: number | null;
  version: string | null;
  diskFreeBytes: number | null;
  diskTotalBytes: number | null;
  outboxDepth: number | null;
  camerasRecording: number | null;
  camerasTotal: number | null;
  detector: string | null;
  /** whether NTP keeps the box's clock right; null when not known here (offline, an older box) */
  clockNtp: NtpState | null;
  alarms: string[];
  cameras: CameraHealth[];
}

/**
 * A ward: its boxes' figures together (cameras and outboxes summed, the fullest disk, the worst liveness: a ward with
 * one box offline is offline, and its alarms say which), and each box on its own. A one-box ward reads as its box.
 */
export interface WardHealth extends BoxHealth {
  boxes: BoxHealth[];
}

function parse<T>(text: string | null): T | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

export function wardLiveness(row: Pick<BoxRow, 'state' | 'updated_at'>, now: number): Liveness {
  if (row.state === null || row.updated_at === null) return 'unknown';
  if (row.state === 'offline') return 'offline';
  return now - row.updated_at > STALE_AFTER_MS.ward ? 'stale' : 'online';
}

export function cameraHealth(row: CameraRow, wardOnline: boolean, now: number): CameraHealth {
  const s = parse<CameraStatus>(row.status);
  const current = wardOnline && s !== null && row.updated_at !== null && now - row.updated_at <= STALE_AFTER_MS.camera;
  const state = current ? s.state : 'unknown';
  return {
    camera: row.camera,
    state,
    recording: state === 'recording',
    lastSegmentAt: s?.lastSegmentAt ?? null,
    gapsToday: s?.gapsToday ?? null,
    bytesPerSecond: s?.bytesPerSecond ?? null,
    detectFps: s?.detectFps ?? null,
    sightingsPerMin: s?.sightingsPerMin ?? null,
    alertsPerMin: s?.alertsPerMin ?? null,
    framesLostPerMin: s?.framesLostPerMin ?? null,
    detectedFps: s?.detectedFps ?? null,
    framesSkippedPerMin: s?.framesSkippedPerMin ?? null,
    clockSkewMs: s?.clockSkewMs ?? null,
    clockSkewed: clockSkewed(s?.clockSkewMs),
    lastSeenAt: Math.max(row.last_seen_at, row.updated_at ?? 0) || null,
  };
}

export function boxHealth(row: BoxRow, cameras: readonly CameraRow[], now: number): BoxHealth {
  const state = wardLiveness(row, now);
  const s = parse<WardStatus>(row.status);
  // an offline status carries no figures: the last online one is not kept, so the figures are unknown
  const on = s?.state === 'online' ? s : null;
  const lastSeen = Math.max(row.last_seen_at ?? 0, row.updated_at ?? 0);
  return {
    id: row.id,
    name: row.name,
    state,
    online: state === 'online',
    lastSeenAt: lastSeen || null,
    version: on?.version ?? null,
    diskFreeBytes: on?.disk.freeBytes ?? null,
    diskTotalBytes: on?.disk.totalBytes ?? null,
    outboxDepth: on?.outboxDepth ?? null,
    camerasRecording: on?.cameras.recording ?? null,
    camerasTotal: on?.cameras.total ?? null,
    detector: on?.detector ?? null,
    clockNtp: on?.clock?.ntp ?? null,
    alarms: on?.alarms ?? [],
    cameras: cameras.map((c) => cameraHealth(c, state === 'online', now)),
  };
}

const WORST_FIRST: readonly Liveness[] = ['offline', 'stale', 'unknown', 'online'];

const sumOf = (values: (number | null)[]): number | null => (values.every((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0));
const distinct = (values: (string | null)[]): string | null => [...new Set(values.filter((v): v is string => v !== null))].join(', ') || null;

export function wardHealth(ward: { id: string; name: string; last_seen_at: number | null }, boxes: readonly BoxHealth[]): WardHealth {
  const alone = boxes.length === 1 && boxes[0]!.id === ward.id;
  const state = boxes.length === 0 ? 'unknown' : WORST_FIRST.find((l) => boxes.some((b) => b.state === l))!;
  const fullest = boxes
    .filter((b) => b.diskFreeBytes !== null && b.diskTotalBytes)
    .sort((a, b) => a.diskFreeBytes! / a.diskTotalBytes! - b.diskFreeBytes! / b.diskTotalBytes!)[0];
  const lastSeen = Math.max(ward.last_seen_at ?? 0, ...boxes.map((b) => b.lastSeenAt ?? 0));
  return {
    id: ward.id,
    name: ward.name,
    state,
    online: state === 'online',
    lastSeenAt: lastSeen || null,
    version: distinct(boxes.map((b) => b.version)),
    diskFreeBytes: fullest?.diskFreeBytes ?? null,
    diskTotalBytes: fullest?.diskTotalBytes ?? null,
    outboxDepth: sumOf(boxes.map((b) => b.outboxDepth)),
    camerasRecording: sumOf(boxes.map((b) => b.camerasRecording)),
    camerasTotal: sumOf(boxes.map((b) => b.camerasTotal)),
    detector: distinct(boxes.map((b) => b.detector)),
    clockNtp: boxes.find((b) => b.clockNtp !== null && b.clockNtp !== 'synced')?.clockNtp ?? boxes.find((b) => b.clockNtp !== null)?.clockNtp ?? null,
    // a one-box ward's alarms read as they always did; a box of several names itself
    alarms: alone ? boxes[0]!.alarms : boxes.flatMap((b) => [...(b.state === 'online' ? [] : [`box ${b.id} ${b.state}`]), ...b.alarms.map((a) => `${b.id}: ${a}`)]),
    cameras: boxes.flatMap((b) => b.cameras).sort((a, b) => a.camera.localeCompare(b.camera)),
    boxes: [...boxes],
  };
}
