// The installer's visit end to end, on loopback: ONVIF simulators and fake RTSP cameras, the real CLI (in process),
// a real broker started from the hub.yaml the CLI wrote, a real uplink with the token it issued, systemd-analyze.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/wardwatch.js';
import type { Output } from '../../shared/command.js';
import { loadEdgeConfig, loadHubConfig } from '../../shared/config/load.js';
import { openDb } from '../../shared/db.js';
import { silentLogger } from '../../shared/log.js';
import { Backoff } from '../../shared/backoff.js';
import { packageRoot } from '../../shared/package.js';
import { hiddenFromUnit } from '../../provisioning/install.js';
import { packagedModel, YOLOX_NANO } from '../../edge/detect/model-file.js';
import { DOG_JPG } from '../../test-fixtures/media/index.js';
import { startBroker, type Broker } from '../../hub/broker/broker.js';
import { Outbox } from '../../edge/uplink/outbox.js';
import { uplinkTables } from '../../edge/uplink/schema.js';
import { Uplink } from '../../edge/uplink/uplink.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { startOnvifDevices, type OnvifDevice } from '../../test-fixtures/onvif/index.js';

const PASSWORD = 'cam-pass-7fq2';
const WRONG = 'another-pass-9x';
let farm: CameraFarm;
let sims: OnvifDevice[];
let dir: string;
let passwordFile: string;
/** every line any command printed in this file: no password may be among them */
const printed: string[] = [];

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Output = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['provision', ...args], io);
  printed.push(...out, ...err);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-install-'));
  passwordFile = path.join(dir, 'camera-password');
  writeFileSync(passwordFile, PASSWORD + '\n', { mode: 0o600 });
  farm = await startCameraFarm({ count: 2, scene: 'quiet', loopSeconds: 20, username: 'admin', password: PASSWORD });
  // five cameras; the fifth has another password, as a camera someone forgot to reset does
  sims = await startOnvifDevices(5, (i) => ({
    username: 'admin',
    password: i === 4 ? WRONG : PASSWORD,
    manufacturer: i % 2 ? 'Hikvision' : 'Dahua',
    model: `IPC-${i + 1}`,
    firmware: `5.${i}.0`,
    name: `Junction ${i + 1}`,
    serial: `SN-${i}`,
    streams: { main: farm.cameras[i % 2]!.mainUrl, sub: farm.cameras[i % 2]!.subUrl },
  }));
});

afterAll(async () => {
  await Promise.all((sims ?? []).map((s) => s.stop()));
  await farm?.stop();
  const joined = printed.join('\n');
  // checked here as well as in the init test: any command of this file may not print a password
  expect(joined).not.toContain(PASSWORD);
  expect(joined).not.toContain(WRONG);
});

const targets = () => sims.flatMap((s) => ['--to', `127.0.0.1:${s.discoveryPort}`]);

describe('provision discover', () => {
  it('finds all 5 simulators by directed probe, with maker and model, and reports the wrong password of one', async () => {
    const r = await cli('discover', ...targets(), '--timeout', '1', '--user', 'admin', '--password-file', passwordFile, '--json');
    const list = JSON.parse(r.out) as { address: string; manufacturer: string | null; model: string | null; error: { message: string } | null }[];
    expect(list).toHaveLength(5);
    const byPort = new Map(list.map((c) => [Number(c.address.split(':')[1]), c]));
    sims.forEach((s, i) => {
      const c = byPort.get(s.port)!;
      if (i === 4) {
        expect(c.error?.message).toBe('wrong user or password');
        expect(c.model).toBeNull();
      } else {
        expect(c.error).toBeNull();
        expect([c.manufacturer, c.model]).toEqual([i % 2 ? 'Hikvision' : 'Dahua', `IPC-${i + 1}`]);
      }
    });
    expect(r.code).toBe(1); // one camera could not be read
  });

  it('prints a table with one status per camera', async () => {
    const r = await cli('discover', '--to', `127.0.0.1:${sims[4]!.discoveryPort}`, '--to', `127.0.0.1:${sims[1]!.discoveryPort}`, '--timeout', '1', '--user', 'admin', '--password-file', passwordFile);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^address\s+maker\s+model\s+firmware\s+status$/);
    expect(lines.find((l) => l.includes(`:${sims[1]!.port}`))).toMatch(/Hikvision\s+IPC-2\s+5\.1\.0\s+ok$/);
    expect(lines.find((l) => l.includes(`:${sims[4]!.port}`))).toMatch(/wrong user or password$/);
  });
});

