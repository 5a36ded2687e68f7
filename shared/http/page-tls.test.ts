import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTestTls, type TestTls } from '../../test/tls-files.js';
import { PageTlsError, plainPageWarning, readPageTls } from './page-tls.js';

const WHERE = { key: 'http.tls', make: 'wardwatch provision credentials tls --out DIR --host NAME' };
let dir: string;
let tls: TestTls;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-page-tls-'));
  tls = await makeTestTls(dir);
  writeFileSync(path.join(dir, 'garbage.pem'), 'not a certificate\n');
});

describe('readPageTls', () => {
  it('reads a certificate and its key, with the certificate\'s last day', () => {
    const read = readPageTls(tls.hub, WHERE);
    expect(read.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(read.minVersion).toBe('TLSv1.2');
    expect(Date.parse(read.validTo)).toBeGreaterThan(Date.now() + 800 * 86_400_000); // 825 days
  });

  const f = (name: string) => path.join(dir, name);
  const cases: { what: string; files: () => { certFile: string; keyFile: string }; message: RegExp }[] = [
    { what: 'a missing certificate', files: () => ({ certFile: f('nope.crt'), keyFile: tls.hub.keyFile }), message: /^http\.tls\.certFile: .*nope\.crt does not exist: make it with `wardwatch provision credentials tls --out DIR --host NAME`, or correct the path in http\.tls$/ },
    { what: 'a missing key', files: () => ({ certFile: tls.hub.certFile, keyFile: f('nope.key') }), message: /^http\.tls\.keyFile: .*nope\.key does not exist: make it with `wardwatch provision credentials tls/ },
    { what: 'a folder for a file', files: () => ({ certFile: dir, keyFile: tls.hub.keyFile }), message: /^http\.tls\.certFile: cannot read .* \(EISDIR\): point it at the PEM file/ },
    { what: 'the key given as certificate', files: () => ({ certFile: tls.hub.keyFile, keyFile: tls.hub.keyFile }), message: /^http\.tls\.certFile: .*hub\.key is not a PEM certificate/ },
    { what: 'the certificate given as key', files: () => ({ certFile: tls.hub.certFile, keyFile: tls.hub.certFile }), message: /^http\.tls\.keyFile: .*hub\.crt is not a PEM private key/ },
    { what: 'a file that is neither', files: () => ({ certFile: f('garbage.pem'), keyFile: tls.hub.keyFile }), message: /^http\.tls\.certFile: .*garbage\.pem is not a PEM certificate/ },
    { what: 'another certificate\'s key', files: () => ({ certFile: tls.hub.certFile, keyFile: tls.box.keyFile }), message: /^http\.tls: .*box-p07\.key is not the key of .*hub\.crt: use the \.crt and \.key made together/ },
  ];
  it.each(cases)('refuses $what, naming the key and the fix', ({ files, message }) => {
    let thrown: unknown;
    try {
      readPageTls(files(), WHERE);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PageTlsError);
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('plainPageWarning', () => {
  it.each([
    { host: '0.0.0.0', tls: false, trustProxy: false, warns: true },
    { host: '10.20.0.10', tls: false, trustProxy: false, warns: true },
    { host: '::', tls: false, trustProxy: false, warns: true },
    { host: '0.0.0.0', tls: true, trustProxy: false, warns: false },
    { host: '127.0.0.1', tls: false, trustProxy: true, warns: false },
    { host: '0.0.0.0', tls: false, trustProxy: true, warns: false }, // the proxy's firewall is the installer's word
    { host: '127.0.0.1', tls: false, trustProxy: false, warns: false },
    { host: '127.3.2.1', tls: false, trustProxy: false, warns: false },
    { host: 'localhost', tls: false, trustProxy: false, warns: false },
    { host: '::1', tls: false, trustProxy: false, warns: false },
  ])('host $host, tls $tls, trustProxy $trustProxy: warns $warns', ({ warns, ...o }) => {
    const warning = plainPageWarning({ key: 'review', ...o });
    expect(warning !== undefined).toBe(warns);
    if (warning) expect(warning).toMatch(/^review: the page is served over plain HTTP on .*: .*Set review\.tls .*review\.trustProxy: true$/);
  });
});
