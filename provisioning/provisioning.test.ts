import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { edgeConfigSchema } from '../shared/config/edge.js';
import { readCamerasFile, parseCsv, CamerasFileError } from './cameras-file.js';
import { formatTable, parseHostPort } from './cli-util.js';
import { setBoxTokenHash, setWardTokenHash, HubYamlError } from './hub-wards.js';
import { buildEdgeConfig, cameraIds, renderEdgeYaml } from './init.js';
import { pathsFromConfig, renderUnit } from './install.js';
import { streamWarnings, type ProbedStream } from './probe.js';
import { parseSample } from './stream-sample.js';
import { pickStreams } from './survey.js';
import { subjectAltNames } from './tls.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'ww-prov-'));

describe('picking main and sub streams', () => {
  const p = (uri: string, width?: number, height?: number) => ({ uri, width, height });
  it.each([
    { name: 'main is the largest, sub the smallest other', profiles: [p('a', 640, 360), p('b', 1920, 1080), p('c', 1280, 720)], main: 'b', sub: 'a' },
    { name: 'one profile: no sub', profiles: [p('a', 1280, 720)], main: 'a', sub: undefined },
    { name: 'two profiles on one URI: no sub', profiles: [p('a', 1280, 720), p('a', 640, 360)], main: 'a', sub: undefined },
    { name: 'no size known: the first is main', profiles: [p('a'), p('b')], main: 'a', sub: 'b' },
  ])('$name', ({ profiles, main, sub }) => {
    const picked = pickStreams(profiles);
    expect(picked?.main.uri).toBe(main);
    expect(picked?.sub?.uri).toBe(sub);
  });
  it('finds nothing in an empty list', () => expect(pickStreams([])).toBeUndefined());
});

describe('probe warnings', () => {
  const s = (role: ProbedStream['role'], codec: string): ProbedStream => ({ profile: role, uri: 'rtsp://x/', role, sample: { codec, width: 1, height: 1, fps: 1, bitrateKbps: 1 } });
  it.each([
    { name: 'a good camera', streams: [s('main', 'h264'), s('sub', 'h264')], skewMs: 1900, want: [] },
    { name: 'no sub stream', streams: [s('main', 'h264')], skewMs: 0, want: ['no sub stream'] },
    { name: 'H.265 main', streams: [s('main', 'hevc'), s('sub', 'h264')], skewMs: 0, want: ['main is H.265'] },
    { name: 'clock 2.5 s behind', streams: [s('main', 'h264'), s('sub', 'h264')], skewMs: -2500, want: ['2.5 s behind'] },
    { name: 'clock an hour ahead', streams: [s('main', 'h264'), s('sub', 'h264')], skewMs: 3_600_000, want: ['3600.0 s ahead'] },
  ])('$name', ({ streams, skewMs, want }) => {
    const w = streamWarnings({ fromOnvif: true, streams, skewMs });
    expect(w).toHaveLength(want.length);
    want.forEach((text, i) => expect(w[i]).toContain(text));
  });
  it('does not ask for a sub stream of a plain RTSP URL', () => {
    expect(streamWarnings({ fromOnvif: false, streams: [s('other', 'h264')], skewMs: undefined })).toEqual([]);
  });
});

describe('stream sample', () => {
  it('measures fps and bitrate from packet timestamps and sizes', () => {
    const packets = Array.from({ length: 21 }, (_, i) => ({ stream_index: 0, size: '1250', pts_time: (i / 10).toFixed(6) }));
    const json = JSON.stringify({ streams: [{ index: 0, codec_type: 'video', codec_name: 'h264', width: 640, height: 360, r_frame_rate: '30/1' }], packets });
    // 21 packets over 2.0 s: 10 fps; 21 × 1250 B over 2.1 s of video: 100 kbit/s
    expect(parseSample(json)).toEqual({ codec: 'h264', width: 640, height: 360, fps: 10, bitrateKbps: 100 });
  });
  it('falls back to the declared rate with too few packets, and finds no video in an audio-only answer', () => {
    const json = JSON.stringify({ streams: [{ index: 0, codec_type: 'video', codec_name: 'hevc', r_frame_rate: '25/1' }], packets: [] });
    expect(parseSample(json)).toMatchObject({ codec: 'hevc', fps: 25, bitrateKbps: undefined });
    expect(parseSample(JSON.stringify({ streams: [{ index: 0, codec_type: 'audio', codec_name: 'aac' }] }))).toBeUndefined();
  });
});

