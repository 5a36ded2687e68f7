import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig, loadHubConfig, type LoadResult } from './load.js';
import { configReference } from './reference.js';
import { packageRoot } from '../package.js';

const EDGE = `ward:
  id: p07
  name: Phường 7
storage:
  root: /tmp/ww
hub:
  host: 127.0.0.1
  port: 1883
  tls: false
record:
  retainDays: 30
detect:
  labels: [person, car]
  minScore: 0.5
events:
  endAfterSeconds: 5
cameras:
  - id: cam-01
    name: One
    streams:
      main: { url: "rtsp://127.0.0.1:8554/main" }
      sub: { url: "rtsp://127.0.0.1:8554/sub" }
    credentials: { username: admin, passwordSecret: cam-01 }
    zones:
      - id: crossing
        polygon: [[0, 0.5], [1, 0.5], [1, 1]]
  - id: cam-02
    name: Two
    streams:
      main: { url: "rtsp://127.0.0.1:8555/main" }
`;

const HUB = `district:
  name: Phú Nhuận
storage:
  root: /tmp/hub
broker:
  listeners:
    - type: tcp
      port: 0
wards:
  - { id: p01, name: Phường 1 }
  - { id: p07, name: Phường 7 }
forward:
  targets:
    - id: city
      type: webhook
      url: http://127.0.0.1:9/alerts
      secretName: city
  rules:
    - id: cars
      target: city
      labels: [car]
`;

const ENV = { WARDWATCH_SECRET_CAM_01: 'pa ss@word', WARDWATCH_SECRET_HUB_TOKEN: 'tok', WARDWATCH_SECRET_CITY: 'k' };
const dir = mkdtempSync(path.join(tmpdir(), 'ww-config-'));
let n = 0;

