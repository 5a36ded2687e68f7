// Object detector: one shared YOLOX-Nano onnxruntime session, letterbox in, kept-class detections out.
import { access, constants } from 'node:fs/promises';
// Types only: the native runtime is loaded in createDetector, so that motion, tracking and the
// pure parts here work (and a motion-only box runs) without onnxruntime present.
import type * as Ort from 'onnxruntime-node';

import { iou, type Box } from '../geometry.js';

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

const sizeOf = (size: number | InputSize): InputSize => (typeof size === 'number' ? { width: size, height: size } : size);
const PAD_VALUE = 114;
const STRIDES = [8, 16, 32] as const;
const ROW = 85; // tx, ty, tw, th, obj, 80 class probabilities
const NUM_CLASSES = 80;
export const NMS_IOU = 0.45;

export type DetectorErrorCode = 'MODEL_NOT_FOUND' | 'MODEL_INVALID' | 'RUNTIME_UNAVAILABLE' | 'BAD_FRAME' | 'CLOSED';

export class DetectorError extends Error {
  readonly code: DetectorErrorCode;
  constructor(code: DetectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DetectorError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Letterbox

/** Where the frame landed inside the square model input. */
export interface LetterboxGeometry {
  /** scale applied to the source frame */
  r: number;
  /** size of the resized frame at the top-left of the input */
  newW: number;
  newH: number;
}

export function letterboxGeometry(width: number, height: number, size: number | InputSize = INPUT_SIZE): LetterboxGeometry {
  const input = sizeOf(size);
  const r = Math.min(input.width / width, input.height / height);
  // floor(w·r) as MODEL.md says, but w·416/w can come out as 415.9999…: snap before flooring.
  const newW = Math.max(1, Math.min(input.width, Math.floor(width * r + 1e-6)));
  const newH = Math.max(1, Math.min(input.height, Math.floor(height * r + 1e-6)));
  return { r, newW, newH };
}

/**
 * Bilinear sampling tables for one source size, cached because a camera's size never changes:
 * per output column the two source byte offsets and the weight of the right one, likewise per row.
 */
interface ResizeTables {
  srcW: number;
  srcH: number;
  geometry: LetterboxGeometry;
  x0: Int32Array;
  x1: Int32Array;
  wx: Float32Array;
  y0: Int32Array;
  y1: Int32Array;
  wy: Float32Array;
}

// Half-pixel-centre mapping (cv2.INTER_LINEAR, which the YOLOX reference pre-processing uses).
function axisTable(src: number, dst: number, stride: number): [Int32Array, Int32Array, Float32Array] {
  const i0 = new Int32Array(dst);
  const i1 = new Int32Array(dst);
  const w = new Float32Array(dst);
  const scale = src / dst;
  for (let d = 0; d < dst; d++) {
    let s = (d + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    let a = Math.floor(s);
    if (a > src - 1) a = src - 1;
    const b = a + 1 < src ? a + 1 : a;
    i0[d] = a * stride;
    i1[d] = b * stride;
    w[d] = s - a;
  }
  return [i0, i1, w];
}

const tableCache = new Map<string, ResizeTables>();

function resizeTables(srcW: number, srcH: number, size: InputSize): ResizeTables {
  const key = `${srcW}x${srcH}@${size.width}x${size.height}`;
  let t = tableCache.get(key);
  if (t === undefined) {
    const geometry = letterboxGeometry(srcW, srcH, size);
    const [x0, x1, wx] = axisTable(srcW, geometry.newW, 3);
    const [y0, y1, wy] = axisTable(srcH, geometry.newH, srcW * 3);
    t = { srcW, srcH, geometry, x0, x1, wx, y0, y1, wy };
    // A box sees a handful of distinct sub-stream sizes; the bound only guards against misuse.
    if (tableCache.size > 64) tableCache.clear();
    tableCache.set(key, t);
  }
  return t;
}

/**
 * Letterboxes an RGB24 frame into `out` as the model wants it (`size`: its input, square or shaped like the frame): NCHW float32, planes B, G, R,
 * raw 0–255, the frame bilinearly resized to the top-left, the rest filled with 114.
 * Writes every element of `out` (no stale data from a previous frame) and allocates nothing
 * once the tables for this frame size exist.
 */
export function letterbox(frame: RgbFrame, out: Float32Array, inputSize: number | InputSize = INPUT_SIZE): LetterboxGeometry {
  const { data, width, height } = frame;
  checkFrame(frame);
  const input = sizeOf(inputSize);
  const size = input.width; // a row of the input
  const plane = input.width * input.height;
  if (out.length < 3 * plane) {
    throw new DetectorError('BAD_FRAME', `letterbox output needs ${3 * plane} floats, got ${out.length}`);
  }
  const t = resizeTables(width, height, input);
  const { newW, newH } = t.geometry;
  const { x0, x1, wx, y0, y1, wy } = t;
  const gOff = plane;
  const rOff = 2 * plane;

  // an input shaped like the frame takes it at scale 1: a plain copy into the planes, no sampling
  const unscaled = newW === width && newH === height;
  for (let y = 0; y < newH; y++) {
    if (unscaled) {
      let p = y * width * 3;
      const o = y * size;
      for (let x = 0; x < newW; x++, p += 3) {
        out[rOff + o + x] = data[p]!;
        out[gOff + o + x] = data[p + 1]!;
        out[o + x] = data[p + 2]!;
      }
      if (newW < size) {
        out.fill(PAD_VALUE, o + newW, o + size);
        out.fill(PAD_VALUE, gOff + o + newW, gOff + o + size);
        out.fill(PAD_VALUE, rOff + o + newW, rOff + o + size);
      }
      continue;
    }
    const rowA = y0[y]!;
    const rowB = y1[y]!;
    const fy = wy[y]!;
    const gy = 1 - fy;
    let o = y * size;
    for (let x = 0; x < newW; x++, o++) {
      const fx = wx[x]!;
      const gx = 1 - fx;
      const ca = x0[x]!;
      const cb = x1[x]!;
      const p00 = rowA + ca;
      const p01 = rowA + cb;
      const p10 = rowB + ca;
      const p11 = rowB + cb;
      const w00 = gx * gy;
      const w01 = fx * gy;
      const w10 = gx * fy;
      const w11 = fx * fy;
      out[rOff + o] = data[p00]! * w00 + data[p01]! * w01 + data[p10]! * w10 + data[p11]! * w11;
      out[gOff + o] = data[p00 + 1]! * w00 + data[p01 + 1]! * w01 + data[p10 + 1]! * w10 + data[p11 + 1]! * w11;
      out[o] = data[p00 + 2]! * w00 + data[p01 + 2]! * w01 + data[p10 + 2]! * w10 + data[p11 + 2]! * w11;
    }
    if (newW < size) {
      const start = y * size + newW;
      const end = (y + 1) * size;
      out.fill(PAD_VALUE, start, end);
      out.fill(PAD_VALUE, gOff + start, gOff + end);
      out.fill(PAD_VALUE, rOff + start, rOff + end);
    }
  }
  if (newH < input.height) {
    const start = newH * size;
    out.fill(PAD_VALUE, start, plane);
    out.fill(PAD_VALUE, gOff + start, gOff + plane);
    out.fill(PAD_VALUE, rOff + start, rOff + plane);
  }
  return t.geometry;
}

function checkFrame(frame: RgbFrame): void {
  const { data, width, height } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DetectorError('BAD_FRAME', `frame size must be positive whole numbers (got ${width}×${height})`);
  }
  if (data.length < width * height * 3) {
    throw new DetectorError(
      'BAD_FRAME',
      `an RGB24 frame of ${width}×${height} needs ${width * height * 3} bytes, got ${data.length}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Output decoding

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
  const input = sizeOf(inputSize);
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

/** Intersection over union of two boxes; 0 when either is empty. */

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

// ---------------------------------------------------------------------------------------------
// The shared session

export interface DetectorOptions {
  /** path to yolox_nano.onnx (from config; `wardwatch provision model` puts it there) */
  modelPath: string;
  /** onnxruntime intra-op threads; the whole box shares this one session */
  threads?: number;
  /** minimum obj·cls score, default 0.3 */
  minScore?: number;
  /**
   * Let onnxruntime's pool threads busy-wait between operators (its own default). Off by default:
   * the box's cores also decode 32 camera streams, and on this machine spinning cost 35–100 %
   * more CPU per inference for a throughput gain that came and went with the other load
   * (bench/detect-throughput.ts measures both).
   */
  spinning?: boolean;
}

/** Cumulative time spent per stage, for box health and the bench. */
export interface DetectorStats {
  inferences: number;
  preprocessMs: number;
  runMs: number;
  decodeMs: number;
}

export interface Detector {
  detect(frame: RgbFrame): Promise<Detection[]>;
  /** the model's input (in-process detectors only: a worker's is in its thread) */
  readonly inputSize?: InputSize;
  stats(): DetectorStats;
  close(): Promise<void>;
}

const INPUT_NAME = 'images';
const OUTPUT_NAME = 'output';

/** [1, 3, h, w] with fixed h and w, multiples of 32 (the model's largest stride); undefined otherwise. */
export function modelInputSize(meta: { isTensor: boolean; shape?: readonly (number | string)[] } | undefined): InputSize | undefined {
  if (meta === undefined || !meta.isTensor || meta.shape === undefined) return undefined;
  const [n, c, h, w] = meta.shape;
  const fixed = (v: number | string | undefined): v is number => typeof v === 'number' && v > 0 && v % 32 === 0;
  if (meta.shape.length !== 4 || n !== 1 || c !== 3 || !fixed(h) || !fixed(w)) return undefined;
  return { width: w, height: h };
}

export async function createDetector(options: DetectorOptions): Promise<Detector> {
  const { modelPath, threads = 1, minScore = 0.3, spinning = false } = options;
  try {
    await access(modelPath, constants.R_OK);
  } catch (cause) {
    throw new DetectorError(
      'MODEL_NOT_FOUND',
      `detector model not found or unreadable at ${modelPath}: run \`wardwatch provision model\` to install it`,
      { cause },
    );
  }
  let ort: typeof Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (cause) {
    throw new DetectorError(
      'RUNTIME_UNAVAILABLE',
      `onnxruntime-node cannot be loaded (${(cause as Error).message}): reinstall wardwatch with ONNXRUNTIME_NODE_INSTALL=skip`,
      { cause },
    );
  }
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: spinning ? '1' : '0' } } },
    });
  } catch (cause) {
    throw new DetectorError(
      'MODEL_INVALID',
      `cannot load the detector model at ${modelPath} (${(cause as Error).message}): run \`wardwatch provision model\` to reinstall it`,
      { cause },
    );
  }
  if (!session.inputNames.includes(INPUT_NAME) || !session.outputNames.includes(OUTPUT_NAME)) {
    await session.release();
    throw new DetectorError(
      'MODEL_INVALID',
      `${modelPath} is not the YOLOX-Nano export we expect (inputs ${session.inputNames.join(',')}, outputs ${session.outputNames.join(',')})`,
    );
  }
  const input = modelInputSize(session.inputMetadata.find((m) => m.name === INPUT_NAME));
  if (input === undefined) {
    await session.release();
    throw new DetectorError('MODEL_INVALID', `${modelPath}: its input "${INPUT_NAME}" is not [1, 3, h, w] with h and w fixed multiples of 32: run \`wardwatch provision model\` to reinstall it`);
  }

  // Input tensors are pooled, not allocated per inference: one per detection in flight, which
  // the scheduler bounds by its concurrency, so the pool stays at one or two in practice.
  const free: Ort.Tensor[] = [];
  const takeInput = (): Ort.Tensor =>
    free.pop() ?? new ort.Tensor('float32', new Float32Array(3 * input.width * input.height), [1, 3, input.height, input.width]);

  const totals: DetectorStats = { inferences: 0, preprocessMs: 0, runMs: 0, decodeMs: 0 };
  let closed = false;
  let inFlight = 0;
  let idle: (() => void) | null = null;

  async function detect(frame: RgbFrame): Promise<Detection[]> {
    if (closed) throw new DetectorError('CLOSED', 'detector is closed');
    const tensor = takeInput();
    inFlight++;
    try {
      const t0 = performance.now();
      const geometry = letterbox(frame, tensor.data as Float32Array, input);
      const t1 = performance.now();
      const result = await session.run({ [INPUT_NAME]: tensor });
      const t2 = performance.now();
      const output = result[OUTPUT_NAME];
      if (output === undefined || output.type !== 'float32') {
        throw new DetectorError('MODEL_INVALID', `model gave no float32 "${OUTPUT_NAME}" tensor`);
      }
      const detections = decodeOutput(output.data as Float32Array, geometry, frame.width, frame.height, minScore, input);
      const t3 = performance.now();
      totals.inferences++;
      totals.preprocessMs += t1 - t0;
      totals.runMs += t2 - t1;
      totals.decodeMs += t3 - t2;
      return detections;
    } finally {
      free.push(tensor);
      inFlight--;
      if (inFlight === 0 && idle !== null) idle();
    }
  }

  return {
    detect,
    inputSize: input,
    stats: () => ({ ...totals }),
    async close() {
      if (closed) return;
      closed = true;
      // Let running inferences finish before the native session goes away under them.
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await session.release();
    },
  };
}