describe('provision probe', () => {
  it('reports codec, size and fps of both streams, and warns about a camera clock 30 s ahead', async () => {
    sims[2]!.setClockSkew(30);
    try {
      const r = await cli('probe', `127.0.0.1:${sims[2]!.port}`, '--user', 'admin', '--password-file', passwordFile, '--json');
      const report = JSON.parse(r.out) as { streams: { role: string; sample?: { codec: string; width: number; height: number; fps: number; bitrateKbps: number } }[]; warnings: string[] };
      const main = report.streams.find((s) => s.role === 'main')!.sample!;
      const sub = report.streams.find((s) => s.role === 'sub')!.sample!;
      expect([main.codec, main.width, main.height]).toEqual(['h264', 1280, 720]);
      expect([sub.codec, sub.width, sub.height]).toEqual(['h264', 640, 360]);
      // the fake cameras send 15 and 10 fps; measured over ~2 s of timestamps
      expect(main.fps).toBeGreaterThan(13);
      expect(main.fps).toBeLessThan(17);
      expect(sub.fps).toBeGreaterThan(8.5);
      expect(sub.fps).toBeLessThan(11.5);
      expect(main.bitrateKbps).toBeGreaterThan(sub.bitrateKbps);
      expect(report.warnings.join('\n')).toMatch(/clock is (29|30|31)\.\d s ahead/);
      expect(r.code).toBe(0);
    } finally {
      sims[2]!.setClockSkew(0);
    }
  });

  it('has no clock warning for a camera in time', async () => {
    const r = await cli('probe', `127.0.0.1:${sims[0]!.port}`, '--user', 'admin', '--password-file', passwordFile);
    expect(r.out).toMatch(/main\s+main\s+h264\s+1280x720/);
    expect(r.err).not.toContain('clock');
    expect(r.code).toBe(0);
  });
});

