// Which detector model file a box runs: the one edge.yaml names, the one `provision model` installed, or the copy
// that ships in this package (models/yolox_nano.onnx, see models/MODEL.md).
import path from 'node:path';
import { packageRoot } from '../../shared/package.js';

/** The YOLOX-Nano file Wardwatch is tested with (models/MODEL.md). */
export const YOLOX_NANO = {
  file: 'yolox_nano.onnx',
  sha256: 'd39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a',
  bytes: 3_713_911,
} as const;

/** The copy in this package, and the picture its known-answer check runs on (it must find these labels there). */
export function packagedModel(): { path: string; checkImage: string; expect: readonly string[] } {
  const dir = path.join(packageRoot(), 'models');
  return { path: path.join(dir, YOLOX_NANO.file), checkImage: path.join(dir, 'known-answer.jpg'), expect: ['bicycle', 'car'] };
}

/**
 * - `configured`: edge.yaml sets model.path (a missing file there is the installer's error, not silently replaced);
 * - `installed`: not set, and the default path beside edge.yaml holds a file (`provision model` put it there);
 * - `packaged`: not set and nothing installed: the copy that ships with Wardwatch.
 */
export type ModelSource = 'configured' | 'installed' | 'packaged';

export interface ModelChoice {
  path: string;
  source: ModelSource;
}

/** Pure: `exists` is the only look at the disk. */
export function chooseModel(model: { path: string; configured: boolean }, packaged: string, exists: (file: string) => boolean): ModelChoice {
  if (model.configured) return { path: model.path, source: 'configured' };
  if (exists(model.path)) return { path: model.path, source: 'installed' };
  return { path: packaged, source: 'packaged' };
}
