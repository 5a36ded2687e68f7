// The detector's session: one onnxruntime session of the YOLOX-Nano model, checked when it loads (file, runtime,
// input and output names, input shape), with pooled input tensors; letterbox in, decoded detections out.
import { access, constants } from 'node:fs/promises';
// Types only: the native runtime is loaded in createDetector, so that motion, tracking and the
// pure parts work (and a motion-only box runs) without onnxruntime present.
import type * as Ort from 'onnxruntime-node';
import { decodeOutput } from './decode.js';
import { DetectorError, type Detection, type InputSize, type RgbFrame } from './detection.js';
import { letterbox } from './letterbox.js';

// what a caller of createDetector handles: its detections and its errors
export { DetectorError, type Detection, type DetectorErrorCode, type InputSize, type RgbFrame } from './detection.js';

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