describe('provision init', () => {
  it('writes an edge.yaml whose only gaps are the hub hand-off and the model, and a 0600 secrets file, printing no password', async () => {
    const out = path.join(dir, 'etc', 'edge.yaml');
    const r = await cli('init', '--ward', 'p07', '--name', 'Phường 7', '--discover', ...targets().slice(0, 8), '--timeout', '1',
      '--user', 'admin', '--password-file', passwordFile, '--out', out, '--hub', '127.0.0.1:8883', '--storage', path.join(dir, 'data'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/next:\n {2}1\. on the hub: wardwatch provision credentials issue --ward p07 .*--bundle p07\.bundle --hub 127\.0\.0\.1:8883 --box-host BOX-ADDRESS\n/);
    expect(r.out).toContain('review page: plain HTTP on 0.0.0.0:8080, no certificate yet');
    expect(statSync(path.join(dir, 'etc', 'secrets.yaml')).mode & 0o777).toBe(0o600);
    // every section is there, with its defaults
    for (const section of ['review:', 'disk:', 'clock:', 'timeZone:', 'sightings:', 'model:', 'hub:']) expect(readFileSync(out, 'utf8')).toContain(`\n${section}`);
    const v = await cli('validate', out, '--json');
    expect(v.code).toBe(78);
    const report = JSON.parse(v.out) as { problems: { path: string }[] };
    expect(report.problems.map((p) => p.path).sort()).toEqual(['hub.caFile', 'hub.tokenSecret', 'model.path']);
    const loaded = loadEdgeConfig(out, { requireSecrets: false });
    if (!loaded.ok) throw new Error('invalid');
    expect(loaded.config.cameras.map((c) => c.id)).toEqual(['cam-01', 'cam-02', 'cam-03', 'cam-04']);
    // each camera's ONVIF service, where the box will read its clock
    expect(loaded.config.cameras.map((c) => c.onvif?.url).sort()).toEqual(sims.slice(0, 4).map((d) => d.url).sort());
    expect(loaded.config.cameras[0]!.streams.sub.authUrl).toContain(PASSWORD); // the password reaches ffmpeg through the secrets file
    expect(readFileSync(out, 'utf8')).not.toContain(PASSWORD);
    expect(printed.join('\n')).not.toContain(PASSWORD);
  });

  it('writes nothing when a camera cannot be read, unless told to skip it', async () => {
    const out = path.join(dir, 'edge-all.yaml');
    const r = await cli('init', '--ward', 'p07', '--name', 'P7', '--discover', ...targets(), '--timeout', '1', '--user', 'admin', '--password-file', passwordFile, '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toContain('wrong user or password');
    expect(() => statSync(out)).toThrow();
    const cams = path.join(dir, 'cameras.csv');
    writeFileSync(cams, `id,name,address,user,password\ngate,Gate,127.0.0.1:${sims[4]!.port},admin,${WRONG}\nmarket,Market,127.0.0.1:${sims[1]!.port},,\n`);
    const fromFile = await cli('init', '--ward', 'p07', '--name', 'P7', '--cameras', cams, '--user', 'admin', '--password-file', passwordFile, '--out', out, '--skip-failed');
    expect(fromFile.code, fromFile.err).toBe(0);
    expect(fromFile.out).toMatch(/^market\s+Market\s+rtsp:/m);
  });
});

describe('provision credentials', () => {
  let broker: Broker | undefined;
  afterAll(async () => broker?.close());

  it('issues a token an uplink logs in with, over TLS made by `credentials tls`, and revokes it', async () => {
    const tls = path.join(dir, 'tls');
    expect((await cli('credentials', 'tls', '--out', tls, '--host', 'hub.test', '--host', '127.0.0.1')).code).toBe(0);
    expect(statSync(path.join(tls, 'hub.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(tls, 'ca.key')).mode & 0o777).toBe(0o600);
    const hubYaml = path.join(dir, 'hub.yaml');
    writeFileSync(hubYaml, `# our hub\ndistrict: { name: Test }\nstorage: { root: ${dir}/hub }\nbroker:\n  listeners:\n    - { type: tls, host: 127.0.0.1, port: 0, certFile: tls/hub.crt, keyFile: tls/hub.key }\nwards:\n  - { id: p07, name: Phường 7 } # the ward under test\n`);
    const edgeSecrets = path.join(dir, 'box-secrets.yaml');
    const issued = await cli('credentials', 'issue', '--ward', 'p07', '--hub-config', hubYaml, '--edge-secrets', edgeSecrets);
    expect(issued.code, issued.err).toBe(0);
    expect(statSync(edgeSecrets).mode & 0o777).toBe(0o600);
    expect(readFileSync(hubYaml, 'utf8')).toContain('# the ward under test');
    const token = (readFileSync(edgeSecrets, 'utf8').match(/^hub-token: (\S+)$/m) ?? [])[1]!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(printed.join('\n')).not.toContain(token);

    const hub = loadHubConfig(hubYaml);
    if (!hub.ok) throw new Error(JSON.stringify(hub.problems));
    broker = await startBroker({ listeners: hub.config.broker.listeners, maxPayloadBytes: 1 << 20, wards: hub.config.wards, sink: { handle: () => Promise.resolve() }, logger: silentLogger() });
    const db = openDb(path.join(dir, 'edge.db'), uplinkTables, { durable: false });
    const uplink = new Uplink({
      outbox: new Outbox(db, 'p07'),
      ward: 'p07',
      url: `mqtts://127.0.0.1:${broker.listeners[0]!.port}`,
      username: 'ward-p07',
      password: token,
      ca: readFileSync(path.join(tls, 'ca.pem')),
      logger: silentLogger(),
      backoff: new Backoff({ initialMs: 100, maxMs: 300 }),
      status: () => ({ state: 'online', ward: 'p07' }),
    });
    uplink.start();
    try {
      await until('the uplink to connect', () => uplink.stats().connected);

      expect((await cli('credentials', 'revoke', '--ward', 'p07', '--hub-config', hubYaml)).code).toBe(0);
      const reloaded = loadHubConfig(hubYaml);
      if (!reloaded.ok) throw new Error('hub.yaml invalid after revoke');
      expect(reloaded.config.wards[0]!.tokenHash).toBeUndefined();
      broker.setWards(reloaded.config.wards);
      await until('the uplink to be refused', () => !uplink.stats().connected && broker!.stats().refusals.login > 0);
      const connects = uplink.stats().connects;
      await new Promise((r) => setTimeout(r, 700)); // several reconnect attempts at 100–300 ms
      expect(uplink.stats().connects).toBe(connects);
      expect(uplink.stats().connected).toBe(false);
    } finally {
      await uplink.stop();
      db.close();
    }
  });
});

describe('provision install', () => {
  // a clone under /home or /tmp cannot be what a unit runs (install refuses it: provisioning/install.test.ts)
  it.skipIf(hiddenFromUnit(packageRoot()) !== undefined || hiddenFromUnit(process.execPath) !== undefined)('writes units that systemd-analyze verify accepts, and folders with the right modes', async () => {
    const root = path.join(dir, 'root');
    for (const role of ['edge', 'hub'] as const) {
      const r = await cli('install', '--role', role, '--root', root);
      expect(r.code, r.err).toBe(0);
    }
    const unit = readFileSync(path.join(root, 'etc/systemd/system/wardwatch-edge.service'), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${path.join(packageRoot(), 'bin/wardwatch.js')} edge --config /etc/wardwatch/edge.yaml`);
    for (const line of ['User=wardwatch', 'Restart=always', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/wardwatch', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'ProtectHome=yes', 'LimitNOFILE=65536']) {
      expect(unit).toContain(`\n${line}\n`);
    }
    for (const [p, mode] of [['etc/wardwatch', 0o750], ['var/lib/wardwatch', 0o750], ['etc/wardwatch-hub', 0o750], ['var/lib/wardwatch-hub', 0o750], ['etc', 0o755], ['var/lib', 0o755]] as const) {
      expect((statSync(path.join(root, p)).mode & 0o777).toString(8), p).toBe(mode.toString(8));
    }
    const analyze = spawnSync('systemd-analyze', ['--version']);
    if (analyze.error) {
      console.warn('skipped systemd-analyze verify: systemd-analyze is not installed (apt-get install systemd)');
      return;
    }
    for (const name of ['wardwatch-edge.service', 'wardwatch-hub.service']) {
      // throws with systemd-analyze's own complaint when it refuses the unit
      execFileSync('systemd-analyze', ['verify', path.join(root, 'etc/systemd/system', name)], { stdio: 'pipe' });
    }
  });

  it('keeps the secrets of an existing config at 0600 and its data folder from storage.root', async () => {
    const root = path.join(dir, 'root2');
    execFileSync('mkdir', ['-p', path.join(root, 'etc/wardwatch')]);
    writeFileSync(path.join(root, 'etc/wardwatch/edge.yaml'), 'storage: { root: /srv/footage }\n');
    writeFileSync(path.join(root, 'etc/wardwatch/secrets.yaml'), 'cam-01: x\n', { mode: 0o644 });
    expect((await cli('install', '--role', 'edge', '--root', root, '--exec', '/usr/bin/node /opt/wardwatch/bin/wardwatch.js')).code).toBe(0);
    expect(statSync(path.join(root, 'etc/wardwatch/secrets.yaml')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, 'srv/footage')).mode & 0o777).toBe(0o750);
    expect(readFileSync(path.join(root, 'etc/systemd/system/wardwatch-edge.service'), 'utf8')).toContain('\nReadWritePaths=/srv/footage\n');
  });
});

describe('provision model', () => {
  const MODEL = packagedModel().path;
  const DOG = DOG_JPG;

  it('installs the packaged model by default, with its known-answer check, and edge.yaml without model.path finds it', async () => {
    const edge = path.join(dir, 'default-model', 'edge.yaml');
    mkdirSync(path.dirname(edge), { recursive: true });
    writeFileSync(edge, readFileSync(path.join(packageRoot(), 'examples/edge.yaml'), 'utf8').replace(/\n\s*path: \/var\/lib\/wardwatch\/models\/yolox_nano\.onnx/, ''));
    const r = await cli('model', '--config', edge, '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { installed: string; sha256: string; input: { width: number; height: number }; detections: { label: string }[] };
    expect(result.installed).toBe(path.join(dir, 'default-model', 'models/yolox_nano.onnx'));
    expect(result.sha256).toBe(YOLOX_NANO.sha256);
    // the input is shaped like the cameras' 640×360 detect frames (edge.yaml's default detect size)
    expect(result.input).toEqual({ width: 640, height: 384 });
    expect(result.detections.map((d) => d.label)).toEqual(expect.arrayContaining(['bicycle', 'car']));
  });

  it('refuses the packaged model when the known-answer picture shows none of the expected labels', async () => {
    const grey = path.join(dir, 'grey.png');
    await sharp({ create: { width: 416, height: 312, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toFile(grey);
    const to = path.join(dir, 'm3', 'yolox_nano.onnx');
    const r = await cli('model', '--to', to, '--check-image', grey, '--expect', 'car');
    expect(r.code).toBe(1);
    expect(r.err).toContain('found no car');
    expect(() => statSync(to)).toThrow();
  });

  it('installs the model at edge.yaml\'s model.path after checking its hash and what it finds in dog.jpg', async () => {
    const edge = path.join(dir, 'model-edge.yaml');
    writeFileSync(edge, readFileSync(path.join(packageRoot(), 'examples/edge.yaml'), 'utf8').replace('/var/lib/wardwatch/models/yolox_nano.onnx', 'models/yolox_nano.onnx'));
    const r = await cli('model', '--from', MODEL, '--config', edge, '--check-image', DOG, '--expect', 'bicycle,car', '--json');
    expect(r.code, r.err).toBe(0);
    const result = JSON.parse(r.out) as { installed: string; detections: { label: string }[] };
    expect(result.installed).toBe(path.join(dir, 'models/yolox_nano.onnx'));
    expect(result.detections.map((d) => d.label)).toEqual(expect.arrayContaining(['bicycle', 'car']));
    expect(statSync(result.installed).size).toBe(3_713_911);
  });

  it('refuses a file with another hash and installs nothing', async () => {
    const to = path.join(dir, 'm2', 'yolox_nano.onnx');
    const r = await cli('model', '--from', DOG, '--to', to);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not the YOLOX-Nano model');
    expect(() => statSync(to)).toThrow();
  });
});
