// The edge's detector: YOLOX-Nano on onnxruntime, letterbox in, kept-class detections out. Its parts live in
// shared/detect/ (provisioning's model check uses them too): what a detection is (detection.ts), the letterbox
// (letterbox.ts), decoding (decode.ts), the session (session.ts). This module is their face for the edge.
export type { Box } from '../../shared/detect/box.js';
export {
  DetectorError,
  INPUT_SIZE,
  KEPT_CLASSES,
  type Detection,
  type DetectionLabel,
  type DetectorErrorCode,
  type InputSize,
  type RgbFrame,
} from '../../shared/detect/detection.js';
export { letterbox, letterboxGeometry, type LetterboxGeometry } from '../../shared/detect/letterbox.js';
export { decodeOutput, nms, NMS_IOU } from '../../shared/detect/decode.js';
export { createDetector, modelInputSize, type Detector, type DetectorOptions, type DetectorStats } from '../../shared/detect/session.js';