describe('hub.yaml ward tokens', () => {
  const hub = `# the hub\nwards:\n  # first ward\n  - { id: p01, name: One } # inline\n  - id: p07\n    name: Seven\n    tokenHash: old\n`;
  it('sets a hash and keeps every comment', () => {
    const out = setWardTokenHash(hub, 'p01', 'scrypt$1$1$1$a$b');
    expect(out).toContain('# the hub');
    expect(out).toContain('# first ward');
    expect(out).toContain('# inline');
    expect((parse(out) as { wards: { tokenHash?: string }[] }).wards[0]!.tokenHash).toBe('scrypt$1$1$1$a$b');
  });
  it('replaces and removes a hash', () => {
    expect((parse(setWardTokenHash(hub, 'p07', 'new')) as { wards: { tokenHash?: string }[] }).wards[1]!.tokenHash).toBe('new');
    const removed = setWardTokenHash(hub, 'p07', undefined);
    expect((parse(removed) as { wards: object[] }).wards[1]).toEqual({ id: 'p07', name: 'Seven' });
    expect(removed).toContain('# first ward');
  });
  it.each([
    { name: 'an unknown ward without --name', ward: 'p99', hash: 'h', add: undefined, msg: 'pass --name' },
    { name: 'revoking an unknown ward', ward: 'p99', hash: undefined, add: undefined, msg: 'nothing to revoke' },
    { name: 'a file with no wards', text: 'district: {name: x}\n', ward: 'p01', hash: 'h', add: undefined, msg: 'no "wards" list' },
  ])('refuses $name', ({ text, ward, hash, add, msg }) => {
    expect(() => setWardTokenHash(text ?? hub, ward, hash, add)).toThrow(HubYamlError);
    expect(() => setWardTokenHash(text ?? hub, ward, hash, add)).toThrow(msg);
  });
  it('adds a ward with --name', () => {
    expect((parse(setWardTokenHash(hub, 'p15', 'h', 'Fifteen')) as { wards: object[] }).wards[2]).toEqual({ id: 'p15', name: 'Fifteen', tokenHash: 'h' });
  });
});

