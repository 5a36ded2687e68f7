import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../package.js';
import { edgeFileChecks, fileProblem, loadEdgeForStart, loadHubForStart, type FileKind } from './start-checks.js';
import type { EdgeConfig } from './load.js';

let dir: string;
const f = (name: string) => path.join(dir, name);

/** A CA and a server certificate it signed, and a second, unrelated key: made by openssl as `credentials tls` does. */
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Test CA', '-addext', 'basicConstraints=critical,CA:TRUE');
  ossl('req', '-new', ...ec, '-keyout', 'hub.key', '-out', 'hub.csr', '-subj', '/CN=hub');
  writeFileSync(f('ext.cnf'), 'basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n');
  ossl('x509', '-req', '-in', 'hub.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'hub.crt', '-days', '30', '-extfile', 'ext.cnf');
  ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', 'other.key');
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-start-'));
  makeCerts();
  copyFileSync(path.join(packageRoot(), 'models/yolox_nano.onnx'), f('model.onnx'));
  copyFileSync(path.join(packageRoot(), 'models/known-answer.jpg'), f('picture.jpg'));
  writeFileSync(f('empty'), '');
  mkdirSync(f('folder'));
  writeFileSync(f('script'), '#!/bin/sh\n', { mode: 0o755 });
});

describe('fileProblem', () => {
  const cases: { name: string; file: string; kind: FileKind; certFile?: string; expect: RegExp | undefined }[] = [
    { name: 'a CA certificate', file: 'ca.pem', kind: 'ca-certificate', expect: undefined },
    { name: 'a missing CA', file: 'nope.pem', kind: 'ca-certificate', expect: /nope\.pem does not exist/ },
    { name: 'the hub certificate given as the CA', file: 'hub.crt', kind: 'ca-certificate', expect: /is a server certificate .*not the CA/ },
    { name: 'a key given as a certificate', file: 'hub.key', kind: 'certificate', expect: /holds no PEM certificate/ },
    { name: 'an empty certificate file', file: 'empty', kind: 'certificate', expect: /is empty/ },
    { name: 'a folder given as a certificate', file: 'folder', kind: 'certificate', expect: /is not a file/ },
    { name: 'the server certificate', file: 'hub.crt', kind: 'certificate', expect: undefined },
    { name: 'the key of the certificate', file: 'hub.key', kind: 'private-key', certFile: 'hub.crt', expect: undefined },
    { name: 'another key than the certificate\'s', file: 'other.key', kind: 'private-key', certFile: 'hub.crt', expect: /other\.key is not the key of .*hub\.crt/ },
    { name: 'a certificate given as a key', file: 'hub.crt', kind: 'private-key', expect: /holds no readable private key/ },
    { name: 'the ONNX model', file: 'model.onnx', kind: 'onnx-model', expect: undefined },
    { name: 'a picture named as the model', file: 'picture.jpg', kind: 'onnx-model', expect: /is not an ONNX model/ },
    { name: 'a missing model', file: 'models/yolox_nano.onnx', kind: 'onnx-model', expect: /does not exist/ },
    { name: 'an executable', file: 'script', kind: 'executable', expect: undefined },
    { name: 'a file that is not executable', file: 'ca.pem', kind: 'executable', expect: /is not executable/ },
    { name: 'a data folder not made yet', file: 'data/new', kind: 'folder', expect: undefined },
    { name: 'a file where the data folder should be', file: 'ca.pem', kind: 'folder', expect: /is a file, not a folder/ },
  ];
  for (const c of cases) {
    it(`${c.expect ? 'refuses' : 'accepts'} ${c.name}`, () => {
      const got = fileProblem({ file: f(c.file), kind: c.kind, certFile: c.certFile && f(c.certFile) });
      if (c.expect) expect(got).toMatch(c.expect);
      else expect(got).toBeUndefined();
    });
  }

  it('refuses a certificate that has expired', () => {
    const later = Date.now() + 40 * 86_400_000;
    expect(fileProblem({ file: f('ca.pem'), kind: 'ca-certificate' }, later)).toMatch(/expired on \d{4}-\d\d-\d\d/);
  });
});

