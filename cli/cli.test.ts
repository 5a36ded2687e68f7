import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../shared/package.js';
import { makeHubTls } from '../provisioning/tls.js';

const root = packageRoot();

/** Runs the real CLI from source in a child process, as an installer would. */
function wardwatch(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('wardwatch CLI', () => {
  it('validates the example edge.yaml as the box starts: names the missing secrets, CA and model (78), then ok', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-cli-'));
    const file = path.join(dir, 'edge.yaml');
    writeFileSync(file, readFileSync(path.join(root, 'examples/edge.yaml'), 'utf8').replaceAll('/etc/wardwatch/', `${dir}/`).replaceAll('/var/lib/wardwatch', `${dir}/data`));
    const before = wardwatch('provision', 'validate', file);
    expect(before.code).toBe(78);
    for (const key of ['cameras[0].credentials.passwordSecret', 'cameras[1].credentials.passwordSecret', 'hub.tokenSecret', 'hub.caFile', 'model.path']) expect(before.stderr).toContain(`: ${key}: `);
    // what the installer then does: the secrets, the hub's CA (and a page certificate, if the example serves HTTPS), the model
    writeFileSync(path.join(dir, 'secrets.yaml'), 'cam-01: a\ncam-02: b\nhub-token: c\n', { mode: 0o600 });
    const tls = await makeHubTls({ dir: path.join(dir, 'tls'), hosts: ['127.0.0.1'] });
    copyFileSync(tls.caCert, path.join(dir, 'ca.pem'));
    const text = readFileSync(file, 'utf8');
    for (const [, kind, to] of text.matchAll(/(certFile|keyFile): (\S+)/g)) {
      mkdirSync(path.dirname(to!), { recursive: true });
      copyFileSync(kind === 'certFile' ? tls.cert : tls.key, to!);
    }
    mkdirSync(path.join(dir, 'data/models'), { recursive: true });
    copyFileSync(path.join(root, 'models/yolox_nano.onnx'), path.join(dir, 'data/models/yolox_nano.onnx'));
    const after = wardwatch('provision', 'validate', file);
    expect(after.stdout.trim(), after.stderr).toBe('ok');
    expect(after.code).toBe(0);
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

  it('validates the example hub.yaml once its certificate is made, and a missing file with exit 78', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-cli-'));
    const file = path.join(dir, 'hub.yaml');
    writeFileSync(file, readFileSync(path.join(root, 'examples/hub.yaml'), 'utf8').replaceAll('/etc/wardwatch-hub/', `${dir}/`));
    const before = wardwatch('provision', 'validate', file);
    expect(before.code).toBe(78);
    expect(before.stderr).toMatch(/broker\.listeners\[0\]\.certFile: .*hub\.crt does not exist\n\s+fix: run `wardwatch provision credentials tls/);
    await makeHubTls({ dir: path.join(dir, 'tls'), hosts: ['127.0.0.1'] });
    expect(wardwatch('provision', 'validate', file).code).toBe(0);
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
