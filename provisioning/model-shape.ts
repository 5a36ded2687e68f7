// A copy of the detector model whose input is shaped like the camera's frame (e.g. 640×384 for 640×360) instead of
// the square 416×416, so no input is wasted on letterbox padding. YOLOX-Nano is fully convolutional and its reshapes
// are computed, so only the declared input and output shapes of the ONNX graph change. Pure: bytes in, bytes out.

export class ModelShapeError extends Error {}

/** Model strides: an input side must be a multiple of the largest. */
const STRIDE = 32;
const ROW = 85;

/** The model input for frames of this size: each side rounded up to a multiple of 32. */
export function inputSizeFor(width: number, height: number): { width: number; height: number } {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ModelShapeError(`detect frame size must be whole numbers ≥ 1 (got ${width}×${height})`);
  }
  return { width: Math.ceil(width / STRIDE) * STRIDE, height: Math.ceil(height / STRIDE) * STRIDE };
}

/** Output rows of a YOLOX head for an input: one per cell at strides 8, 16 and 32. */
export function outputRows(width: number, height: number): number {
  return [8, 16, 32].reduce((n, s) => n + (width / s) * (height / s), 0);
}

// ---------------------------------------------------------------------------------------------
// Just enough protobuf to rewrite ModelProto.graph.{input,output}[].type.tensor_type.shape.dim[].dim_value

interface Field {
  field: number;
  wire: number;
  /** the whole field (tag included) */
  start: number;
  /** the payload (after tag and, for wire 2, the length) */
  body: number;
  end: number;
}

function readVarint(b: Uint8Array, p: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (p >= b.length) throw new ModelShapeError('not an ONNX model: a protobuf field runs past the end of the file');
    const x = b[p++]!;
    value += (x & 0x7f) * scale;
    scale *= 128;
    if ((x & 0x80) === 0) return [value, p];
  }
}

function varint(v: number): number[] {
  const out: number[] = [];
  do {
    let x = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) x |= 0x80;
    out.push(x);
  } while (v > 0);
  return out;
}

function fieldsOf(b: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let p = start;
  while (p < end) {
    const at = p;
    const [tag, q] = readVarint(b, p);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    p = q;
    if (wire === 0) {
      const [, q2] = readVarint(b, p);
      out.push({ field, wire, start: at, body: p, end: q2 });
      p = q2;
    } else if (wire === 2) {
      const [len, q2] = readVarint(b, p);
      out.push({ field, wire, start: at, body: q2, end: q2 + len });
      p = q2 + len;
    } else if (wire === 5 || wire === 1) {
      const n = wire === 5 ? 4 : 8;
      out.push({ field, wire, start: at, body: p, end: p + n });
      p += n;
    } else throw new ModelShapeError(`not an ONNX model: protobuf wire type ${wire} at byte ${at}`);
  }
  if (p !== end) throw new ModelShapeError('not an ONNX model: a protobuf message overruns its length');
  return out;
}

/** Re-encodes a message, replacing the payload of fields for which `edit` gives new bytes. */
function rewrite(b: Uint8Array, start: number, end: number, edit: (f: Field) => Uint8Array | undefined): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fieldsOf(b, start, end)) {
    const replaced = f.wire === 2 ? edit(f) : undefined;
    if (replaced === undefined) parts.push(b.subarray(f.start, f.end));
    else parts.push(Uint8Array.from([...varint(f.field * 8 + 2), ...varint(replaced.length)]), replaced);
  }
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A TensorShapeProto with these fixed dims. */
function shapeOf(dims: readonly number[]): Uint8Array {
  return concat(dims.map((d) => {
    const dim = Uint8Array.from([0x08, ...varint(d)]); // Dimension.dim_value = 1
    return Uint8Array.from([0x0a, ...varint(dim.length), ...dim]); // TensorShapeProto.dim = 1
  }));
}

/** Dims of a ValueInfoProto's tensor type (null for a symbolic dim). */
function dimsOf(b: Uint8Array, info: Field): (number | null)[] {
  const type = fieldsOf(b, info.body, info.end).find((f) => f.field === 2);
  const tensor = type && fieldsOf(b, type.body, type.end).find((f) => f.field === 1);
  const shape = tensor && fieldsOf(b, tensor.body, tensor.end).find((f) => f.field === 2);
  if (shape === undefined) return [];
  return fieldsOf(b, shape.body, shape.end).map((d) => {
    const value = fieldsOf(b, d.body, d.end).find((f) => f.field === 1 && f.wire === 0);
    return value === undefined ? null : readVarint(b, value.body)[0];
  });
}

function withShape(b: Uint8Array, info: Field, dims: readonly number[]): Uint8Array {
  return rewrite(b, info.body, info.end, (t) =>
    t.field === 2 ? rewrite(b, t.body, t.end, (tt) => (tt.field === 1 ? rewrite(b, tt.body, tt.end, (s) => (s.field === 2 ? shapeOf(dims) : undefined)) : undefined)) : undefined,
  );
}

/** The model's declared input [1, 3, H, W] and output [1, rows, 85], read from the file. */
export function modelShape(onnx: Uint8Array): { input: (number | null)[]; output: (number | null)[] } {
  const graph = fieldsOf(onnx, 0, onnx.length).find((f) => f.field === 7);
  if (graph === undefined) throw new ModelShapeError('not an ONNX model: no graph');
  const fields = fieldsOf(onnx, graph.body, graph.end);
  const input = fields.find((f) => f.field === 11);
  const output = fields.find((f) => f.field === 12);
  if (input === undefined || output === undefined) throw new ModelShapeError('not an ONNX model: the graph has no input or no output');
  return { input: dimsOf(onnx, input), output: dimsOf(onnx, output) };
}

/**
 * The model with input [1, 3, height, width] and output [1, rows, 85]. Refuses a model that is not the YOLOX head
 * this detector decodes (one input [1, 3, h, w], one output [1, rows, 85]) and sizes that are not multiples of 32.
 */
export function withInputSize(onnx: Uint8Array, width: number, height: number): Uint8Array {
  if (width % STRIDE !== 0 || height % STRIDE !== 0 || width < STRIDE || height < STRIDE) {
    throw new ModelShapeError(`model input must be multiples of ${STRIDE} (got ${width}×${height}): round the detect size up with inputSizeFor`);
  }
  const { input, output } = modelShape(onnx);
  if (input.length !== 4 || input[0] !== 1 || input[1] !== 3 || output.length !== 3 || output[2] !== ROW) {
    throw new ModelShapeError(`not the YOLOX export the detector decodes: input [${input.join(', ')}], output [${output.join(', ')}] (expected [1, 3, h, w] and [1, rows, ${ROW}])`);
  }
  let inputsDone = 0;
  let outputsDone = 0;
  const out = rewrite(onnx, 0, onnx.length, (top) =>
    top.field === 7
      ? rewrite(onnx, top.body, top.end, (g) => {
          if (g.field === 11 && inputsDone++ === 0) return withShape(onnx, g, [1, 3, height, width]);
          if (g.field === 12 && outputsDone++ === 0) return withShape(onnx, g, [1, outputRows(width, height), ROW]);
          return undefined;
        })
      : undefined,
  );
  return out;
}
