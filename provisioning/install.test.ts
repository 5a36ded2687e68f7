import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/wardwatch.js';
import { packageRoot } from '../shared/package.js';
import { hiddenFromUnit, PATH_LINK, planInstall, unitPathProblems } from './install.js';

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['provision', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('hiddenFromUnit', () => {
  const cases: [string, RegExp | undefined][] = [
    ['/opt/wardwatch/bin/wardwatch.js', undefined],
    ['/usr/bin/node', undefined],
    ['/var/lib/wardwatch', undefined],
    ['/tmp/wardwatch/bin/wardwatch.js', /under \/tmp.*PrivateTmp=yes/],
    ['/var/tmp/x', /under \/var\/tmp/],
    ['/root/.nvm/versions/node/v20.19.0/bin/node', /under \/root.*ProtectHome=yes/],
    ['/home/an/wardwatch/bin/wardwatch.js', /under \/home.*ProtectHome=yes/],
    ['/run/user/1000/x', /login session/],
    ['/tmpfoo/x', undefined],
    ['/homestead', undefined],
  ];
  for (const [file, expected] of cases) {
    it(`${expected ? 'refuses' : 'accepts'} ${file}`, () => {
      const got = hiddenFromUnit(file);
      if (expected) expect(got).toMatch(expected);
      else expect(got).toBeUndefined();
    });
  }

  it('checks the command, the config and the data folders of a unit', () => {
    expect(unitPathProblems({ user: 'wardwatch', exec: '/root/.nvm/node /tmp/ww/bin/wardwatch.js', config: '/home/a/edge.yaml', data: ['/var/lib/wardwatch'] })).toHaveLength(3);
    expect(unitPathProblems({ user: 'wardwatch', exec: '/usr/bin/node /opt/wardwatch/bin/wardwatch.js', config: '/etc/wardwatch/edge.yaml', data: ['/var/lib/wardwatch'] })).toEqual([]);
  });
});

/** A clone under /home or /tmp (or node from nvm under /root) cannot be what a unit runs: install refuses it. */
const cloneHidden = hiddenFromUnit(packageRoot()) !== undefined || hiddenFromUnit(process.execPath) !== undefined;
console.log(
  cloneHidden
    ? `provision install tests: this clone (${packageRoot()}, node ${process.execPath}) is where a unit cannot see it, so the two runs of install with this clone are skipped and its refusal is tested instead`
    : `provision install tests: this clone (${packageRoot()}) is where a unit can see it, so the refusal of a hidden clone is skipped (the refusal of code under /tmp is tested all the same)`,
);

describe('provision install', () => {
  it.runIf(cloneHidden)('refuses the default command of this clone, which a unit could not see', async () => {
    const r = await cli('install', '--role', 'edge', '--root', mkdtempSync(path.join(tmpdir(), 'ww-inst-')));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^refused: /);
  });

  it('refuses, writing nothing, a unit whose code is under /tmp, and says where the code goes', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ww-inst-'));
    const r = await cli('install', '--role', 'edge', '--root', root, '--exec', '/usr/bin/node /tmp/wardwatch-1.0/bin/wardwatch.js');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/refused: \/tmp\/wardwatch-1\.0\/bin\/wardwatch\.js is under \/tmp, which the unit cannot see \(PrivateTmp=yes/);
    expect(r.err).toContain('/opt/wardwatch');
    expect(readdirSync(root)).toEqual([]);
  });

  it.skipIf(cloneHidden)('--dry-run prints every folder, file, link and the unit, and writes nothing', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ww-inst-'));
    mkdirSync(path.join(root, 'etc/wardwatch'), { recursive: true });
    writeFileSync(path.join(root, 'etc/wardwatch/edge.yaml'), 'storage: { root: /srv/footage }\n');
    writeFileSync(path.join(root, 'etc/wardwatch/secrets.yaml'), 'a: b\n', { mode: 0o644 });
    const r = await cli('install', '--role', 'edge', '--root', root, '--dry-run');
    expect(r.code, r.err).toBe(0);
    const bin = path.join(packageRoot(), 'bin/wardwatch.js');
    for (const line of [
      'folder /etc/wardwatch 0750 root:wardwatch',
      'folder /srv/footage 0750 wardwatch:wardwatch',
      'config /etc/wardwatch/edge.yaml 0640 root:wardwatch',
      'secrets /etc/wardwatch/secrets.yaml 0600 wardwatch:wardwatch',
      'unit /etc/systemd/system/wardwatch-edge.service 0644 root:root',
      `link ${PATH_LINK} -> ${bin}`,
    ]) {
      expect(r.out).toContain(`  ${line}\n`);
    }
    expect(r.out).toContain(`ExecStart=${process.execPath} ${bin} edge --config /etc/wardwatch/edge.yaml`);
    expect(readdirSync(path.join(root, 'etc'))).toEqual(['wardwatch']); // no systemd folder
    expect(lstatSync(path.join(root, 'etc/wardwatch/secrets.yaml')).mode & 0o777).toBe(0o644);
  });

  it.skipIf(cloneHidden)('puts wardwatch on PATH as a link to the installed code, and leaves a file someone else put there', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ww-inst-'));
    expect((await cli('install', '--role', 'hub', '--root', root)).code).toBe(0);
    expect(readlinkSync(path.join(root, PATH_LINK))).toBe(path.join(packageRoot(), 'bin/wardwatch.js'));
    const other = mkdtempSync(path.join(tmpdir(), 'ww-inst-'));
    mkdirSync(path.join(other, 'usr/local/bin'), { recursive: true });
    writeFileSync(path.join(other, PATH_LINK), '#!/bin/sh\n');
    const r = await cli('install', '--role', 'hub', '--root', other);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`${PATH_LINK} is a file, not a link: left alone`);
    expect(readFileSync(path.join(other, PATH_LINK), 'utf8')).toBe('#!/bin/sh\n');
  });

  it('gives the service\'s user the pages\' TLS keys in the config folder (and their folder), and leaves a key kept elsewhere with a note', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ww-inst-'));
    mkdirSync(path.join(root, 'etc/wardwatch/tls'), { recursive: true });
    writeFileSync(path.join(root, 'etc/wardwatch/tls/box-p07.key'), 'k', { mode: 0o600 });
    writeFileSync(path.join(root, 'etc/wardwatch/edge.yaml'), 'review: { tls: { certFile: tls/box-p07.crt, keyFile: tls/box-p07.key } }\n');
    const plan = () => planInstall({ role: 'edge', root, config: '/etc/wardwatch/edge.yaml', user: 'wardwatch', exec: '/usr/bin/node /opt/wardwatch/bin/wardwatch.js', bin: undefined, createUser: false });
    expect(plan().steps.filter((s) => s.kind === 'mode' && s.what.startsWith('TLS'))).toEqual([
      { kind: 'mode', path: '/etc/wardwatch/tls', mode: 0o750, owner: 'root', what: 'TLS folder' },
      { kind: 'mode', path: '/etc/wardwatch/tls/box-p07.key', mode: 0o600, owner: 'user', what: 'TLS key' },
    ]);
    mkdirSync(path.join(root, 'etc/ssl/private'), { recursive: true });
    writeFileSync(path.join(root, 'etc/ssl/private/box.key'), 'k', { mode: 0o600 });
    writeFileSync(path.join(root, 'etc/wardwatch/edge.yaml'), 'review: { tls: { certFile: /etc/ssl/box.crt, keyFile: /etc/ssl/private/box.key } }\n');
    const elsewhere = plan();
    expect(elsewhere.steps.filter((s) => s.kind === 'mode' && s.what.startsWith('TLS'))).toEqual([]);
    expect(elsewhere.warnings).toContain('/etc/ssl/private/box.key is outside /etc/wardwatch: left as it is; let wardwatch read it (e.g. chgrp wardwatch /etc/ssl/private/box.key && chmod 0640 /etc/ssl/private/box.key)');
  });

  it('replaces a link an older install left, and plans no link when it is already right', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ww-inst-'));
    mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
    symlinkSync('/opt/wardwatch-old/bin/wardwatch.js', path.join(root, PATH_LINK));
    const plan = (bin: string) => planInstall({ role: 'edge', root, config: '/etc/wardwatch/edge.yaml', user: 'wardwatch', exec: `/usr/bin/node ${bin}`, bin, createUser: false });
    expect(plan('/opt/wardwatch/bin/wardwatch.js').steps.filter((s) => s.kind === 'link')).toEqual([{ kind: 'link', path: PATH_LINK, target: '/opt/wardwatch/bin/wardwatch.js' }]);
    expect(plan('/opt/wardwatch-old/bin/wardwatch.js').steps.filter((s) => s.kind === 'link')).toEqual([]);
  });
});
