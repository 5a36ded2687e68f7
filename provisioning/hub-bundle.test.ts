import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/wardwatch.js';
import { loadEdgeConfig } from '../shared/config/load.js';
import { readPageTls } from '../shared/http/page-tls.js';
import { applyBundle, BundleError, checkBundle, readBundle } from './hub-bundle.js';
import { boxCertName, makeHubTls } from './tls.js';

let dir: string;
let caPem: string;
let hubCrt: string;
let boxPage: { cert: string; key: string };
let otherCaBox: { cert: string; key: string };
const TOKEN = 'A'.repeat(43);

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['provision', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-bundle-'));
  const tls = await makeHubTls({ dir: path.join(dir, 'tls'), hosts: ['127.0.0.1'] });
  caPem = readFileSync(tls.caCert, 'utf8');
  hubCrt = readFileSync(tls.cert, 'utf8');
  const box = await makeHubTls({ dir: path.join(dir, 'tls'), hosts: ['10.7.0.2'], name: boxCertName('p07') });
  boxPage = { cert: readFileSync(box.cert, 'utf8'), key: readFileSync(box.key, 'utf8') };
  const other = await makeHubTls({ dir: path.join(dir, 'other-ca'), hosts: ['10.7.0.2'], name: boxCertName('p07') });
  otherCaBox = { cert: readFileSync(other.cert, 'utf8'), key: readFileSync(other.key, 'utf8') };
});

const hubYamlText = (ward: string) =>
  `district: { name: T }\nstorage: { root: ${dir}/hub }\nbroker:\n  listeners:\n    - { type: tls, port: 8883, certFile: tls/hub.crt, keyFile: tls/hub.key }\nwards:\n  - { id: ${ward}, name: P }\n`;

