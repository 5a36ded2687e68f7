// Decoding: the YOLOX output grid turned into detections of the kept classes in frame pixels (score, threshold,
// class-aware NMS, the letterbox undone, boxes clipped to the frame). Pure.
import { iou, type Box } from './box.js';
import { DetectorError, INPUT_SIZE, KEPT_CLASSES, inputSizeOf, type Detection, type InputSize } from './detection.js';
import type { LetterboxGeometry } from './letterbox.js';

const STRIDES = [8, 16, 32] as const;
const ROW = 85; // tx, ty, tw, th, obj, 80 class probabilities
const NUM_CLASSES = 80;
export const NMS_IOU = 0.45;

/**
 * Turns the raw `[1, rows, 85]` output (3549 rows at 416×416) into detections of kept classes in source-frame pixels:
 * grid decode, score = obj · max(cls), threshold, class-aware NMS, undo the letterbox scale, clip.
 * The class is the arg-max over all 80 classes, so a dog stays a dog (and is dropped) rather
 * than becoming a low-scoring person.
 */
export function decodeOutput(
  output: Float32Array,
  geometry: LetterboxGeometry,
  frameWidth: number,
  frameHeight: number,
  minScore = 0.3,
  inputSize: number | InputSize = INPUT_SIZE,
): Detection[] {
  const input = inputSizeOf(inputSize);
  const rows = STRIDES.reduce((n, s) => n + (input.width / s) * (input.height / s), 0);
  if (output.length < rows * ROW) {
    throw new DetectorError('MODEL_INVALID', `model output has ${output.length} values, expected ${rows * ROW}`);
  }
  const candidates: Detection[] = [];
  let row = 0;
  for (const stride of STRIDES) {
    const cols = input.width / stride;
    const cellRows = input.height / stride;
    for (let gy = 0; gy < cellRows; gy++) {
      for (let gx = 0; gx < cols; gx++, row++) {
        const base = row * ROW;
        const obj = output[base + 4]!;
        // score ≤ obj, so most rows are rejected before the 80-class scan.
        if (obj < minScore) continue;
        let best = 0;
        let classId = 0;
        for (let c = 0; c < NUM_CLASSES; c++) {
          const p = output[base + 5 + c]!;
          if (p > best) {
            best = p;
            classId = c;
          }
        }
        const score = obj * best;
        if (score < minScore) continue;
        const label = KEPT_CLASSES.get(classId);
        if (label === undefined) continue;
        const cx = (output[base]! + gx) * stride;
        const cy = (output[base + 1]! + gy) * stride;
        const w = Math.exp(output[base + 2]!) * stride;
        const h = Math.exp(output[base + 3]!) * stride;
        const box = clipBox((cx - w / 2) / geometry.r, (cy - h / 2) / geometry.r, (cx + w / 2) / geometry.r, (cy + h / 2) / geometry.r, frameWidth, frameHeight);
        if (box === null) continue;
        candidates.push({ label, score, box });
      }
    }
  }
  return nms(candidates, NMS_IOU);
}

function clipBox(x1: number, y1: number, x2: number, y2: number, width: number, height: number): Box | null {
  const ax = Math.max(0, Math.min(width, x1));
  const ay = Math.max(0, Math.min(height, y1));
  const bx = Math.max(0, Math.min(width, x2));
  const by = Math.max(0, Math.min(height, y2));
  if (bx <= ax || by <= ay) return null;
  return { x: ax, y: ay, w: bx - ax, h: by - ay };
}

/**
 * Class-aware non-maximum suppression: highest score first; a box is dropped when it overlaps
 * an already kept box of the same label by more than `iouThreshold`. Returns a new array,
 * best score first.
 */
export function nms<T extends { label: string; score: number; box: Box }>(items: readonly T[], iouThreshold = NMS_IOU): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const item of sorted) {
    let suppressed = false;
    for (const k of kept) {
      if (k.label === item.label && iou(k.box, item.box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(item);
  }
  return kept;
}
