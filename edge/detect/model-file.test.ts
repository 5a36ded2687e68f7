import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chooseModel, packagedModel, YOLOX_NANO, type ModelChoice } from './model-file.js';

describe('chooseModel', () => {
  const installed = '/etc/wardwatch/models/yolox_nano.onnx';
  const packaged = '/usr/lib/node_modules/wardwatch/models/yolox_nano.onnx';
  it.each<[string, { path: string; configured: boolean }, string[], ModelChoice]>([
    ['model.path set and present', { path: '/srv/m.onnx', configured: true }, ['/srv/m.onnx'], { path: '/srv/m.onnx', source: 'configured' }],
    ['model.path set but missing: still that file (the error names it)', { path: '/srv/m.onnx', configured: true }, [], { path: '/srv/m.onnx', source: 'configured' }],
    ['unset, provision model installed one', { path: installed, configured: false }, [installed], { path: installed, source: 'installed' }],
    ['unset, nothing installed: the packaged copy', { path: installed, configured: false }, [], { path: packaged, source: 'packaged' }],
  ])('%s', (_name, model, files, want) => {
    expect(chooseModel(model, packaged, (f) => files.includes(f))).toEqual(want);
  });
});

describe('the packaged model', () => {
  it('is in the package, byte for byte the file Wardwatch is tested with', () => {
    const bytes = readFileSync(packagedModel().path);
    expect(bytes.length).toBe(YOLOX_NANO.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(YOLOX_NANO.sha256);
    expect(readFileSync(packagedModel().checkImage).length).toBeGreaterThan(10_000);
  });
});
