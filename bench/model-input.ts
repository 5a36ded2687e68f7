// The model a bench runs, fed as a box would be: `frame` (the default) makes a copy with its input shaped like the
// cameras' 640×360 frames, as `wardwatch provision model` installs it; `square` runs the file as given (the packaged
// 416×416 model letterboxes each frame, as the box does when nothing was provisioned).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { detectDefaults } from '../shared/config/edge.js';
import { inputSizeFor, withInputSize } from '../provisioning/model-shape.js';

export const SHAPES = ['frame', 'square'] as const;

export interface BenchModel {
  path: string;
  /** what the bench prints about it */
  what: string;
  remove(): void;
}

export function benchModel(file: string, shape: string): BenchModel {
  if (shape === 'square') return { path: file, what: `${file} as given`, remove: () => {} };
  if (shape !== 'frame') throw new Error(`--shape must be one of ${SHAPES.join(', ')} (got ${shape})`);
  const { width, height } = inputSizeFor(detectDefaults.width, detectDefaults.height);
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-bench-model-'));
  const shaped = path.join(dir, `model-${width}x${height}.onnx`);
  writeFileSync(shaped, withInputSize(readFileSync(file), width, height));
  return { path: shaped, what: `${file} with its input shaped like the frame (${width}×${height}, as provision model installs it)`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