describe('loadEdgeForStart', () => {
  const edge = (extra: string) =>
    `ward: { id: p07, name: P7 }\nstorage: { root: data }\nhub: { host: 127.0.0.1, port: 8883, caFile: ${extra}, tokenSecret: hub-token }\nmodel: { path: models/yolox_nano.onnx }\n` +
    `cameras:\n  - { id: cam-01, name: Gate, streams: { main: { url: "rtsp://10.0.0.5/main" } }, credentials: { username: admin, passwordSecret: cam-1 } }\n`;

  it('names the missing secret, the CA and the model at once, each with its line and fix', () => {
    const file = f('edge.yaml');
    writeFileSync(file, edge('ca-copy.pem'));
    writeFileSync(f('secrets.yaml'), 'cam-01: pw\n', { mode: 0o600 }); // the typo: edge.yaml asks for "cam-1"
    const r = loadEdgeForStart(file, { env: {} });
    expect(r.ok).toBe(false);
    const byPath = new Map(r.problems.map((p) => [p.path, p]));
    expect([...byPath.keys()].sort()).toEqual(['cameras[0].credentials.passwordSecret', 'hub.caFile', 'hub.tokenSecret', 'model.path']);
    expect(byPath.get('hub.caFile')!.line).toBe(3);
    expect(byPath.get('hub.caFile')!.hint).toContain('credentials apply');
    expect(byPath.get('model.path')!.hint).toContain('wardwatch provision model --config edge.yaml');
    expect(byPath.get('cameras[0].credentials.passwordSecret')!.message).toBe('secret "cam-1" not found');
  });

  it('is ok once the secrets, the CA and the model are there', () => {
    const file = f('edge.yaml');
    writeFileSync(file, edge('ca.pem'));
    writeFileSync(f('secrets.yaml'), 'cam-1: pw\nhub-token: abc\n');
    chmodSync(f('secrets.yaml'), 0o600);
    mkdirSync(f('models'), { recursive: true });
    copyFileSync(f('model.onnx'), f('models/yolox_nano.onnx'));
    const r = loadEdgeForStart(file, { env: {} });
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });
});

describe('edgeFileChecks', () => {
  const config = (model: { path: string; configured: boolean }) => ({ file: '/etc/wardwatch/edge.yaml', storage: { root: '/var/lib/wardwatch' }, model, ffmpeg: {}, review: {}, hub: undefined }) as unknown as EdgeConfig;
  const modelFile = (c: EdgeConfig, exists: boolean) => edgeFileChecks(c, () => exists).find((x) => x.kind === 'onnx-model')!.file;
  it('checks the model the box would run: configured, installed beside edge.yaml, else the packaged copy', () => {
    expect(modelFile(config({ path: '/srv/m.onnx', configured: true }), false)).toBe('/srv/m.onnx');
    expect(modelFile(config({ path: '/etc/wardwatch/models/yolox_nano.onnx', configured: false }), true)).toBe('/etc/wardwatch/models/yolox_nano.onnx');
    expect(modelFile(config({ path: '/etc/wardwatch/models/yolox_nano.onnx', configured: false }), false)).toBe(path.join(packageRoot(), 'models/yolox_nano.onnx'));
  });
});

describe('loadHubForStart', () => {
  it('names a key that does not belong to the listener\'s certificate', () => {
    const file = f('hub.yaml');
    writeFileSync(file, 'district: { name: D }\nstorage: { root: hubdata }\nbroker:\n  listeners:\n    - { type: tls, port: 0, certFile: hub.crt, keyFile: other.key }\nwards: [{ id: p07, name: P7 }]\n');
    const r = loadHubForStart(file, { env: {} });
    expect(r.problems.map((p) => `${p.line} ${p.path}`)).toEqual(['5 broker.listeners[0].keyFile']);
    expect(r.problems[0]!.message).toMatch(/is not the key of/);
    writeFileSync(file, 'district: { name: D }\nstorage: { root: hubdata }\nbroker:\n  listeners:\n    - { type: tls, port: 0, certFile: hub.crt, keyFile: hub.key }\nwards: [{ id: p07, name: P7 }]\n');
    expect(loadHubForStart(file, { env: {} }).ok).toBe(true);
  });
  it('names an external broker\'s CA that is missing, or the hub certificate given as one', () => {
    const file = f('hub-external.yaml');
    const yaml = (ca: string) => `district: { name: D }\nstorage: { root: hubdata }\nbroker:\n  mode: external\n  external: { url: 'mqtts://10.0.0.5:8883', username: hub, passwordSecret: bp, caFile: ${ca} }\nwards: [{ id: p07, name: P7 }]\n`;
    writeFileSync(file, yaml('missing-ca.pem'));
    const r = loadHubForStart(file, { env: { WARDWATCH_SECRET_BP: 'pw' } });
    expect(r.problems.map((p) => `${p.line} ${p.path}`)).toEqual(['5 broker.external.caFile']);
    expect(r.problems[0]!.hint).toContain("the CA that signed the broker's certificate");
    writeFileSync(file, yaml('hub.crt'));
    expect(loadHubForStart(file, { env: { WARDWATCH_SECRET_BP: 'pw' } }).problems[0]?.message).toMatch(/not the CA/);
    writeFileSync(file, yaml('ca.pem'));
    expect(loadHubForStart(file, { env: { WARDWATCH_SECRET_BP: 'pw' } }).ok).toBe(true);
  });
  it('names a PostgreSQL CA that is missing', () => {
    const file = f('hub-postgres.yaml');
    const yaml = (ca: string) => `district: { name: D }\nstorage: { root: hubdata }\nstore:\n  type: postgres\n  postgres: { url: 'postgres://ww@10.0.0.6/ww', caFile: ${ca} }\nbroker:\n  listeners: [{ type: tcp, port: 0 }]\nwards: [{ id: p07, name: P7 }]\n`;
    writeFileSync(file, yaml('missing-db-ca.pem'));
    const r = loadHubForStart(file, { env: {} });
    expect(r.problems.map((p) => `${p.line} ${p.path}`)).toEqual(['5 store.postgres.caFile']);
    expect(r.problems[0]!.hint).toContain("the CA that signed the database server's certificate");
    writeFileSync(file, yaml('ca.pem'));
    expect(loadHubForStart(file, { env: {} }).ok).toBe(true);
  });
});

