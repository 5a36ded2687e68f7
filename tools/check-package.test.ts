// What ships: `npm pack` and the build hold no test, no test helper, no fixture or bench (package.json `files`,
// tsconfig.build.json). Test helpers live under testing/, beside test/ and test-fixtures/.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/package.js';

/** A path that belongs to the tests, not the product: a test file (source or compiled), a helper, a fixture, a bench. */
function isTestPath(p: string): boolean {
  return (
    /(^|\/)(test|testing|test-fixtures|fixtures|bench)\//.test(p) ||
    /\.test\.(ts|js|d\.ts|js\.map)$/.test(p) ||
    /(^|\/)(test-support|test-client|test-seed|test-images|kill-child)\.(ts|js|d\.ts|js\.map)$/.test(p)
  );
}

const root = packageRoot();

describe('what ships', () => {
  it.each([
    ['hub/forward/test-support.ts', true],
    ['dist/hub/api/test-client.js', true],
    ['dist/hub/forward/kill-child.js.map', true],
    ['testing/hub/test-support.ts', true],
    ['test/box.ts', true],
    ['test-fixtures/camera/scenes.ts', true],
    ['bench/search.ts', true],
    ['hub/ingest/ingest.test.ts', true],
    ['dist/edge/detect/detector.test.js', true],
    ['hub/api/page/index.html', false],
    ['provisioning/stream-sample.ts', false],
    ['dist/hub/ingest/index-writer.js', false],
    ['shared/contract/testament.ts', false],
  ])('%s is a test path: %s', (p, expected) => {
    expect(isTestPath(p)).toBe(expected);
  });

  it('npm pack lists no test, helper, fixture or bench, and does list the product', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files.filter(isTestPath)).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['bin/wardwatch.js', 'hub/api/page/index.html', 'models/yolox_nano.onnx', 'systemd/wardwatch-hub.service']));
  });

  it('the build (tsconfig.build.json) compiles no test file and no helper', () => {
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const out = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    const ours = out
      .split('\n')
      .filter((f) => f.startsWith(root + '/') && !f.includes('/node_modules/'))
      .map((f) => path.relative(root, f));
    expect(ours.length).toBeGreaterThan(100);
    expect(ours.filter(isTestPath)).toEqual([]);
  }, 120_000);
});
