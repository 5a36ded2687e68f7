// `wardwatch provision credentials tls`: the hub's certificate and a box's review page certificate from one CA.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError, type Output } from '../shared/command.js';
import { credentialsCommand } from './credentials.js';

function io(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(`err: ${l}`) };
}

describe('credentials tls --box', () => {
  it('makes the box\'s certificate for its addresses from the hub\'s CA, key 0600, and says where each file goes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-cred-tls-'));
    expect(await credentialsCommand.run(['tls', '--out', dir, '--host', '10.20.0.10'], io())).toBe(0);
    const said = io();
    expect(await credentialsCommand.run(['tls', '--out', dir, '--box', 'p07', '--host', '10.7.0.2', '--host', 'p07.ward.local'], said)).toBe(0);
    const ca = new X509Certificate(readFileSync(path.join(dir, 'ca.pem')));
    const box = new X509Certificate(readFileSync(path.join(dir, 'box-p07.crt')));
    const hub = new X509Certificate(readFileSync(path.join(dir, 'hub.crt')));
    expect(box.verify(ca.publicKey)).toBe(true);
    expect(hub.verify(ca.publicKey)).toBe(true);
    expect(box.subjectAltName).toBe('IP Address:10.7.0.2, DNS:p07.ward.local');
    expect(statSync(path.join(dir, 'box-p07.key')).mode & 0o777).toBe(0o600);
    expect(said.lines.join('\n')).toMatch(/reused the CA .* box p07's review page certificate .*box-p07\.crt for 10\.7\.0\.2, p07\.ward\.local/);
    expect(said.lines.join('\n')).toMatch(/edge\.yaml: review\.tls with certFile and keyFile/);
  });

  it.each([
    { args: ['--box', 'p07'], message: /--box p07 needs the box's --host/ },
    { args: ['--box', 'P 07', '--host', '10.7.0.2'], message: /--box must be a box id such as dn-1, or the ward's id for a ward that is one box/ },
  ])('refuses $args as a usage error', async ({ args, message }) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ww-cred-tls-'));
    await expect(credentialsCommand.run(['tls', '--out', dir, ...args], io())).rejects.toThrow(UsageError);
    await expect(credentialsCommand.run(['tls', '--out', dir, ...args], io())).rejects.toThrow(message);
  });
});
