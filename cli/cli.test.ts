import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/package.js';

const root = packageRoot();

/** Runs the real CLI from source in a child process, as an installer would. */
function wardwatch(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wardwatch CLI', () => {
  it('validates the example edge.yaml: prints ok and exits 0', () => {
    const r = wardwatch('provision', 'validate', 'examples/edge.yaml');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.code).toBe(0);
  });

  it('prints both problems of a config with a misspelled key and a negative retention, and exits 78', () => {
    const text = readFileSync(path.join(root, 'examples/edge.yaml'), 'utf8')
      .replace('  retainDays: 30', '  retainDay: 30')
      .replace('record: { retainDays: 60 }', 'record: { retainDays: -60 }');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ww-cli-')), 'edge.yaml');
    writeFileSync(file, text);
    const r = wardwatch('provision', 'validate', file);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('2 problems');
    expect(r.stderr).toMatch(/edge\.yaml:\d+: record\.retainDay: unknown key "retainDay"\n\s+fix: did you mean "retainDays"\?/);
    expect(r.stderr).toMatch(/edge\.yaml:\d+: cameras\[1\]\.record\.retainDays: must be a whole number ≥ 1 \(got -60\)/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('validates the example hub.yaml, and a missing file with exit 78', () => {
    expect(wardwatch('provision', 'validate', 'examples/hub.yaml').code).toBe(0);
    const missing = wardwatch('provision', 'validate', '/nonexistent/edge.yaml');
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('file not found');
  });

  it('answers bad command lines with usage and exit 64, and lists only real commands in --help', () => {
    expect(wardwatch('frobnicate').code).toBe(64);
    expect(wardwatch('provision', 'validate').code).toBe(64);
    const help = wardwatch('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('wardwatch provision validate FILE');
  });
});
