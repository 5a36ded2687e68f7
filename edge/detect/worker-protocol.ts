// Messages between the main thread and the detector worker: frames go over as transferred ArrayBuffers and come back.
import type { Detection, DetectorErrorCode, DetectorStats } from './detector.js';

export type ToWorker =
  | { type: 'detect'; id: number; buffer: ArrayBuffer; byteOffset: number; length: number; width: number; height: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-failed'; code: DetectorErrorCode; message: string }
  | { type: 'result'; id: number; detections: Detection[]; buffer: ArrayBuffer; byteOffset: number; length: number; stats: DetectorStats }
  | { type: 'failed'; id: number; message: string; buffer: ArrayBuffer; byteOffset: number; length: number };
