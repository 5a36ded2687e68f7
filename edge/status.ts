// Box health for the hub: builds the contract's status messages from what the parts report.
import { statfs } from 'node:fs/promises';
import type { CameraStatus, NtpState, WardStatus } from '../shared/contract/index.js';
import type { ModelSource } from './detect/model-file.js';
import type { CameraRecordingStatus } from './record/service.js';

export interface BoxFacts {
  ward: string;
  version: string;
  startedAt: number;
  now: number;
  disk: { freeBytes: number; totalBytes: number };
  outboxDepth: number;
  cameras: CameraRecordingStatus[];
  detector: 'onnx' | 'motion-only' | 'off';
  model: ModelSource;
  alarms: string[];
  /** whether NTP keeps the box's clock right (edge/clock/) */
  ntp: NtpState;
}

export function wardStatus(f: BoxFacts): WardStatus {
  return {
    state: 'online',
    ward: f.ward,
    version: f.version,
    startedAt: f.startedAt,
    at: f.now,
    disk: f.disk,
    outboxDepth: f.outboxDepth,
    cameras: { recording: f.cameras.filter((c) => c.state === 'recording').length, total: f.cameras.length },
    detector: f.detector,
    model: f.model,
    alarms: f.alarms.slice(0, 20).map((a) => a.slice(0, 200)),
    clock: { ntp: f.ntp },
  };
}

/** What a camera's street looks like over the last minute (detection and events). */
export interface CameraStreet {
  detectFps: number;
  sightingsPerMin: number;
  alertsPerMin: number;
  framesLostPerMin: number;
  detectedFps: number;
  framesSkippedPerMin: number;
}

/** `clockSkewMs`: camera clock minus box clock, null when unknown (edge/clock/); `location`: edge.yaml's, if any. */
export function cameraStatus(ward: string, s: CameraRecordingStatus, now: number, street: CameraStreet, clockSkewMs: number | null, location?: { lat: number; lon: number }): CameraStatus {
  const state = s.state === 'recording' || s.state === 'stalled' || s.state === 'disabled' ? s.state : 'offline';
  return { ward, camera: s.camera, state, at: now, lastSegmentAt: s.lastSegmentAt, gapsToday: s.gapsToday, bytesPerSecond: s.bytesPerSecond, ...street, clockSkewMs, ...(location ? { location: { lat: location.lat, lon: location.lon } } : {}) };
}

export async function diskOf(root: string): Promise<{ freeBytes: number; totalBytes: number }> {
  const s = await statfs(root);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}