describe('hub.yaml box tokens', () => {
  const hub = `# the district after 2025\nwards:\n  - { id: p07, name: Seven, tokenHash: h7 } # a ward that is one box\n  - id: duc-nhuan\n    name: Đức Nhuận\n    boxes: # one login each\n      - { id: dn-1, tokenHash: old }\n      - id: p11 # kept its id\n`;
  type Ward = { id: string; name: string; tokenHash?: string; boxes?: { id: string; tokenHash?: string }[] };
  const wards = (text: string) => (parse(text) as { wards: Ward[] }).wards;
  it.each([
    ['sets a box of a ward with boxes, by --box alone', { box: 'p11' }, 'new', undefined, (w: Ward[]) => w[1]!.boxes![1], { id: 'p11', tokenHash: 'new' }, 'duc-nhuan', []],
    ['--box with its own --ward', { box: 'dn-1', ward: 'duc-nhuan' }, 'new', undefined, (w: Ward[]) => w[1]!.boxes![0], { id: 'dn-1', tokenHash: 'new' }, 'duc-nhuan', []],
    ['a ward that is one box, by --box of its id', { box: 'p07' }, 'new', undefined, (w: Ward[]) => w[0], { id: 'p07', name: 'Seven', tokenHash: 'new' }, 'p07', []],
    ['revokes a box', { box: 'dn-1' }, undefined, undefined, (w: Ward[]) => w[1]!.boxes![0], { id: 'dn-1' }, 'duc-nhuan', []],
    ['adds a box to its ward', { box: 'dn-2', ward: 'duc-nhuan' }, 'h2', undefined, (w: Ward[]) => w[1]!.boxes![2], { id: 'dn-2', tokenHash: 'h2' }, 'duc-nhuan', ['added box dn-2 to ward duc-nhuan']],
    ['adds a ward and its box with --name', { box: 'ck-1', ward: 'cau-kieu' }, 'h3', 'Cầu Kiệu', (w: Ward[]) => w[2], { id: 'cau-kieu', name: 'Cầu Kiệu', boxes: [{ id: 'ck-1', tokenHash: 'h3' }] }, 'cau-kieu', ['added ward cau-kieu (Cầu Kiệu) with box ck-1']],
    [
      'gives a ward that is one box its boxes list, its own box first with its token',
      { box: 'p07-b', ward: 'p07' },
      'hb',
      undefined,
      (w: Ward[]) => w[0],
      { id: 'p07', name: 'Seven', boxes: [{ id: 'p07', tokenHash: 'h7' }, { id: 'p07-b', tokenHash: 'hb' }] },
      'p07',
      ['ward p07 was one box of its own id: it is now listed with boxes p07 (the same box, login and token as before) and p07-b'],
    ],
  ] as const)('%s', (_, target, hash, name, pick, expected, ward, notes) => {
    const edit = setBoxTokenHash(hub, target, hash, name);
    expect(pick(wards(edit.text))).toEqual(expected);
    expect([edit.ward, edit.notes]).toEqual([ward, notes]);
    for (const c of ['# the district after 2025', '# a ward that is one box', '# one login each', '# kept its id']) expect(edit.text).toContain(c);
  });
  it.each([
    ['--ward alone for a ward with boxes', { ward: 'duc-nhuan' }, 'h', 'ward "duc-nhuan" has boxes (dn-1, p11): each box has its own token: name it with --box ID'],
    ['a box id another ward holds', { box: 'dn-1', ward: 'p07' }, 'h', 'box "dn-1" is a box of ward duc-nhuan, not of ward p07: box ids are unique in the district'],
    ['a box id that is another ward\'s one box', { box: 'p07', ward: 'duc-nhuan' }, 'h', 'box "p07" is ward p07\'s one box, not of ward duc-nhuan'],
    ['a new box without its ward', { box: 'dn-9' }, 'h', 'lists no box "dn-9": add --ward WARD to add it to its ward'],
    ['a new box of an unknown ward without --name', { box: 'ck-1', ward: 'cau-kieu' }, 'h', 'lists no ward "cau-kieu" under wards: add it, or pass --name NAME'],
    ['revoking an unknown box', { box: 'dn-9' }, undefined, 'lists no box "dn-9": nothing to revoke'],
    ['revoking --ward alone for a ward with boxes', { ward: 'duc-nhuan' }, undefined, 'name it with --box ID'],
  ] as const)('refuses %s', (_, target, hash, msg) => {
    expect(() => setBoxTokenHash(hub, target, hash)).toThrow(HubYamlError);
    expect(() => setBoxTokenHash(hub, target, hash)).toThrow(msg);
  });
});

