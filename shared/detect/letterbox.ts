// Letterbox: an RGB24 frame resized (bilinear, as the YOLOX reference does) into the model's NCHW float input, the
// rest padded with 114; and where the frame landed, which decoding undoes. Pure; allocates nothing once warm.
import { DetectorError, INPUT_SIZE, inputSizeOf, type InputSize, type RgbFrame } from './detection.js';

const PAD_VALUE = 114;

/** Where the frame landed inside the square model input. */
export interface LetterboxGeometry {
  /** scale applied to the source frame */
  r: number;
  /** size of the resized frame at the top-left of the input */
  newW: number;
  newH: number;
}

export function letterboxGeometry(width: number, height: number, size: number | InputSize = INPUT_SIZE): LetterboxGeometry {
  const input = inputSizeOf(size);
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
  const input = inputSizeOf(inputSize);
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
