// What the detector takes and gives: an RGB frame in, detections of the six kept classes out; the model's input
// size; the detector's errors, each with a code.
import type { Box } from './box.js';

export type { Box };

/** A decoded video frame: packed RGB24, `width * height * 3` bytes. */
export interface RgbFrame {
  data: Uint8Array;
  width: number;
  height: number;
}

export type DetectionLabel = 'person' | 'bicycle' | 'car' | 'motorcycle' | 'bus' | 'truck';

export interface Detection {
  label: DetectionLabel;
  score: number;
  box: Box;
  /** its colours (appearance.ts), added by the pipeline for the tracker */
  appearance?: Float32Array | undefined;
}

/** COCO class id → our label; every other COCO class is dropped (see MODEL.md). */
export const KEPT_CLASSES: ReadonlyMap<number, DetectionLabel> = new Map([
  [0, 'person'],
  [1, 'bicycle'],
  [2, 'car'],
  [3, 'motorcycle'],
  [5, 'bus'],
  [7, 'truck'],
]);

export const INPUT_SIZE = 416;

/**
 * The model's input in pixels: 416×416 for the model that ships, or shaped like the camera's frame (e.g. 640×384)
 * when `wardwatch provision model` made one for the box's detect size (provisioning/model-shape.ts).
 */
export interface InputSize {
  width: number;
  height: number;
}

/** A square side or a width × height, as a width × height. */
export const inputSizeOf = (size: number | InputSize): InputSize => (typeof size === 'number' ? { width: size, height: size } : size);

export type DetectorErrorCode = 'MODEL_NOT_FOUND' | 'MODEL_INVALID' | 'RUNTIME_UNAVAILABLE' | 'BAD_FRAME' | 'CLOSED';

export class DetectorError extends Error {
  readonly code: DetectorErrorCode;
  constructor(code: DetectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DetectorError';
    this.code = code;
  }
}