describe('checkBundle', () => {
  const cases: [string, () => unknown, RegExp | undefined][] = [
    ['a complete bundle', () => ({ ward: 'p07', token: TOKEN, ca: caPem, hub: { host: '10.20.0.10', port: 8883 } }), undefined],
    ['a list', () => [1], /is not a hub bundle/],
    ['no ward', () => ({ token: TOKEN, ca: caPem }), /ward is missing/],
    ['a cut token', () => ({ ward: 'p07', token: 'abc', ca: caPem }), /token is missing or damaged/],
    ['no CA', () => ({ ward: 'p07', token: TOKEN }), /ca is missing/],
    ['the hub certificate instead of the CA', () => ({ ward: 'p07', token: TOKEN, ca: hubCrt }), /server certificate, not the CA/],
    ['text that is no certificate', () => ({ ward: 'p07', token: TOKEN, ca: 'hello' }), /not a PEM certificate/],
    ['the review page certificate and key', () => ({ ward: 'p07', token: TOKEN, ca: caPem, hub: { host: '10.20.0.10', port: 8883 }, review: boxPage }), undefined],
    ['a review page certificate from another CA', () => ({ ward: 'p07', token: TOKEN, ca: caPem, review: otherCaBox }), /review\.cert was not signed by the bundle's ca/],
    ['a review key that is not the certificate\'s', () => ({ ward: 'p07', token: TOKEN, ca: caPem, review: { cert: boxPage.cert, key: otherCaBox.key } }), /review\.key is not the key of review\.cert/],
    ['the CA as the review certificate', () => ({ ward: 'p07', token: TOKEN, ca: caPem, review: { cert: caPem, key: boxPage.key } }), /review\.cert is a CA/],
    ['a review without its key', () => ({ ward: 'p07', token: TOKEN, ca: caPem, review: { cert: boxPage.cert } }), /review must hold cert and key .*--box-host ADDRESS/],
    ['a review key that is no key', () => ({ ward: 'p07', token: TOKEN, ca: caPem, review: { cert: boxPage.cert, key: 'nope' } }), /review\.key is not a PEM private key/],
  ];
  for (const [name, data, expected] of cases) {
    it(`${expected ? 'refuses' : 'accepts'} ${name}`, () => {
      if (expected) expect(() => checkBundle(data(), 'p07.bundle')).toThrow(expected);
      else expect(checkBundle(data(), 'p07.bundle').hub).toEqual({ host: '10.20.0.10', port: 8883 });
    });
  }
});

describe('the hand-off', () => {
  it('issue --bundle on the hub, apply on the box: token in the box secrets, CA at hub.caFile, comments kept; without --box-host the page stays plain, and both say so', async () => {
    const hubYaml = path.join(dir, 'hub.yaml');
    writeFileSync(hubYaml, `district: { name: T }\nstorage: { root: ${dir}/hub }\nbroker:\n  listeners:\n    - { type: tls, port: 8883, certFile: tls/hub.crt, keyFile: tls/hub.key }\nwards:\n  - { id: p07, name: P7 }\n`);
    const bundle = path.join(dir, 'p07.bundle');
    const issued = await cli('credentials', 'issue', '--ward', 'p07', '--hub-config', hubYaml, '--bundle', bundle, '--hub', '10.20.0.10:8883');
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toContain('credentials apply --bundle p07.bundle');
    expect(issued.out).toMatch(/note: no review page certificate in the bundle: .*add --box-host ADDRESS/);
    expect(statSync(bundle).mode & 0o777).toBe(0o600);
    const b = readBundle(bundle);
    expect(b.ca).toBe(caPem);
    expect(issued.out + issued.err).not.toContain(b.token);

    const box = path.join(dir, 'box');
    const edgeYaml = path.join(box, 'edge.yaml');
    mkdirSync(box);
    writeFileSync(edgeYaml, '# box p07\nward: { id: p07, name: P7 }\nstorage: { root: data }\n# the hub\nhub: { host: 10.20.0.10, tokenSecret: hub-token }\ncameras:\n  - { id: c1, name: C1, streams: { main: { url: "rtsp://10.0.0.5/m" } } }\n');
    const applied = await cli('credentials', 'apply', '--bundle', bundle, '--config', edgeYaml);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain('added hub.caFile');
    expect(applied.out).toMatch(/note: the bundle carries no review page certificate .*plain HTTP.*--box-host ADDRESS.*credentials tls --out DIR --box p07 --host ADDRESS/);
    const text = readFileSync(edgeYaml, 'utf8');
    expect(text).not.toContain('tls:');
    expect(text).toContain('# the hub');
    const loaded = loadEdgeConfig(edgeYaml, { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.hub?.token).toBe(b.token);
    expect(loaded.config.hub?.caFile).toBe(path.join(box, 'ca.pem'));
    expect(readFileSync(path.join(box, 'ca.pem'), 'utf8')).toBe(caPem);
    expect(statSync(path.join(box, 'secrets.yaml')).mode & 0o777).toBe(0o600);
  });

  it('issue --box-host puts the box\'s page certificate (district CA) in the bundle, not on the hub; apply installs it and sets review.tls', async () => {
    const hubYaml = path.join(dir, 'hub-p08.yaml');
    writeFileSync(hubYaml, hubYamlText('p08'));
    const bundle = path.join(dir, 'p08.bundle');
    const issued = await cli('credentials', 'issue', '--ward', 'p08', '--hub-config', hubYaml, '--bundle', bundle, '--hub', '10.20.0.10:8883', '--box-host', '10.8.0.2', '--box-host', 'p08.ward.local');
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toContain('the review page\'s certificate for 10.8.0.2, p08.ward.local');
    expect(issued.out).not.toContain('note:');
    const b = readBundle(bundle);
    const cert = new X509Certificate(b.review!.cert);
    expect(cert.verify(new X509Certificate(caPem).publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe('IP Address:10.8.0.2, DNS:p08.ward.local');
    expect(existsSync(path.join(dir, 'tls', 'box-p08.key'))).toBe(false); // the box's key lives only in the bundle
    expect(issued.out + issued.err).not.toContain(b.review!.key.split('\n')[1]!);

    const box = path.join(dir, 'box-p08');
    mkdirSync(box);
    const edgeYaml = path.join(box, 'edge.yaml');
    writeFileSync(edgeYaml, 'ward: { id: p08, name: P8 }\nstorage: { root: data }\n# the page\nreview: { host: 0.0.0.0, port: 8080 }\ncameras:\n  - { id: c1, name: C1, streams: { main: { url: "rtsp://10.0.0.5/m" } } }\n');
    const applied = await cli('credentials', 'apply', '--bundle', bundle, '--config', edgeYaml);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toMatch(/the review page's certificate to .*box-p08\.crt, its key to .*box-p08\.key \(mode 0600\); added hub, review\.tls/);
    expect(applied.out).not.toContain('note:');
    expect(readFileSync(edgeYaml, 'utf8')).toContain('# the page');
    const loaded = loadEdgeConfig(edgeYaml, { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.review.tls).toEqual({ certFile: path.join(box, 'tls/box-p08.crt'), keyFile: path.join(box, 'tls/box-p08.key') });
    expect(statSync(path.join(box, 'tls/box-p08.key')).mode & 0o777).toBe(0o600);
    // the pair the box's page reads at start
    expect(readPageTls(loaded.config.review.tls!, { key: 'review.tls', make: 'x' }).cert.toString()).toBe(b.review!.cert);
  });

  it('apply leaves a page behind a TLS proxy (review.trustProxy) as it is, and says so', async () => {
    const box = path.join(dir, 'box-proxy');
    mkdirSync(box);
    const edgeYaml = path.join(box, 'edge.yaml');
    const text = 'ward: { id: p08, name: P8 }\nstorage: { root: data }\nhub: { host: 10.20.0.10 }\nreview: { host: 127.0.0.1, port: 8080, trustProxy: true }\ncameras:\n  - { id: c1, name: C1, streams: { main: { url: "rtsp://10.0.0.5/m" } } }\n';
    writeFileSync(edgeYaml, text);
    const a = applyBundle({ ward: 'p08', token: TOKEN, ca: caPem, review: boxPage }, edgeYaml);
    expect(a.review).toBeUndefined();
    expect(a.notes.join('\n')).toMatch(/review\.trustProxy is on .*not installed/);
    expect(existsSync(path.join(box, 'tls'))).toBe(false);
    expect(readFileSync(edgeYaml, 'utf8')).not.toContain('tls:');
  });

  it('issue --box-host refuses, writing nothing, when the district CA\'s key is not beside ca.pem', async () => {
    const hubYaml = path.join(dir, 'hub-noca.yaml');
    writeFileSync(hubYaml, hubYamlText('p11'));
    const lonely = path.join(dir, 'lonely');
    mkdirSync(lonely);
    writeFileSync(path.join(lonely, 'ca.pem'), caPem);
    const bundle = path.join(dir, 'p11.bundle');
    const r = await cli('credentials', 'issue', '--ward', 'p11', '--hub-config', hubYaml, '--bundle', bundle, '--ca', path.join(lonely, 'ca.pem'), '--box-host', '10.11.0.2');
    expect(r.code).toBe(78);
    expect(r.err).toMatch(/review page certificate for box p11: .*lonely\/ca\.key not found: the district CA's ca\.pem and ca\.key .* are both needed/);
    expect(existsSync(bundle)).toBe(false);
    expect(readFileSync(hubYaml, 'utf8')).not.toContain('tokenHash');
    const alone = await cli('credentials', 'issue', '--ward', 'p11', '--hub-config', hubYaml, '--edge-secrets', path.join(dir, 's.yaml'), '--box-host', '10.11.0.2');
    expect([alone.code, alone.err]).toEqual([64, expect.stringMatching(/--box-host go with --bundle/)]);
    const bad = await cli('credentials', 'issue', '--ward', 'p11', '--hub-config', hubYaml, '--bundle', bundle, '--box-host', 'a b');
    expect([bad.code, bad.err]).toEqual([64, expect.stringMatching(/--box-host "a b" is not a host name/)]);
    expect(readFileSync(hubYaml, 'utf8')).not.toContain('tokenHash');
  });

  it('init --hub-bundle with the page certificate: edge.yaml says HTTPS, review.tls is set, only the model is left', async () => {
    const bundle = path.join(dir, 'p10.bundle');
    writeFileSync(path.join(dir, 'p10-hub.yaml'), hubYamlText('p10'));
    expect((await cli('credentials', 'issue', '--ward', 'p10', '--hub-config', path.join(dir, 'p10-hub.yaml'), '--bundle', bundle, '--hub', '10.20.0.10:8883', '--box-host', '10.10.0.2')).code).toBe(0);
    const cams = path.join(dir, 'cams10.csv');
    writeFileSync(cams, 'id,name,main,user,password\ngate,Gate,rtsp://10.0.0.5/main,admin,pw-4471\n', { mode: 0o600 });
    const out = path.join(dir, 'p10', 'edge.yaml');
    const r = await cli('init', '--ward', 'p10', '--name', 'P10', '--cameras', cams, '--out', out, '--hub-bundle', bundle, '--storage', path.join(dir, 'p10-data'), '--review-host', '10.10.0.2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('review page: https://10.10.0.2:8080 with the certificate from the hub\'s bundle (review.tls)');
    expect(r.out).toMatch(/still missing before the box can start \(1\):\n {2}model\.path: /);
    expect(r.out).toMatch(/next:\n {2}1\. wardwatch provision model --config /);
    expect(r.out).not.toMatch(/credentials (issue|tls)/);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('# The officers\' review page, over HTTPS with this box\'s certificate');
    expect(text).not.toContain('PLAIN HTTP');
    const loaded = loadEdgeConfig(out, { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.review.tls).toEqual({ certFile: path.join(dir, 'p10', 'tls/box-p10.crt'), keyFile: path.join(dir, 'p10', 'tls/box-p10.key') });
    expect(statSync(path.join(dir, 'p10', 'tls/box-p10.key')).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(readFileSync(path.join(dir, 'p10', 'tls/box-p10.crt'))).subjectAltName).toBe('IP Address:10.10.0.2');
    // the same bundle for a page that listens on another address: the certificate would not fit, and init says so
    const elsewhere = await cli('init', '--ward', 'p10', '--name', 'P10', '--cameras', cams, '--out', out, '--force', '--hub-bundle', bundle, '--storage', path.join(dir, 'p10-data'), '--review-host', '10.10.0.9');
    expect(elsewhere.code, elsewhere.err).toBe(0);
    expect(elsewhere.out).toContain('note: the review page\'s certificate is for IP Address:10.10.0.2, not 10.10.0.9 (--review-host): browsers would refuse it there; on the hub, issue the bundle again with --box-host 10.10.0.9');
    expect(r.out).not.toContain('note:');
    rmSync(bundle);
  });

  it('init --hub-bundle with an old bundle (no page certificate): only the model is left, and edge.yaml and next: say the page is plain HTTP', async () => {
    const bundle = path.join(dir, 'init.bundle');
    writeFileSync(path.join(dir, 'init-hub.yaml'), `district: { name: T }\nstorage: { root: ${dir}/hub }\nbroker:\n  listeners:\n    - { type: tls, port: 8883, certFile: tls/hub.crt, keyFile: tls/hub.key }\nwards:\n  - { id: p09, name: P9 }\n`);
    expect((await cli('credentials', 'issue', '--ward', 'p09', '--hub-config', path.join(dir, 'init-hub.yaml'), '--bundle', bundle, '--hub', '10.20.0.10:8883')).code).toBe(0);
    const cams = path.join(dir, 'cams.csv');
    writeFileSync(cams, 'id,name,main,user,password\ngate,Gate,rtsp://10.0.0.5/main,admin,pw-4471\n', { mode: 0o600 });
    const out = path.join(dir, 'p09', 'edge.yaml');
    const r = await cli('init', '--ward', 'p09', '--name', 'P9', '--cameras', cams, '--out', out, '--hub-bundle', bundle, '--storage', path.join(dir, 'p09-data'), '--review-host', '10.9.0.2');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/still missing before the box can start \(1\):\n {2}model\.path: /);
    expect(r.out).toContain('review page: plain HTTP on 10.9.0.2:8080, no certificate yet');
    expect(r.out).toMatch(/note: the bundle carries no review page certificate/);
    expect(r.out).toMatch(/next:\n {2}1\. for HTTPS on the review page, on the hub: wardwatch provision credentials tls --out \/etc\/wardwatch-hub\/tls --box p09 --host 10\.9\.0\.2; .*\n {2}2\. wardwatch provision model --config /);
    expect(r.out).not.toContain('credentials issue --ward p09 --hub-config');
    expect(readFileSync(out, 'utf8')).toMatch(/# The officers' review page, over PLAIN HTTP: .*\n# For HTTPS add review\.tls: .*--box-host ADDRESS/);
    const loaded = loadEdgeConfig(out, { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect(loaded.config.hub).toMatchObject({ host: '10.20.0.10', port: 8883, token: readBundle(bundle).token, caFile: path.join(dir, 'p09', 'ca.pem') });
    expect(loaded.config.review).toMatchObject({ host: '10.9.0.2', port: 8080 });
    expect(loaded.config.review.tls).toBeUndefined();
    expect(loaded.config.disk).toEqual({ floorPercent: 10, floorGb: 20, marginGb: 2 });
  });

  it('a box of a ward with boxes: issue --box adds it (and its ward) to hub.yaml, the bundle names it, apply sets box.id, init --box writes it', async () => {
    const hubYaml = path.join(dir, 'hub-boxes.yaml');
    writeFileSync(hubYaml, `# after the merger\n${hubYamlText('p07')}`);
    const bundle = path.join(dir, 'dn-2.bundle');
    const issued = await cli('credentials', 'issue', '--box', 'dn-2', '--ward', 'duc-nhuan', '--name', 'Phường Đức Nhuận', '--hub-config', hubYaml, '--bundle', bundle, '--hub', '10.20.0.10:8883', '--box-host', '10.7.0.12');
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toContain('added ward duc-nhuan (Phường Đức Nhuận) with box dn-2');
    expect(issued.out).toContain('issued a new token for box dn-2 of ward duc-nhuan (login ward-dn-2)');
    const hub = readFileSync(hubYaml, 'utf8');
    expect(hub).toContain('# after the merger');
    expect(hub).toMatch(/- id: duc-nhuan\n {4}name: Phường Đức Nhuận\n {4}boxes:\n {6}- id: dn-2\n {8}tokenHash: scrypt\$/);
    expect((await cli('validate', hubYaml)).code).toBe(0);
    expect(readFileSync(bundle, 'utf8')).toMatch(/^# Wardwatch hub bundle for box dn-2 of ward duc-nhuan, /);
    const b = readBundle(bundle);
    expect([b.ward, b.box]).toEqual(['duc-nhuan', 'dn-2']);

    // a second box of the ward, and refusals: a box id another ward holds, --ward alone for a ward with boxes
    expect((await cli('credentials', 'issue', '--box', 'dn-1', '--ward', 'duc-nhuan', '--hub-config', hubYaml, '--edge-secrets', path.join(dir, 'dn-1.secrets.yaml'))).out).toContain('added box dn-1 to ward duc-nhuan');
    const taken = await cli('credentials', 'issue', '--box', 'dn-1', '--ward', 'p07', '--hub-config', hubYaml, '--edge-secrets', path.join(dir, 'x.secrets.yaml'));
    expect([taken.code, taken.err]).toEqual([78, expect.stringContaining('box "dn-1" is a box of ward duc-nhuan, not of ward p07: box ids are unique in the district')]);
    const wardOnly = await cli('credentials', 'issue', '--ward', 'duc-nhuan', '--hub-config', hubYaml, '--edge-secrets', path.join(dir, 'x.secrets.yaml'));
    expect([wardOnly.code, wardOnly.err]).toEqual([78, expect.stringContaining('ward "duc-nhuan" has boxes (dn-2, dn-1): each box has its own token: name it with --box ID')]);
    expect(existsSync(path.join(dir, 'x.secrets.yaml'))).toBe(false);
    const none = await cli('credentials', 'issue', '--hub-config', hubYaml, '--edge-secrets', path.join(dir, 'x.secrets.yaml'));
    expect([none.code, none.err]).toEqual([64, expect.stringContaining('--box ID (a box of a ward with boxes) or --ward ID')]);

    // apply on a box of ward duc-nhuan without box.id: it becomes box dn-2, right after ward:
    const box = path.join(dir, 'box-dn-2');
    mkdirSync(box);
    const edgeYaml = path.join(box, 'edge.yaml');
    writeFileSync(edgeYaml, 'ward: { id: duc-nhuan, name: Phường Đức Nhuận }\nstorage: { root: data }\ncameras:\n  - { id: c1, name: C1, streams: { main: { url: "rtsp://10.0.0.5/m" } } }\n');
    const applied = await cli('credentials', 'apply', '--bundle', bundle, '--config', edgeYaml);
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain('added box.id, hub, review.tls');
    expect(readFileSync(edgeYaml, 'utf8')).toMatch(/^ward: .*\nbox:\n {2}id: dn-2\nstorage:/);
    const loaded = loadEdgeConfig(edgeYaml, { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    expect([loaded.config.box?.id, loaded.config.hub?.username, loaded.config.review.tls?.certFile]).toEqual(['dn-2', 'ward-dn-2', path.join(box, 'tls/box-dn-2.crt')]);
    // …and refused on another box of the same ward
    const other = path.join(dir, 'dn-1.yaml');
    writeFileSync(other, 'ward: { id: duc-nhuan, name: Đ }\nbox: { id: dn-1 }\nstorage: { root: data }\ncameras: []\n');
    expect(() => applyBundle(b, other)).toThrow(/the bundle is for box dn-2 of ward duc-nhuan, but .* is box dn-1: issue one on the hub with `credentials issue --box dn-1 --ward duc-nhuan …`/);

    // init --box writes box.id; with the bundle and no --box, the bundle's box is taken
    const cams = path.join(dir, 'cams-dn.csv');
    writeFileSync(cams, 'id,name,main\ngate,Gate,rtsp://10.0.0.5/main\n');
    const out = path.join(dir, 'dn-2', 'edge.yaml');
    const r = await cli('init', '--ward', 'duc-nhuan', '--name', 'Phường Đức Nhuận', '--cameras', cams, '--out', out, '--hub-bundle', bundle, '--storage', path.join(dir, 'dn-data'), '--review-host', '10.7.0.12');
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# Ward box dn-2 of ward duc-nhuan \(Phường Đức Nhuận\)/);
    expect(text).toMatch(/# This machine, one of the ward's boxes: .*\nbox:\n {2}id: dn-2\n/);
    const mismatch = await cli('init', '--ward', 'duc-nhuan', '--box', 'dn-3', '--name', 'Đ', '--cameras', cams, '--out', path.join(dir, 'dn-3', 'edge.yaml'), '--hub-bundle', bundle);
    expect([mismatch.code, mismatch.err]).toEqual([78, expect.stringContaining('is for box dn-2 of ward duc-nhuan, not box dn-3: issue one with --box dn-3 --ward duc-nhuan on the hub')]);
    const plain = await cli('init', '--ward', 'duc-nhuan', '--box', 'dn-3', '--name', 'Đ', '--cameras', cams, '--out', path.join(dir, 'dn-3', 'edge.yaml'), '--hub', '10.20.0.10:8883');
    expect(plain.code, plain.err).toBe(0);
    expect(plain.out).toContain('credentials issue --box dn-3 --ward duc-nhuan --hub-config /etc/wardwatch-hub/hub.yaml --bundle dn-3.bundle');
    expect(readFileSync(path.join(dir, 'dn-3', 'edge.yaml'), 'utf8')).toContain('box:\n  id: dn-3\n');

    // revoke by box
    const revoked = await cli('credentials', 'revoke', '--box', 'dn-2', '--hub-config', hubYaml);
    expect([revoked.code, revoked.out]).toEqual([0, expect.stringContaining('revoked the token of box dn-2 of ward duc-nhuan (login ward-dn-2)')]);
    expect(readFileSync(hubYaml, 'utf8')).toMatch(/- id: dn-2\n {6}- id: dn-1\n {8}tokenHash/);
  });

  it('refuses a bundle for another ward, writing nothing', () => {
    const edgeYaml = path.join(dir, 'p01.yaml');
    writeFileSync(edgeYaml, 'ward: { id: p01, name: P1 }\nstorage: { root: data }\ncameras: []\n');
    expect(() => applyBundle({ ward: 'p07', token: TOKEN, ca: caPem }, edgeYaml)).toThrow(BundleError);
    expect(() => applyBundle({ ward: 'p07', token: TOKEN, ca: caPem }, edgeYaml)).toThrow(/for ward p07, but .* is ward p01: issue one for ward p01/);
    expect(() => statSync(path.join(dir, 'ca.pem'))).toThrow();
  });

  it('says where the CA was looked for when hub.yaml has no tls listener', async () => {
    const hubYaml = path.join(dir, 'plain-hub.yaml');
    writeFileSync(hubYaml, `district: { name: T }\nstorage: { root: ${dir}/hub }\nbroker:\n  listeners:\n    - { type: tcp, port: 1883 }\nwards:\n  - { id: p07, name: P7 }\n`);
    const r = await cli('credentials', 'issue', '--ward', 'p07', '--hub-config', hubYaml, '--bundle', path.join(dir, 'x.bundle'));
    expect(r.code).toBe(78);
    expect(r.err).toContain('give --ca FILE');
    expect(readFileSync(hubYaml, 'utf8')).not.toContain('tokenHash');
  });
});