describe('a page certificate that is not there: the fix names the command that makes it', () => {
  it('edge.yaml review.tls: the hub\'s `credentials tls --box WARD --host ADDRESS` and where to copy the pair', () => {
    const file = f('edge-page.yaml');
    writeFileSync(file, 'ward: { id: p07, name: P7 }\nstorage: { root: data }\nmodel: { path: model.onnx }\nreview:\n  host: 10.7.0.2\n  tls: { certFile: tls/box-p07.crt, keyFile: tls/box-p07.key }\ncameras:\n  - { id: cam-01, name: Gate, streams: { main: { url: "rtsp://10.0.0.5/main" } } }\n');
    const r = loadEdgeForStart(file, { env: {} });
    const byPath = new Map(r.problems.map((p) => [p.path, p]));
    expect([...byPath.keys()].sort()).toEqual(['review.tls.certFile', 'review.tls.keyFile']);
    const cert = byPath.get('review.tls.certFile')!;
    expect(cert.line).toBe(6);
    expect(cert.message).toMatch(/tls\/box-p07\.crt does not exist/);
    expect(cert.hint).toContain('on the hub, where the district CA is: `wardwatch provision credentials tls --out DIR --box p07 --host 10.7.0.2`');
    expect(cert.hint).toContain(`copy DIR/box-p07.crt to ${f('tls/box-p07.crt')} and DIR/box-p07.key to ${f('tls/box-p07.key')}`);
    expect(cert.hint).toContain('--box-host 10.7.0.2');
  });

  it('edge.yaml review.tls on every network: ADDRESS stands for the box\'s address', () => {
    const file = f('edge-any.yaml');
    writeFileSync(file, 'ward: { id: p09, name: P9 }\nstorage: { root: data }\nmodel: { path: model.onnx }\nreview:\n  tls: { certFile: nope.crt, keyFile: nope.key }\ncameras:\n  - { id: cam-01, name: Gate, streams: { main: { url: "rtsp://10.0.0.5/main" } } }\n');
    const hint = loadEdgeForStart(file, { env: {} }).problems.find((p) => p.path === 'review.tls.certFile')!.hint;
    expect(hint).toContain('`wardwatch provision credentials tls --out DIR --box p09 --host ADDRESS`');
  });

  it('hub.yaml http.tls: the hub\'s own command, into the folder hub.yaml names', () => {
    const file = f('hub-page.yaml');
    writeFileSync(file, 'district: { name: D }\nstorage: { root: hubdata }\nbroker:\n  listeners:\n    - { type: tls, port: 0, certFile: hub.crt, keyFile: hub.key }\nhttp:\n  tls: { certFile: page/hub.crt, keyFile: page/hub.key }\nwards: [{ id: p07, name: P7 }]\n');
    const r = loadHubForStart(file, { env: {} });
    expect(r.problems.map((p) => p.path)).toEqual(['http.tls.certFile', 'http.tls.keyFile']);
    expect(r.problems[0]!.hint).toBe(`run \`wardwatch provision credentials tls --out ${f('page')} --host NAME|IP\` (every name and address boxes and browsers use; an existing CA there is kept)`);
  });
});