describe('camera list file', () => {
  it('splits CSV with quotes, doubled quotes, commas, CRLF and comment lines', () => {
    expect(parseCsv('# list\r\nid,name\r\ncam-1,"Gate ""A"", north"\r\n\r\n')).toEqual([['id', 'name'], ['cam-1', 'Gate "A", north']]);
  });
  it('reads CSV and YAML rows alike', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'c.csv'), 'id,name,address,user,password\ncam-1,Gate,10.0.0.5,admin,1234\n');
    writeFileSync(path.join(dir, 'c.yaml'), 'cameras:\n  - { id: cam-1, name: Gate, address: 10.0.0.5, user: admin, password: 1234 }\n');
    const want = [{ id: 'cam-1', name: 'Gate', address: '10.0.0.5', user: 'admin', password: '1234' }];
    expect(readCamerasFile(path.join(dir, 'c.csv'))).toEqual(want);
    expect(readCamerasFile(path.join(dir, 'c.yaml'))).toEqual(want);
  });
  it('reports every problem by row and field, and never echoes a password', () => {
    const file = path.join(tmp(), 'c.csv');
    writeFileSync(file, 'id,name,address,user,password,main\nCam 1,A,,admin,s3cret-pw,\ncam-2,B,10.0.0.6,admin,,\ncam-2,C,,,,http://x/\n');
    let err: CamerasFileError | undefined;
    try {
      readCamerasFile(file);
    } catch (e) {
      err = e as CamerasFileError;
    }
    expect(err).toBeInstanceOf(CamerasFileError);
    const text = err!.problems.join('\n');
    expect(text).toMatch(/row 2: id: must match/);
    expect(text).toMatch(/row 2: address: needs an address \(ONVIF\) or a main stream URL/);
    expect(text).toMatch(/row 3: password: user and password go together/);
    expect(text).toMatch(/row 4: main: must be an rtsp:\/\/ URL/);
    expect(text).not.toContain('s3cret-pw');
  });
  it('names an unknown column', () => {
    const file = path.join(tmp(), 'c.csv');
    writeFileSync(file, 'id,pasword\ncam-1,x\n');
    expect(() => readCamerasFile(file)).toThrow(/unknown column pasword/);
  });
});