function write(text: string, name = 'edge.yaml'): string {
  const sub = path.join(dir, String(n++));
  const file = path.join(sub, name);
  mkdirSync(sub, { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Replaces line `line` (1-based) of `text`. */
function edit(text: string, line: number, replacement: string): string {
  const lines = text.split('\n');
  lines[line - 1] = replacement;
  return lines.join('\n');
}

interface Case {
  name: string;
  kind: 'edge' | 'hub';
  line: number;
  text: string;
  path: string;
  lineExpected?: number;
  hint: string | RegExp;
  message?: string | RegExp;
  env?: Record<string, string>;
}

const cases: Case[] = [
  { name: 'retention written as a word', kind: 'edge', line: 11, text: '  retainDays: thirty', path: 'record.retainDays', hint: 'retainDays: 30', message: 'must be a whole number (got "thirty")' },
  { name: 'negative retention', kind: 'edge', line: 11, text: '  retainDays: -1', path: 'record.retainDays', hint: 'e.g. retainDays: 30', message: '≥ 1 (got -1)' },
  { name: 'fractional retention', kind: 'edge', line: 11, text: '  retainDays: 2.5', path: 'record.retainDays', hint: 'retainDays: 30', message: 'whole number' },
  { name: 'misspelled key', kind: 'edge', line: 11, text: '  retainDay: 30', path: 'record.retainDay', hint: 'did you mean "retainDays"?', message: 'unknown key "retainDay"' },
  { name: 'segment too short', kind: 'edge', line: 11, text: '  segmentSeconds: 1', path: 'record.segmentSeconds', hint: 'segmentSeconds: 10', message: '≥ 2' },
  { name: 'face label', kind: 'edge', line: 13, text: '  labels: [person, face]', path: 'detect.labels[1]', hint: 'face recognition and identity features are not available by design', message: '"face" is not a label' },
  { name: 'label outside the set', kind: 'edge', line: 13, text: '  labels: [person, dog]', path: 'detect.labels[1]', hint: /allowed labels: person, bicycle, car.*face recognition is not available by design/ },
  { name: 'empty label list', kind: 'edge', line: 13, text: '  labels: []', path: 'detect.labels', hint: 'labels the box tracks', message: 'at least 1' },
  { name: 'score above 1', kind: 'edge', line: 14, text: '  minScore: 2', path: 'detect.minScore', hint: 'minScore: 0.5', message: '≤ 1 (got 2)' },
  { name: 'end after zero seconds', kind: 'edge', line: 16, text: '  endAfterSeconds: 0', path: 'events.endAfterSeconds', hint: 'endAfterSeconds: 5', message: '≥ 1' },
  { name: 'misspelled top-level block', kind: 'edge', line: 10, text: 'recrod:', path: 'recrod', hint: 'did you mean "record"?' },
  { name: 'duplicate camera id', kind: 'edge', line: 27, text: '  - id: cam-01', path: 'cameras[1].id', hint: 'give every camera its own id', message: 'duplicate camera id "cam-01" (also cameras[0])' },
  { name: 'camera id with a space', kind: 'edge', line: 18, text: '  - id: CAM 1', path: 'cameras[0].id', hint: 'cam-01', message: /lower-case letters/ },
  { name: 'camera id with a topic wildcard', kind: 'edge', line: 18, text: '  - id: "cam+1"', path: 'cameras[0].id', hint: 'cam-01', message: /no "\/", "\+", "#"/ },
  { name: 'stream URL that is not a URL', kind: 'edge', line: 21, text: '      main: { url: "not a url" }', path: 'cameras[0].streams.main.url', hint: 'rtsp://192.168.1.64', message: 'not a valid URL' },
  { name: 'http stream URL', kind: 'edge', line: 21, text: '      main: { url: "http://127.0.0.1/main" }', path: 'cameras[0].streams.main.url', hint: 'provision probe', message: 'rtsp://' },
  { name: 'password inside the URL', kind: 'edge', line: 22, text: '      sub: { url: "rtsp://admin:secret@127.0.0.1/sub" }', path: 'cameras[0].streams.sub.url', hint: 'passwordSecret', message: 'must not contain a password' },
  { name: 'misspelled camera name key', kind: 'edge', line: 19, text: '    nme: One', path: 'cameras[0].nme', hint: 'did you mean "name"?' },
  { name: 'ward id with a slash', kind: 'edge', line: 2, text: '  id: p/07', path: 'ward.id', hint: 'ward id', message: /ward id must match/ },
  { name: 'port out of range', kind: 'edge', line: 8, text: '  port: 70000', path: 'hub.port', hint: 'port: 8883', message: '≤ 65535' },
  { name: 'tls as a word', kind: 'edge', line: 9, text: '  tls: "yes"', path: 'hub.tls', hint: 'tls: true', message: 'must be true or false (got "yes")' },
  { name: 'polygon of two points', kind: 'edge', line: 26, text: '        polygon: [[0, 0.5], [1, 0.5]]', path: 'cameras[0].zones[0].polygon', hint: 'at least 3 points', message: 'at least 3 points' },
  { name: 'coordinate outside the picture', kind: 'edge', line: 26, text: '        polygon: [[0, 0.5], [1.5, 0.5], [1, 1]]', path: 'cameras[0].zones[0].polygon[1][0]', hint: '', message: '≤ 1 (got 1.5)' },
  { name: 'empty storage root', kind: 'edge', line: 5, text: '  root: ""', path: 'storage.root', hint: 'folder for recordings', message: 'must not be empty' },
  { name: 'YAML syntax error', kind: 'edge', line: 14, text: '  minScore: [0.5', path: '(yaml)', lineExpected: 15, hint: 'fix the YAML syntax' },
  { name: 'duplicate YAML key', kind: 'edge', line: 14, text: '  labels: [car]', path: '(yaml)', hint: 'remove one of the two keys' },
  { name: 'missing camera password secret', kind: 'edge', line: 23, text: '    credentials: { username: admin, passwordSecret: cam-99 }', path: 'cameras[0].credentials.passwordSecret', hint: 'WARDWATCH_SECRET_CAM_99', message: 'secret "cam-99" not found' },
  { name: 'forward rule naming an unknown target', kind: 'hub', line: 20, text: '      target: town', path: 'forward.rules[0].target', hint: 'use one of: city', message: 'unknown forward target "town"' },
  { name: 'tls listener without certificate', kind: 'hub', line: 7, text: '    - type: tls', path: 'broker.listeners[0].certFile', hint: 'provision credentials tls', message: 'needs certFile and keyFile' },
  { name: 'duplicate ward', kind: 'hub', line: 11, text: '  - { id: p01, name: Phường 7 }', path: 'wards[1].id', hint: 'list every ward once' },
  { name: 'unknown target type', kind: 'hub', line: 15, text: '      type: email', path: 'forward.targets[0].type', hint: 'set type to one of: webhook, mqtt', message: 'unknown type "email"' },
  { name: 'webhook URL with another scheme', kind: 'hub', line: 16, text: '      url: ftp://127.0.0.1/alerts', path: 'forward.targets[0].url', hint: 'where alerts are POSTed', message: 'http:// or https://' },
  { name: 'forward rule for a face label', kind: 'hub', line: 21, text: '      labels: [face]', path: 'forward.rules[0].labels[0]', hint: 'labels that match', message: /must be one of "person"/ },
  { name: 'misspelled listener key', kind: 'hub', line: 8, text: '      prot: 0', path: 'broker.listeners[0].prot', hint: 'did you mean "port"?' },
];

function load(c: { kind: 'edge' | 'hub'; text: string; env?: Record<string, string> }): LoadResult<unknown> {
  const file = write(c.text, `${c.kind}.yaml`);
  return c.kind === 'edge' ? loadEdgeConfig(file, { env: c.env ?? ENV }) : loadHubConfig(file, { env: c.env ?? ENV });
}

describe('config loader', () => {
  it('accepts the base configs and resolves defaults, overrides and secrets', () => {
    const edge = loadEdgeConfig(write(EDGE), { env: ENV });
    expect(edge.problems).toEqual([]);
    if (!edge.ok) return;
    const [one, two] = edge.config.cameras;
    expect(one!.record).toEqual({ enabled: true, segmentSeconds: 10, retainDays: 30 });
    expect(one!.detect.labels).toEqual(['person', 'car']);
    expect(one!.streams.main.url).toBe('rtsp://127.0.0.1:8554/main');
    expect(one!.streams.main.authUrl).toBe('rtsp://admin:pa%20ss%40word@127.0.0.1:8554/main');
    expect(two!.streams.sub.authUrl).toBe('rtsp://127.0.0.1:8555/main'); // no sub stream: the main one, no credentials
    expect(edge.config.hub?.username).toBe('ward-p07');
    expect(edge.config.hub?.token).toBe('tok');
    expect(loadHubConfig(write(HUB, 'hub.yaml'), { env: ENV }).problems).toEqual([]);
  });

  it.each(cases)('reports $name with the field, the line and a fix', (c) => {
    const base = c.kind === 'edge' ? EDGE : HUB;
    const result = load({ kind: c.kind, text: edit(base, c.line, c.text), ...(c.env ? { env: c.env } : {}) });
    expect(result.ok).toBe(false);
    const problem = result.problems.find((p) => p.path === c.path);
    expect(problem, `problems were: ${JSON.stringify(result.problems, null, 1)}`).toBeDefined();
    expect(problem!.line).toBe(c.lineExpected ?? c.line);
    expect(problem!.file).toBe(`${c.kind}.yaml`);
    if (typeof c.hint === 'string') expect(problem!.hint).toContain(c.hint);
    else expect(problem!.hint).toMatch(c.hint);
    if (typeof c.message === 'string') expect(problem!.message).toContain(c.message);
    else if (c.message) expect(problem!.message).toMatch(c.message);
  });

  // broker.mode external: hub.yaml names the broker and the hub's own login instead of listeners
  const external = (broker: string) => HUB.replace('broker:\n  listeners:\n    - type: tcp\n      port: 0\n', `broker:\n${broker}`);
  it.each([
    ['external mode without broker.external', '  mode: external\n', 'broker.external', 'broker.mode external needs broker.external', 'passwordSecret'],
    ['an external URL that is not mqtt://', '  mode: external\n  external: { url: "http://10.0.0.5", username: hub, passwordSecret: bp }\n', 'broker.external.url', 'mqtt://host:port', 'the broker'],
    ['an external login without its secret', '  mode: external\n  external: { url: "mqtt://10.0.0.5:1883", username: hub, passwordSecret: bp }\n', 'broker.external.passwordSecret', 'secret "bp" not found', 'WARDWATCH_SECRET_BP'],
    ['embedded mode without listeners', '  maxPayloadBytes: 2048\n', 'broker.listeners', 'needs at least one listener', 'broker.mode: external'],
  ])('reports %s with the field and a fix', (_name, broker, at, message, hint) => {
    const result = loadHubConfig(write(external(broker), 'hub.yaml'), { env: ENV });
    const problem = result.problems.find((p) => p.path === at);
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(problem!.message).toContain(message);
    expect(problem!.hint).toContain(hint);
  });

  it('loads external mode with its password from the secrets and the group and session defaults', () => {
    const result = loadHubConfig(write(external('  mode: external\n  external: { url: "mqtt://10.0.0.5:1883", username: hub, passwordSecret: bp }\n'), 'hub.yaml'), { env: { ...ENV, WARDWATCH_SECRET_BP: 'pw' } });
    expect(result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.broker.external).toMatchObject({ url: 'mqtt://10.0.0.5:1883', group: 'hub', sessionExpirySeconds: 604800 });
    expect(result.config.secrets.get('bp')).toBe('pw');
  });

  // store.type postgres: the index on a PostgreSQL database several hub processes share
  const withStore = (store: string) => HUB.replace('broker:\n', `store:\n${store}broker:\n`);
  it.each([
    ['postgres without its database', '  type: postgres\n', 'store.postgres', 'store.type postgres needs store.postgres', 'postgres://wardwatch@DBHOST:5432/wardwatch'],
    ['a password in the URL', '  type: postgres\n  postgres: { url: "postgres://ww:secret@10.0.0.6/ww" }\n', 'store.postgres.url', 'the password goes in the secrets file', 'the database'],
    ['a URL that is not postgres://', '  type: postgres\n  postgres: { url: "mysql://ww@10.0.0.6/ww" }\n', 'store.postgres.url', 'must be postgres://USER@HOST[:PORT]/DATABASE', 'the database'],
    ['a database password without its secret', '  type: postgres\n  postgres: { url: "postgres://ww@10.0.0.6:5432/ww", passwordSecret: dbp }\n', 'store.postgres.passwordSecret', 'secret "dbp" not found', 'WARDWATCH_SECRET_DBP'],
    ['an engine it does not know', '  type: mysql\n', 'store.type', 'sqlite', ''],
    ['too few connections', '  type: postgres\n  postgres: { url: "postgres://ww@10.0.0.6/ww", maxConnections: 1 }\n', 'store.postgres.maxConnections', '2', ''],
  ])('reports store: %s with the field and a fix', (_name, store, at, message, hint) => {
    const result = loadHubConfig(write(withStore(store), 'hub.yaml'), { env: ENV });
    const problem = result.problems.find((p) => p.path === at);
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(problem!.message).toContain(message);
    expect(problem!.hint ?? '').toContain(hint);
  });

  it('loads SQLite by default, and PostgreSQL with its password from the secrets and the pool default', () => {
    const plain = loadHubConfig(write(HUB, 'hub.yaml'), { env: ENV });
    expect(plain.ok && plain.config.store).toEqual({ type: 'sqlite' });
    const result = loadHubConfig(write(withStore('  type: postgres\n  postgres: { url: "postgres://wardwatch@10.0.0.6:5432/wardwatch", passwordSecret: dbp }\n'), 'hub.yaml'), { env: { ...ENV, WARDWATCH_SECRET_DBP: 'pw' } });
    expect(result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.store).toEqual({ type: 'postgres', postgres: { url: 'postgres://wardwatch@10.0.0.6:5432/wardwatch', passwordSecret: 'dbp', maxConnections: 10 } });
    expect(result.config.secrets.get('dbp')).toBe('pw');
  });

  it('reports all problems at once', () => {
    const text = edit(edit(EDGE, 11, '  retainDay: 30'), 14, '  minScore: 7');
    const result = load({ kind: 'edge', text });
    expect(result.problems.map((p) => p.path).sort()).toEqual(['detect.minScore', 'record.retainDay']);
  });

  it('refuses a secrets file other users can read', () => {
    const file = write(EDGE.replace('storage:', 'secretsFile: s.yaml\nstorage:'));
    const secrets = path.join(path.dirname(file), 's.yaml');
    writeFileSync(secrets, 'cam-01: x\nhub-token: y\n');
    chmodSync(secrets, 0o644);
    const bad = loadEdgeConfig(file, { env: {} });
    expect(bad.problems[0]?.message).toContain('chmod 600');
    chmodSync(secrets, 0o600);
    const good = loadEdgeConfig(file, { env: {} });
    expect(good.ok && good.config.cameras[0]!.streams.main.authUrl).toBe('rtsp://admin:x@127.0.0.1:8554/main');
  });

  it('treats missing secrets as warnings when asked to (validating before install)', () => {
    const result = loadEdgeConfig(write(EDGE), { env: {}, requireSecrets: false });
    expect(result.ok).toBe(true);
    expect(result.warnings?.filter((w) => w.message.includes('secret')).map((w) => w.path)).toEqual(['cameras[0].credentials.passwordSecret', 'hub.tokenSecret']);
  });

  it('says what changed for a config written for per-object events: zones alone raise no incidents any more', () => {
    const old = loadEdgeConfig(write(EDGE), { env: {}, requireSecrets: false });
    const migration = old.warnings?.filter((w) => !w.message.includes('secret')) ?? [];
    expect(migration.map((w) => w.path)).toEqual(['cameras[0].zones', 'cameras']);
    expect(migration[0]!.line).toBe(24);
    expect(migration[0]!.hint).toContain('alerts: [{ id: in-crossing, kind: presence, zone: crossing }]');
    const updated = EDGE.replace('        polygon: [[0, 0.5], [1, 0.5], [1, 1]]\n', '        polygon: [[0, 0.5], [1, 0.5], [1, 1]]\n    alerts: [{ id: in-crossing, kind: presence, zone: crossing }]\n');
    const now = loadEdgeConfig(write(updated), { env: {}, requireSecrets: false });
    expect(now.ok).toBe(true);
    expect(now.warnings?.filter((w) => !w.message.includes('secret'))).toEqual([]);
  });

  it.each([
    ['an alert on a zone the camera lacks', '    alerts: [{ id: a, kind: dwell, zone: nowhere, seconds: 30 }]', 'cameras[0].alerts[0].zone', 'unknown zone "nowhere"'],
    ['a dwell alert without seconds', '    alerts: [{ id: a, kind: dwell, zone: crossing }]', 'cameras[0].alerts[0].seconds', 'a dwell alert needs seconds'],
    ['a wrong-way alert without its line', '    alerts: [{ id: a, kind: wrong-way, direction: backward }]', 'cameras[0].alerts[0].line', 'a wrong-way alert needs line'],
    ['hours that are not a time of day', '    alerts: [{ id: a, kind: presence, zone: crossing, hours: { from: "25:00", to: "05:00" } }]', 'cameras[0].alerts[0].hours.from', 'HH:MM'],
    ['a line with one point twice', '    lines: [{ id: l, name: L, points: [[0.1, 0.5], [0.1, 0.5]] }]', 'cameras[0].lines[0].points', 'must differ'],
    ['an ONVIF address with its password', '    onvif: { url: "http://admin:pw@127.0.0.1/onvif/device_service" }', 'cameras[0].onvif.url', 'must not contain a user name or password'],
    ['an ONVIF address that is an RTSP URL', '    onvif: { url: "rtsp://127.0.0.1/onvif" }', 'cameras[0].onvif.url', 'http:// or https://'],
  ])('refuses %s, naming the field', (_name, yaml, at, message) => {
    const text = EDGE.replace('        polygon: [[0, 0.5], [1, 0.5], [1, 1]]\n', `        polygon: [[0, 0.5], [1, 0.5], [1, 1]]\n${yaml}\n`);
    const result = loadEdgeConfig(write(text), { env: {}, requireSecrets: false });
    expect(result.ok).toBe(false);
    const problem = result.problems.find((p) => p.path === at);
    expect(problem, JSON.stringify(result.problems)).toBeDefined();
    expect(`${problem!.message} ${problem!.hint}`).toContain(message);
  });

  it('checks clocks every 10 minutes unless told, and keeps a camera\'s ONVIF address', () => {
    const text = EDGE.replace('        polygon: [[0, 0.5], [1, 0.5], [1, 1]]\n', '        polygon: [[0, 0.5], [1, 0.5], [1, 1]]\n    onvif: { url: "http://127.0.0.1:8080/onvif/device_service" }\n');
    const result = loadEdgeConfig(write(text), { env: ENV });
    expect(result.problems).toEqual([]);
    if (!result.ok) return;
    expect(result.config.clock).toEqual({ checkMinutes: 10 });
    expect(result.config.cameras.map((c) => c.onvif?.url)).toEqual(['http://127.0.0.1:8080/onvif/device_service', undefined]);
    const every = loadEdgeConfig(write(`clock: { checkMinutes: 0 }\n${EDGE}`), { env: ENV });
    expect(every.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([expect.stringMatching(/^clock\.checkMinutes: .*≥ 1/)]);
  });

  it('accepts the examples: the box, and the district after and before the 2025 merger', () => {
    const root = packageRoot();
    expect(loadEdgeConfig(path.join(root, 'examples/edge.yaml'), { requireSecrets: false }).problems).toEqual([]);
    expect(loadHubConfig(path.join(root, 'examples/hub.yaml'), { requireSecrets: false }).problems).toEqual([]);
    expect(loadHubConfig(path.join(root, 'examples/hub-before-2025.yaml'), { requireSecrets: false }).problems).toEqual([]);
  });

  it('keeps CONFIG.md equal to what the schemas generate (run npm run docs)', () => {
    expect(readFileSync(path.join(packageRoot(), 'CONFIG.md'), 'utf8')).toBe(configReference());
  });
});
