// A district as an installer sets it up, for the attack table: certificates and ward tokens made by the real
// `wardwatch provision credentials` commands, the real `wardwatch hub` (MQTT over TLS, HTTPS page) and the real
// `wardwatch edge` for ward p01 (one fake camera, its review page over HTTPS, its uplink over TLS), both started under
// umask 022 as a careless service manager would, users added by `wardwatch hub|edge user add`. Everything on 127.0.0.1.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { packageRoot } from '../../shared/package.js';
import { DEFAULT_CREDENTIALS, startCamera, type SingleCamera } from '../../test-fixtures/camera/index.js';

const root = packageRoot();
const cli = ['--import', 'tsx', path.join(root, 'cli/run.ts')];
const exec = promisify(execFile);

/** `wardwatch …` as an installer types it; rejects with its stderr on a non-zero exit. */
export async function wardwatch(...args: string[]): Promise<string> {
  try {
    return (await exec(process.execPath, [...cli, ...args], { cwd: root, timeout: 120_000 })).stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`wardwatch ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

export interface Daemon {
  child: ChildProcess;
  pid: number;
  /** every JSON log line so far */
  lines: () => Record<string, unknown>[];
  /** the first line `match` accepts (waits for it) */
  line(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

/** Starts `wardwatch <args>` under umask 022 in its own process group (the box's ffmpeg children go with it). */
function daemon(args: string[], env: Record<string, string> = {}): Daemon {
  const command = [process.execPath, ...cli, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('sh', ['-c', `umask 022; exec ${command}`], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info', ...env } });
  const seen: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      seen.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      /* not a log line */
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    pid: child.pid!,
    lines: () => seen,
    async line(match, timeoutMs = 90_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`wardwatch ${args[0]} exited (${child.exitCode ?? child.signalCode}); stderr: ${stderr}`);
        if (Date.now() > end) throw new Error(`wardwatch ${args[0]}: no such line within ${timeoutMs} ms; stderr: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface District {
  dir: string;
  /** the district CA (ca.pem), which clients trust */
  ca: string;
  hub: Daemon & { mqttPort: number; url: string; data: string; config: string };
  box: Daemon & { url: string; data: string; config: string };
  /** ward tokens, as the boxes' secrets files hold them */
  tokens: { p01: string; p02: string };
  /** the hub's admin and operator and the box's officer; their initial passwords are changed to these by the tests */
  admin: { name: string; password: string };
  operator: { name: string; password: string };
  officer: { name: string; password: string };
  camera: SingleCamera;
  stop(): Promise<void>;
}

const tokenOf = (file: string) => String((parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>)['hub-token']);

export async function startDistrict(): Promise<District> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-attack-'));
  const tls = path.join(dir, 'tls');
  // the installer's steps: the CA and the hub's certificate, the box's certificate, the wards' tokens
  await wardwatch('provision', 'credentials', 'tls', '--out', tls, '--host', '127.0.0.1', '--host', 'localhost');
  await wardwatch('provision', 'credentials', 'tls', '--out', tls, '--box', 'p01', '--host', '127.0.0.1', '--host', 'localhost');
  const hubConfig = path.join(dir, 'hub.yaml');
  const hubData = path.join(dir, 'hub-data');
  writeFileSync(
    hubConfig,
    `district: { name: Attack table }
storage: { root: ${hubData} }
secretsFile: hub-secrets.yaml
broker:
  listeners:
    - { type: tls, host: 127.0.0.1, port: 0, certFile: tls/hub.crt, keyFile: tls/hub.key }
http: { host: 127.0.0.1, port: 0, tls: { certFile: tls/hub.crt, keyFile: tls/hub.key } }
wards:
  - { id: p01, name: Phường 1 }
  - { id: p02, name: Phường 2 }
`,
  );
  writeFileSync(path.join(dir, 'hub-secrets.yaml'), '{}\n', { mode: 0o600 });
  const p01Secrets = path.join(dir, 'edge-secrets.yaml');
  const p02Secrets = path.join(dir, 'p02-secrets.yaml');
  await wardwatch('provision', 'credentials', 'issue', '--ward', 'p01', '--hub-config', hubConfig, '--edge-secrets', p01Secrets);
  await wardwatch('provision', 'credentials', 'issue', '--ward', 'p02', '--hub-config', hubConfig, '--edge-secrets', p02Secrets);
  const pw = path.join(dir, 'pw');
  writeFileSync(pw, 'first-pass-1\n', { mode: 0o600 });

  const hub = daemon(['hub', '--config', hubConfig]);
  let camera: SingleCamera | undefined;
  let box: Daemon | undefined;
  try {
    const mqttPort = Number((await hub.line((l) => l.listener === 'tls' && typeof l.port === 'number')).port);
    const httpPort = Number((await hub.line((l) => typeof l.httpPort === 'number')).httpPort);
    await wardwatch('hub', 'user', 'add', '--config', hubConfig, '--name', 'admin', '--role', 'admin', '--password-file', pw);
    await wardwatch('hub', 'user', 'add', '--config', hubConfig, '--name', 'lan', '--role', 'operator', '--password-file', pw);

    camera = await startCamera({ scene: 'quiet', loopSeconds: 20 });
    const edgeConfig = path.join(dir, 'edge.yaml');
    const edgeData = path.join(dir, 'edge-data');
    writeFileSync(
      edgeConfig,
      `ward: { id: p01, name: Phường 1 }
storage: { root: ${edgeData} }
secretsFile: edge-secrets.yaml
hub: { host: 127.0.0.1, port: ${mqttPort}, tls: true, caFile: tls/ca.pem }
detect: { enabled: false }
review: { host: 127.0.0.1, port: 0, tls: { certFile: tls/box-p01.crt, keyFile: tls/box-p01.key } }
cameras:
  - id: cam-1
    name: Camera 1
    streams:
      main: { url: "${camera.camera.mainUrl}" }
      sub: { url: "${camera.camera.subUrl}" }
    credentials: { username: ${DEFAULT_CREDENTIALS.username}, passwordSecret: cam }
    record: { segmentSeconds: 2 }
`,
    );
    box = daemon(['edge', '--config', edgeConfig], { WARDWATCH_SECRET_CAM: DEFAULT_CREDENTIALS.password });
    const reviewUrl = String((await box.line((l) => typeof l.url === 'string' && String(l.msg).startsWith('review page listening'))).url);
    await box.line((l) => String(l.msg).startsWith('ward box running'));
    await wardwatch('edge', 'user', 'add', '--config', edgeConfig, '--name', 'tuan', '--role', 'officer', '--ward', 'p01', '--password-file', pw);
    const started = { hub, box, camera };
    return {
      dir,
      ca: path.join(tls, 'ca.pem'),
      hub: Object.assign(hub, { mqttPort, url: `https://127.0.0.1:${httpPort}`, data: hubData, config: hubConfig }),
      box: Object.assign(box, { url: reviewUrl, data: edgeData, config: edgeConfig }),
      tokens: { p01: tokenOf(p01Secrets), p02: tokenOf(p02Secrets) },
      admin: { name: 'admin', password: 'admin-pass-2' },
      operator: { name: 'lan', password: 'operator-pass-2' },
      officer: { name: 'tuan', password: 'officer-pass-2' },
      camera,
      async stop() {
        await started.box.stop();
        await started.hub.stop();
        await started.camera.stop();
      },
    };
  } catch (err) {
    await box?.stop();
    await hub.stop();
    await camera?.stop();
    throw err;
  }
}
