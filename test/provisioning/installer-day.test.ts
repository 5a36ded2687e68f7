// The installer's day, end to end in an alternative root: README "Production install" step by step with simulated
// ONVIF cameras (real RTSP behind them), a real hub process and real ward box processes. The five usual mistakes
// (a wrong camera password, a YAML key typo, a camera offline, a hub certificate for the wrong name or a wrong hub
// port, the CA not copied) must each be named with the key to fix: `validate` catches the file ones, `check` the
// camera and network ones, and the daemons refuse what validate refuses, in the same words. The day ends with the
// box's review page answering over HTTPS with its certificate from the district CA, brought by the hub's bundle.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/wardwatch.js';
import { packageRoot } from '../../shared/package.js';
import { hiddenFromUnit } from '../../provisioning/install.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { startOnvifDevices, type OnvifDevice } from '../../test-fixtures/onvif/index.js';

const PASSWORD = 'cam-pass-day-41';
const root = packageRoot();

interface Proc {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: () => string;
  exit: Promise<number | null>;
  waitFor(what: string, match: (e: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** `wardwatch …` as a real process (from source), its JSON log lines collected. */
function wardwatchProcess(...args: string[]): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' } });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not a log line */
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    stderr: () => stderr,
    exit,
    async waitFor(what, match, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const found = logs.find(match);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > end) throw new Error(`no log line: ${what} (exit ${child.exitCode}); stderr: ${stderr.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exit;
    },
  };
}

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['provision', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const msg = (e: Record<string, unknown>) => String(e.msg ?? '');

let farm: CameraFarm;
let sims: OnvifDevice[];
let dir: string;
let box: string; // the alternative root
let hubPort: number;
let hub: Proc | undefined;
let pw: string;
const at = (p: string) => path.join(box, p);
const EDGE = () => at('etc/wardwatch/edge.yaml');
const HUB = () => at('etc/wardwatch-hub/hub.yaml');
const TLS = () => at('etc/wardwatch-hub/tls');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ww-day-'));
  box = path.join(dir, 'root');
  pw = path.join(dir, 'pw');
  writeFileSync(pw, PASSWORD + '\n', { mode: 0o600 });
  hubPort = await freePort();
  farm = await startCameraFarm({ count: 2, scene: 'quiet', loopSeconds: 20, username: 'admin', password: PASSWORD });
  sims = await startOnvifDevices(2, (i) => ({ username: 'admin', password: PASSWORD, manufacturer: 'Dahua', model: `IPC-${i + 1}`, name: `Junction ${i + 1}`, serial: `D-${i}`, streams: { main: farm.cameras[i]!.mainUrl, sub: farm.cameras[i]!.subUrl } }));
}, 180_000);

afterAll(async () => {
  await hub?.stop();
  await Promise.all((sims ?? []).map((s) => s.stop()));
  await farm?.stop();
});

function startHub(): Promise<void> {
  hub = wardwatchProcess('hub', '--config', HUB());
  return hub.waitFor('the hub listening', (e) => e.port === hubPort, 60_000).then(() => undefined);
}

describe('the installer\'s day', () => {
  it('on the hub: hub.yaml refused (validate and hub alike) until the certificate is made, then checked and running', async () => {
    // the installer's day of one box that is its ward (the district before the 2025 merger; docs/wards-and-boxes.md)
    const example = readFileSync(path.join(root, 'examples/hub-before-2025.yaml'), 'utf8');
    expect(example).not.toMatch(/^\s+url: https?:\/\//m); // the example forwards nowhere until the installer says where
    mkdirSync(path.dirname(HUB()), { recursive: true });
    writeFileSync(
      HUB(),
      example
        .replaceAll('/etc/wardwatch-hub/', `${at('etc/wardwatch-hub')}/`)
        .replaceAll('/var/lib/wardwatch-hub', at('var/lib/wardwatch-hub'))
        .replace('      port: 8883\n', `      host: 127.0.0.1\n      port: ${hubPort}\n`)
        .replace('  host: 0.0.0.0\n  port: 8443', '  host: 127.0.0.1\n  port: 0'),
    );
    const early = await cli('validate', HUB());
    expect(early.code).toBe(78);
    const refused = wardwatchProcess('hub', '--config', HUB());
    expect(await refused.exit).toBe(78);
    expect(refused.stderr()).toContain(early.err.split('\n').find((l) => l.includes('broker.listeners[0].certFile'))!);
    expect(refused.stderr()).not.toContain('ENOENT');
    // the mistake of the day: the certificate is made for the hub's name only, not the address boxes use
    const tls = await cli('credentials', 'tls', '--out', TLS(), '--host', 'hub.district.test');
    expect(tls.code, tls.err).toBe(0);
    const v = await cli('validate', HUB());
    expect([v.code, v.out], v.err).toEqual([0, 'ok']);
    await startHub();
  });

  it('on the box: discover, probe, init; validate names what the box still lacks (the CA not copied)', async () => {
    const to = sims.flatMap((s) => ['--to', `127.0.0.1:${s.discoveryPort}`]);
    const found = await cli('discover', ...to, '--timeout', '1', '--user', 'admin', '--password-file', pw);
    expect(found.code, found.err).toBe(0);
    expect(found.out.split('\n').filter((l) => / ok$/.test(l))).toHaveLength(2);
    expect((await cli('probe', `127.0.0.1:${sims[0]!.port}`, '--user', 'admin', '--password-file', pw)).code).toBe(0);
    const init = await cli('init', '--ward', 'p07', '--name', 'Phường 7', '--discover', ...to, '--timeout', '1', '--user', 'admin', '--password-file', pw,
      '--out', EDGE(), '--hub', `127.0.0.1:${hubPort}`, '--storage', at('var/lib/wardwatch'), '--review-host', '127.0.0.1', '--review-port', '0');
    expect(init.code, init.err).toBe(0);
    const steps = init.out.slice(init.out.indexOf('next:')).split('\n').slice(1).map((l) => l.replace(/^\s+\d+\. /, ''));
    const expected = [
      `on the hub: wardwatch provision credentials issue --ward p07 --hub-config /etc/wardwatch-hub/hub.yaml --bundle p07.bundle --hub 127.0.0.1:${hubPort}`,
      'on the hub: systemctl reload wardwatch-hub',
      `carry p07.bundle here, then: wardwatch provision credentials apply --bundle p07.bundle --config ${EDGE()}`,
      `wardwatch provision model --config ${EDGE()}`,
      `wardwatch provision validate ${EDGE()}`,
      `wardwatch provision check --config ${EDGE()}`,
      `wardwatch provision install --role edge --config ${EDGE()}`,
      'systemctl enable --now wardwatch-edge',
      `wardwatch edge user add --config ${EDGE()}`,
    ];
    expect(steps).toHaveLength(expected.length);
    expected.forEach((start, i) => expect(steps[i]!.startsWith(start), `${steps[i]} starts with ${start}`).toBe(true));
    // the page has no certificate yet: the bundle will bring one for the address it listens on; until then it says so
    expect(steps[0]).toMatch(/ --box-host 127\.0\.0\.1$/);
    expect(init.out).toContain('review page: plain HTTP on 127.0.0.1:0, no certificate yet');
    expect(readFileSync(EDGE(), 'utf8')).toMatch(/# The officers' review page, over PLAIN HTTP: .*\n# For HTTPS add review\.tls: /);
    const v = await cli('validate', EDGE());
    expect(v.code).toBe(78);
    expect(v.err).toMatch(/hub\.caFile: .*ca\.pem does not exist\n\s+fix: copy the hub's ca\.pem/);
    // the daemon refuses the same config with the same words, exit 78, not a bare ENOENT
    const edge = wardwatchProcess('edge', '--config', EDGE());
    expect(await edge.exit).toBe(78);
    expect(edge.stderr()).toContain(v.err.split('\n').find((l) => l.includes('hub.caFile'))!);
    expect(edge.stderr()).not.toContain('ENOENT');
  }, 60_000);

  it('the hand-off: issue a bundle (with the page certificate) on the hub, reload, apply it on the box; the model; validate says ok', async () => {
    const bundle = path.join(dir, 'p07.bundle');
    const issued = await cli('credentials', 'issue', '--ward', 'p07', '--hub-config', HUB(), '--bundle', bundle, '--hub', `127.0.0.1:${hubPort}`, '--box-host', '127.0.0.1');
    expect(issued.code, issued.err).toBe(0);
    expect(issued.out).toContain('the review page\'s certificate for 127.0.0.1');
    hub!.child.kill('SIGHUP');
    await hub!.waitFor('the wards reloaded', (e) => msg(e).startsWith('wards reloaded'));
    const applied = await cli('credentials', 'apply', '--bundle', bundle, '--config', EDGE());
    expect(applied.code, applied.err).toBe(0);
    expect(applied.out).toContain('added review.tls');
    expect(statSync(at('etc/wardwatch/tls/box-p07.key')).mode & 0o777).toBe(0o600);
    const edgeYaml = readFileSync(EDGE(), 'utf8');
    expect(edgeYaml).toContain('\n  tls:\n    certFile: tls/box-p07.crt\n    keyFile: tls/box-p07.key\n');
    expect(edgeYaml).toContain('# The officers\' review page, over HTTPS with this box\'s certificate from the district CA');
    expect(edgeYaml).not.toContain('PLAIN HTTP'); // init's note went with the certificate's arrival
    rmSync(bundle);
    const model = await cli('model', '--config', EDGE());
    expect(model.code, model.err).toBe(0);
    const v = await cli('validate', EDGE());
    expect([v.code, v.out], v.err).toEqual([0, 'ok']);
  }, 60_000);

  it('check: a hub certificate for another name is named (hub.host), and so is a box retrying against it, once', async () => {
    const r = await cli('check', '--config', EDGE(), '--timeout', '3');
    expect(r.code).toBe(78);
    expect(r.err).toMatch(/FAIL {2}hub 127\.0\.0\.1:\d+ \(TLS\) as ward-p07: the hub's certificate is for DNS:hub\.district\.test, not 127\.0\.0\.1\n\s+fix hub\.host: .*credentials tls --out DIR --host 127\.0\.0\.1/);
    expect(r.out).toMatch(/^ok {4}camera cam-01 main stream/m);
    // a running box says it once, not once per retry
    const edge = wardwatchProcess('edge', '--config', EDGE());
    await edge.waitFor('the ward box running', (e) => msg(e).startsWith('ward box running'), 60_000);
    await edge.waitFor('the hub problem', (e) => msg(e).startsWith('hub connection:'));
    await new Promise((r) => setTimeout(r, 4000)); // retries at ~1 s and ~3 s
    const said = edge.logs.filter((e) => msg(e).startsWith('hub connection:'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({ key: 'hub.host', problem: 'name-mismatch' });
    expect(await edge.stop()).toBe(0);
  }, 120_000);

  it('after the certificate is remade for the address (same CA) and the hub restarted, every check passes and the hub logs the login', async () => {
    const tls = await cli('credentials', 'tls', '--out', TLS(), '--host', 'hub.district.test', '--host', '127.0.0.1');
    expect(tls.out).toContain('reused the CA');
    await hub!.stop();
    await startHub();
    const r = await cli('check', '--config', EDGE(), '--timeout', '3');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/ok {4}hub 127\.0\.0\.1:\d+ \(TLS\) as ward-p07: logged in/);
    expect(r.out).toMatch(/ok {4}camera cam-02 sub stream/);
    expect(r.out).toMatch(/ok {4}camera cam-01 clock \(ONVIF\): in time/);
    await hub!.waitFor('the check\'s login', (e) => /^ward p07 connected \(ward-p07:check from 127\.0\.0\.1\)$/.test(msg(e)));
  }, 90_000);

  it('the other mistakes: a wrong camera password, a camera offline and a wrong hub port (check), a key typo (validate and edge)', async () => {
    const good = readFileSync(EDGE(), 'utf8');
    const secrets = at('etc/wardwatch/secrets.yaml');
    const goodSecrets = readFileSync(secrets, 'utf8');
    try {
      writeFileSync(secrets, goodSecrets.replace(/^cam-01: .*$/m, 'cam-01: not-the-password'));
      chmodSync(secrets, 0o600);
      const wrongPassword = await cli('check', '--config', EDGE(), '--timeout', '3');
      expect(wrongPassword.code).toBe(78);
      expect(wrongPassword.err).toMatch(/FAIL {2}camera cam-01 main stream: .*wrong user or password\n\s+fix cameras\[0\]\.credentials: .*"cam-01" in the secrets file/);
      expect(wrongPassword.err).not.toContain('not-the-password');
      writeFileSync(secrets, goodSecrets);
      chmodSync(secrets, 0o600);

      const closed = await freePort();
      writeFileSync(EDGE(), good.replace(/rtsp:\/\/127\.0\.0\.1:\d+\//, `rtsp://127.0.0.1:${closed}/`));
      const offline = await cli('check', '--config', EDGE(), '--timeout', '3');
      expect(offline.code).toBe(1);
      expect(offline.err).toMatch(/FAIL {2}camera cam-0\d main stream: rtsp:\/\/127\.0\.0\.1:\d+\/\S+: nothing accepts RTSP .*connection refused\)\n\s+fix cameras\[\d\]\.streams\.main\.url: /);

      writeFileSync(EDGE(), good.replace(`port: ${hubPort}`, `port: ${closed}`));
      const wrongPort = await cli('check', '--config', EDGE(), '--timeout', '3');
      expect(wrongPort.code).toBe(1);
      expect(wrongPort.err).toMatch(/nothing accepts connections at 127\.0\.0\.1:\d+ \(connection refused\)\n\s+fix hub\.port: /);

      // the review page's key lost (or never copied): validate names the key and the command that makes the pair
      writeFileSync(EDGE(), good.replace('keyFile: tls/box-p07.key', 'keyFile: tls/box-p07-lost.key'));
      const noKey = await cli('validate', EDGE());
      expect(noKey.code).toBe(78);
      expect(noKey.err).toMatch(/review\.tls\.keyFile: \S+box-p07-lost\.key does not exist\n\s+fix: on the hub, where the district CA is: `wardwatch provision credentials tls --out DIR --box p07 --host 127\.0\.0\.1`/);

      writeFileSync(EDGE(), good.replace('  retainDays: 30', '  retainDay: 30'));
      const typo = await cli('validate', EDGE());
      expect(typo.code).toBe(78);
      expect(typo.err).toMatch(/record\.retainDay: unknown key "retainDay"\n\s+fix: did you mean "retainDays"\?/);
      const edge = wardwatchProcess('edge', '--config', EDGE());
      expect(await edge.exit).toBe(78);
      expect(edge.stderr()).toContain(typo.err.split('\n')[1]!);
    } finally {
      writeFileSync(EDGE(), good);
      writeFileSync(secrets, goodSecrets);
      chmodSync(secrets, 0o600);
    }
  }, 90_000);

  it('install refuses data under /tmp; into an image whose configs name box paths it writes units systemd-analyze accepts', async () => {
    // this test's box keeps its data under /tmp, where a unit (PrivateTmp) would not see it
    const refused = await cli('install', '--role', 'edge', '--root', box, '--dry-run');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/refused: \/tmp\/\S+\/var\/lib\/wardwatch is under \/tmp, which the unit cannot see/);
    // the same configs as they are on a real box: the paths without this test's folder
    const image = path.join(dir, 'image');
    for (const [role, file] of [['hub', 'etc/wardwatch-hub/hub.yaml'], ['edge', 'etc/wardwatch/edge.yaml']] as const) {
      mkdirSync(path.dirname(path.join(image, file)), { recursive: true });
      writeFileSync(path.join(image, file), readFileSync(at(file), 'utf8').replaceAll(box, ''));
      // the code as this clone has it, unless the clone is where a unit cannot see it (then as on a box: /opt/wardwatch)
      const exec = hiddenFromUnit(root) || hiddenFromUnit(process.execPath) ? ['--exec', '/usr/bin/node /opt/wardwatch/bin/wardwatch.js'] : [];
      const r = await cli('install', '--role', role, '--root', image, ...exec);
      expect(r.code, r.err).toBe(0);
    }
    expect(readFileSync(path.join(image, 'etc/systemd/system/wardwatch-edge.service'), 'utf8')).toContain('\nReadWritePaths=/var/lib/wardwatch\n');
    for (const name of ['wardwatch-edge.service', 'wardwatch-hub.service']) {
      const unit = readFileSync(path.join(image, `etc/systemd/system/${name}`), 'utf8');
      const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!;
      for (const p of exec.split(' ').filter((x) => x.startsWith('/'))) expect(p).not.toMatch(/^\/(tmp|var\/tmp|home|root)\//);
      if (spawnSync('systemd-analyze', ['--version']).error) continue;
      execFileSync('systemd-analyze', ['verify', path.join(image, `etc/systemd/system/${name}`)], { stdio: 'pipe' });
    }
  });

  it('the box runs: it connects, the hub logs the ward connecting and leaving, and its review page answers over HTTPS with the district CA', async () => {
    const edge = wardwatchProcess('edge', '--config', EDGE());
    await edge.waitFor('connected to the hub', (e) => msg(e).startsWith('connected to the hub'), 60_000);
    await hub!.waitFor('the box\'s login', (e) => /^ward p07 connected \(ward-p07 from 127\.0\.0\.1\)$/.test(msg(e)));
    expect(edge.logs.filter((e) => msg(e).startsWith('hub connection:'))).toEqual([]);
    // the officers' page: https, the certificate the bundle brought, trusted through the CA the bundle brought
    const listening = await edge.waitFor('the review page', (e) => msg(e) === 'review page listening');
    const url = new URL(String(listening.url));
    expect(url.protocol).toBe('https:');
    expect(edge.logs.filter((e) => /plain HTTP/.test(msg(e)))).toEqual([]);
    const ca = readFileSync(at('etc/wardwatch/ca.pem'));
    const answer = await new Promise<{ status: number; hsts: unknown; authorized: boolean; peer: X509Certificate }>((resolve, reject) => {
      const req = https.get(url, { ca }, (res) => {
        const socket = res.socket as TLSSocket;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'], authorized: socket.authorized, peer: new X509Certificate(socket.getPeerCertificate(false).raw) }));
      });
      req.on('error', reject);
    });
    expect(answer.authorized).toBe(true);
    expect(answer.status).toBeLessThan(400);
    expect(answer.hsts).toBe('max-age=31536000');
    expect(answer.peer.subjectAltName).toBe('IP Address:127.0.0.1');
    expect(answer.peer.verify(new X509Certificate(readFileSync(path.join(TLS(), 'ca.pem'))).publicKey)).toBe(true);
    // and a client that does not trust the district CA is refused: the page is not served in clear or with any certificate
    await expect(new Promise((resolve, reject) => https.get(url, (res) => resolve(res.statusCode)).on('error', reject))).rejects.toThrow(/self[- ]signed|unable to verify|local issuer/i);
    expect(await edge.stop()).toBe(0);
    await hub!.waitFor('the box leaving', (e) => msg(e) === 'ward p07 disconnected (ward-p07)');
  }, 120_000);
});
