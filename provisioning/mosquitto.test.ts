import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/wardwatch.js';
import { hashSecret } from '../shared/scrypt.js';

async function cli(...args: string[]) {
  const out: string[] = [];
  const code = await main(['provision', ...args], { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join('\n') };
}

function hubYaml(dir: string, broker: string): string {
  writeFileSync(path.join(dir, 'secrets.yaml'), 'broker-password: pw-of-the-hub\n', { mode: 0o600 });
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(
    file,
    `district: { name: Test }
storage: { root: ${path.join(dir, 'data')} }
broker:
${broker}
wards:
  - { id: p07, name: Phường 7, tokenHash: '${hashSecret('t7')}' }
  - { id: p08, name: Phường 8 }
`,
  );
  return file;
}

describe('provision mosquitto', () => {
  it('refuses a hub.yaml whose broker is embedded, naming the key (exit 78)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-mosq-'));
    const r = await cli('mosquitto', '--hub-config', hubYaml(dir, '  listeners: [{ type: tcp, host: 127.0.0.1, port: 0 }]'), '--dir', dir);
    expect(r.code).toBe(78);
    expect(r.out).toContain('broker.mode is not external');
  });

  it('writes the ACL for wards with a token, the hub\'s login, keeps their lines and drops a ward no longer listed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-mosq-'));
    const config = hubYaml(dir, "  mode: external\n  external: { url: 'mqtt://127.0.0.1:1883', username: wardwatch-hub, passwordSecret: broker-password }");
    writeFileSync(path.join(dir, 'wardwatch.passwd'), 'ward-p07:$7$101$a$b\nward-p09:$7$101$c$d\n');
    const r = await cli('mosquitto', '--hub-config', config, '--dir', dir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('removed ward-p09');
    const acl = readFileSync(path.join(dir, 'wardwatch.acl'), 'utf8');
    expect(acl).toContain('user ward-p07\ntopic write wardwatch/v1/p07/status');
    expect(acl).not.toContain('ward-p08'); // no token: it cannot log in anyway
    const passwd = readFileSync(path.join(dir, 'wardwatch.passwd'), 'utf8').trim().split('\n');
    expect(passwd[0]).toBe('ward-p07:$7$101$a$b');
    expect(passwd[1]).toMatch(/^wardwatch-hub:\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(passwd).toHaveLength(2);
  });

  it('names the wards that have no broker login yet', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-mosq-'));
    const config = hubYaml(dir, "  mode: external\n  external: { url: 'mqtt://127.0.0.1:1883', username: wardwatch-hub, passwordSecret: broker-password }");
    const r = await cli('mosquitto', '--hub-config', config, '--dir', dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/boxes without a broker login yet: p07 — run `wardwatch provision credentials issue --ward p07 --mosquitto-passwd/);
  });

  it('writes one login and ACL per box: the boxes of a ward with boxes, beside a ward that is one box', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-mosq-'));
    writeFileSync(path.join(dir, 'secrets.yaml'), 'broker-password: pw-of-the-hub\n', { mode: 0o600 });
    const config = path.join(dir, 'hub.yaml');
    writeFileSync(
      config,
      `district: { name: Test }
storage: { root: ${path.join(dir, 'data')} }
broker: { mode: external, external: { url: 'mqtt://127.0.0.1:1883', username: wardwatch-hub, passwordSecret: broker-password } }
wards:
  - { id: p07, name: Phường 7, tokenHash: '${hashSecret('t7')}' }
  - id: duc-nhuan
    name: Phường Đức Nhuận
    boxes:
      - { id: dn-1, tokenHash: '${hashSecret('t1')}' }
      - { id: dn-2, tokenHash: '${hashSecret('t2')}' }
      - { id: dn-3 }
`,
    );
    writeFileSync(path.join(dir, 'wardwatch.passwd'), 'ward-dn-1:$7$101$a$b\nward-duc-nhuan:$7$101$c$d\n');
    const r = await cli('mosquitto', '--hub-config', config, '--dir', dir);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('the hub and 3 boxes of 2 wards');
    expect(r.out).toContain('removed ward-duc-nhuan'); // a ward with boxes has no login of its own
    expect(r.out).toMatch(/boxes without a broker login yet: p07, dn-2 — run `wardwatch provision credentials issue --box ID --mosquitto-passwd/);
    const acl = readFileSync(path.join(dir, 'wardwatch.acl'), 'utf8');
    expect(acl).toContain('user ward-p07\ntopic write wardwatch/v1/p07/status');
    expect(acl).toContain('user ward-dn-1\ntopic write wardwatch/v1/dn-1/status');
    expect(acl).toContain('user ward-dn-2\ntopic write wardwatch/v1/dn-2/status');
    expect(acl).toContain('topic read wardwatch/v1/dn-2/cmd/#');
    expect(acl).not.toContain('duc-nhuan');
    expect(acl).not.toContain('dn-3'); // no token: it cannot log in anyway
  });
});