describe('edge.yaml from init', () => {
  it('is valid for the schema, with the passwords only as secret names', () => {
    const config = buildEdgeConfig({
      ward: { id: 'p07', name: 'Phường 7' },
      storage: '/var/lib/wardwatch',
      secretsFile: 'secrets.yaml',
      hub: { host: '10.20.0.10', port: 8883 },
      cameras: [
        { id: 'cam-01', name: 'Gate', main: 'rtsp://10.0.0.5/main', sub: 'rtsp://10.0.0.5/sub', credentials: { username: 'admin', password: 'pw-123456' }, onvifUrl: 'http://10.0.0.5/onvif/device_service' },
        { id: 'cam-02', name: 'Open', main: 'rtsp://10.0.0.6/live', sub: undefined, credentials: undefined },
      ],
    });
    expect(edgeConfigSchema.safeParse(config).success).toBe(true);
    const text = renderEdgeYaml(config, new Date(0));
    expect(text).not.toContain('pw-123456');
    expect(text).toContain('passwordSecret: cam-01');
    // the box reads the clock of a camera it knows by ONVIF; one given by its RTSP URL alone has none
    expect(config.cameras.map((c) => c.onvif?.url)).toEqual(['http://10.0.0.5/onvif/device_service', undefined]);
    expect(text.startsWith('# Ward box p07')).toBe(true);
  });
  it('says above review: whether the page is served over HTTPS (review.tls) or in clear, and how to add TLS', () => {
    const plan = { ward: { id: 'p07', name: 'P7' }, storage: '/var/lib/wardwatch', secretsFile: 'secrets.yaml', hub: undefined, cameras: [{ id: 'cam-01', name: 'Gate', main: 'rtsp://10.0.0.5/main', sub: undefined, credentials: undefined }] };
    const plain = renderEdgeYaml(buildEdgeConfig({ ...plan, review: { host: '10.7.0.2', port: 8080 } }), new Date(0));
    expect(plain).toMatch(/# The officers' review page, over PLAIN HTTP: .*in clear\.\n# For HTTPS add review\.tls: .*credentials issue … --bundle p07\.bundle --box-host ADDRESS.*\n.*\n.*\nreview:\n {2}host: 10\.7\.0\.2\n {2}port: 8080\n(?! +tls)/);
    const tls = { certFile: 'tls/box-p07.crt', keyFile: 'tls/box-p07.key' };
    const config = buildEdgeConfig({ ...plan, review: { host: '10.7.0.2', port: 8080, tls } });
    expect(edgeConfigSchema.safeParse(config).success).toBe(true);
    const https = renderEdgeYaml(config, new Date(0));
    expect(https).toMatch(/# The officers' review page, over HTTPS with this box's certificate from the district CA/);
    expect(https).toContain('\n  tls:\n    certFile: tls/box-p07.crt\n    keyFile: tls/box-p07.key\n');
    expect(https).not.toContain('PLAIN HTTP');
  });
  it('numbers cameras around the ids a list already uses', () => {
    expect(cameraIds(3, new Set(['cam-02']))).toEqual(['cam-01', 'cam-03', 'cam-04']);
  });
});

describe('unit files', () => {
  const fields = { user: 'wardwatch', exec: '/usr/bin/node /opt/wardwatch/bin/wardwatch.js', config: '/etc/wardwatch/edge.yaml', data: ['/var/lib/wardwatch'] };
  it('fills every field', () => {
    const unit = renderUnit('User=@USER@\nExecStart=@EXEC@ edge --config @CONFIG@\nReadWritePaths=@DATA@\n', fields);
    expect(unit).toBe('User=wardwatch\nExecStart=/usr/bin/node /opt/wardwatch/bin/wardwatch.js edge --config /etc/wardwatch/edge.yaml\nReadWritePaths=/var/lib/wardwatch\n');
  });
  it.each([
    { field: 'config', value: '/etc/ward watch/edge.yaml' },
    { field: 'config', value: '/etc/%h/edge.yaml' },
    { field: 'config', value: 'edge.yaml' },
    { field: 'user', value: 'Root;rm' },
  ])('refuses $field $value, which a unit file would misread', ({ field, value }) => {
    expect(() => renderUnit('', { ...fields, [field]: value })).toThrow();
  });
  it('takes the data folder and secrets file from the config, relative to it', () => {
    expect(pathsFromConfig('edge', '/etc/wardwatch/edge.yaml', 'storage: { root: /srv/ww }\nsecretsFile: s.yaml\nmodel: { path: /opt/models/m.onnx }\n')).toEqual({ data: '/srv/ww', secrets: '/etc/wardwatch/s.yaml', extra: ['/opt/models'], keys: [] });
    expect(pathsFromConfig('hub', '/etc/wardwatch-hub/hub.yaml', undefined)).toEqual({ data: '/var/lib/wardwatch-hub', secrets: '/etc/wardwatch-hub/secrets.yaml', extra: [], keys: [] });
  });
  it('takes the pages\' and the embedded broker\'s TLS keys from the config, relative to it', () => {
    expect(pathsFromConfig('edge', '/etc/wardwatch/edge.yaml', 'review: { tls: { certFile: tls/box-p07.crt, keyFile: tls/box-p07.key } }\n').keys).toEqual(['/etc/wardwatch/tls/box-p07.key']);
    const hub = 'broker:\n  listeners:\n    - { type: tls, port: 8883, certFile: tls/hub.crt, keyFile: tls/hub.key }\n    - { type: tcp, port: 1883 }\nhttp: { tls: { certFile: tls/hub.crt, keyFile: /etc/ssl/private/page.key } }\n';
    expect(pathsFromConfig('hub', '/etc/wardwatch-hub/hub.yaml', hub).keys).toEqual(['/etc/ssl/private/page.key', '/etc/wardwatch-hub/tls/hub.key']);
    expect(pathsFromConfig('hub', '/etc/wardwatch-hub/hub.yaml', hub.replace('broker:\n', 'broker:\n  mode: external\n')).keys).toEqual(['/etc/ssl/private/page.key']);
  });
});

describe('small parsers', () => {
  it.each([
    ['10.0.0.5', { host: '10.0.0.5', port: 3702 }],
    ['10.0.0.5:8000', { host: '10.0.0.5', port: 8000 }],
    ['[::1]:80', { host: '::1', port: 80 }],
  ])('reads %s', (text, want) => expect(parseHostPort(text, 3702, '--to')).toEqual(want));
  it.each(['10.0.0.5:0', '10.0.0.5:99999', 'a b', ''])('refuses %j', (text) => expect(() => parseHostPort(text, 3702, '--to')).toThrow('--to'));
  it('names hosts and addresses for the certificate', () => expect(subjectAltNames(['hub.local', '10.20.0.10', '::1'])).toBe('DNS:hub.local,IP:10.20.0.10,IP:::1'));
  it('pads table columns', () => expect(formatTable(['a', 'bb'], [['ccc', 'd']])).toEqual(['a    bb', 'ccc  d']));
});
