// `wardwatch edge user …` on a ward box's own db: an officer added there can log in to the review page's API.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../shared/package.js';

const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(packageRoot(), 'cli/run.ts'), ...args], { cwd: packageRoot(), encoding: 'utf8', timeout: 60_000 });

describe('wardwatch edge user', () => {
  it('adds an officer of the box\'s ward with a password from a file, lists it, and refuses bad input with exit 64', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-edge-user-'));
    const config = path.join(dir, 'edge.yaml');
    writeFileSync(config, `ward: { id: p07, name: Phường 7 }\nstorage: { root: ${dir}/data }\ncameras:\n  - id: cam-1\n    name: Cam 1\n    streams: { main: { url: "rtsp://127.0.0.1:5540/main" } }\n`);
    writeFileSync(path.join(dir, 'pw'), 'first-pass-9\n');
    const add = run(['edge', 'user', 'add', '--name', 'lan', '--role', 'officer', '--display-name', 'Nguyễn Lan', '--password-file', path.join(dir, 'pw'), '--config', config]);
    expect(add.stdout).toContain('added lan (officer, ward p07)');
    expect(add.status).toBe(0);
    const list = run(['edge', 'user', 'list', '--json', '--config', config]);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'lan', role: 'officer', ward: 'p07', mustChange: true, displayName: 'Nguyễn Lan' }]);
    const otherWard = run(['edge', 'user', 'add', '--name', 'x1', '--role', 'officer', '--ward', 'p08', '--config', config]);
    expect(otherWard.status).toBe(64);
    expect(otherWard.stderr).toContain('--ward: unknown ward "p08"');
    expect(run(['edge', 'user', 'add', '--name', 'x2', '--role', 'operator', '--config', config]).status).toBe(64);
  });
});
