// The whole district on one machine, from real parts: fake cameras, the city receiver, `wardwatch hub` and one
// `wardwatch edge` per ward as child processes with real config files. Used by `npm run demo` and the
// end-to-end test. Not installed on boxes: it stands on test-fixtures.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { hashSecret, randomToken } from '../shared/scrypt.js';
import { packageRoot } from '../shared/package.js';
import { packagedModel } from '../edge/detect/model-file.js';
import { CityGrants } from '../hub/city/grants.js';
import { openHubStore } from '../hub/store/store.js';
import { createAudit } from '../shared/audit/index.js';
import { startCameraFarm, DEFAULT_CREDENTIALS, type CameraFarm, type SceneName } from '../test-fixtures/camera/index.js';
import { STREET_LINES, STREET_ZONES } from '../test-fixtures/camera/street-scene.js';
import { startCityReceiver, type CityReceiver } from '../test-fixtures/city/index.js';

const root = packageRoot();

export interface DistrictOptions {
  dataDir: string;
  wards: number;
  camerasPerWard: number;
  /** how many of each ward's cameras show a busy scene (the rest are quiet streets) */
  trafficPerWard: number;
  /**
   * the busy cameras' scene: `street` (the demo: 20–40 objects at once, counting lines, a dwell rule on the bus bay
   * and a presence rule on the zebra crossing) or `traffic` (one object at a time, a presence rule over the whole
   * picture: one alert per object, what the end-to-end test follows)
   */
  busyScene?: 'street' | 'traffic';
  /** detector model; unset → the edge takes the copy that ships with Wardwatch */
  modelPath?: string | undefined;
  /** scene loop length (the demo uses 60 s; tests shorter) */
  loopSeconds?: number;
  segmentSeconds?: number;
  log?: (line: string) => void;
  /**
   * demo logins: an operator at the hub and an officer per ward, with DEMO_PASSWORD (changed at first login); and a
   * city account with an RTSP credential and a standing grant of the first ward's first camera (District.cityRtsp)
   */
  users?: boolean;
}

/** The initial password of the demo's accounts; the pages ask for a new one at the first login (the rule). */
export const DEMO_PASSWORD = 'Demo-2026';

export interface WardProcess {
  id: string;
  name: string;
  config: string;
  reviewPort: number;
  dataDir: string;
  child: ChildProcess | undefined;
}

export interface District {
  farm: CameraFarm;
  city: CityReceiver;
  citySecret: string;
  hubConfig: string;
  hubDataDir: string;
  hubHttpPort: number;
  hubMqttPort: number;
  /** the hub's RTSP for the city's video system (hub.yaml cityRtsp) */
  hubRtspPort: number;
  /** with `users`: the granted camera's RTSP URL with the city account's credential in it */
  cityRtsp?: { url: string; user: string; ward: string; camera: string; grantDays: number } | undefined;
  wards: WardProcess[];
  /** (re)starts a ward's edge; resolves when it says it is running */
  startWard(ward: WardProcess): Promise<void>;
  /** SIGKILL of a ward's edge and its ffmpeg children */
  killWard(ward: WardProcess): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `wardwatch …` from the sources, in its own process group, logging to a file; resolves on `ready`. */
function startProcess(args: string[], logFile: string, ready: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), ...args], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: process.env.WARDWATCH_LOG_LEVEL ?? 'info', ...env },
  });
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stderr!.pipe(log);
  return new Promise((resolve, reject) => {
    let done = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(line + '\n');
      if (!done && line.includes(ready)) {
        done = true;
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`${args.slice(0, 2).join(' ')} exited (${code}) before it was ready; see ${logFile}`));
    });
  });
}

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
  return gone;
}

export async function startDistrict(o: DistrictOptions): Promise<District> {
  const log = o.log ?? (() => undefined);
  mkdirSync(o.dataDir, { recursive: true });
  const scenes: SceneName[] = [];
  const busy = o.busyScene ?? 'street';
  for (let w = 0; w < o.wards; w++) for (let c = 0; c < o.camerasPerWard; c++) scenes.push(c < o.trafficPerWard ? busy : 'quiet');
  log(`encoding or loading the camera scenes and starting ${scenes.length} fake cameras…`);
  const farm = await startCameraFarm({ count: scenes.length, scenes, loopSeconds: o.loopSeconds ?? 60 });
  // startCameraFarm hands scenes round-robin in list order: camera i shows scenes[i]
  const citySecret = randomToken();
  const city = await startCityReceiver({ secret: citySecret, file: path.join(o.dataDir, 'city-alerts.jsonl') });

  const hubDataDir = path.join(o.dataDir, 'hub');
  mkdirSync(hubDataDir, { recursive: true });
  const hubMqttPort = await freePort();
  const hubHttpPort = await freePort();
  const hubRtspPort = await freePort();
  const wardIds = Array.from({ length: o.wards }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);
  const tokens = new Map(wardIds.map((id) => [id, randomToken()]));
  const hubConfig = path.join(hubDataDir, 'hub.yaml');
  writeFileSync(path.join(hubDataDir, 'secrets.yaml'), `city-webhook: "${citySecret}"\n`, { mode: 0o600 });
  writeFileSync(
    hubConfig,
    [
      'district: { name: Phú Nhuận (demo) }',
      `storage: { root: ${path.join(hubDataDir, 'data')} }`,
      'secretsFile: secrets.yaml',
      `broker: { listeners: [ { type: tcp, host: 127.0.0.1, port: ${hubMqttPort} } ] }`,
      'wards:',
      ...wardIds.map((id, i) => `  - { id: ${id}, name: "Phường ${i + 1}", tokenHash: "${hashSecret(tokens.get(id)!)}" }`),
      `http: { host: 127.0.0.1, port: ${hubHttpPort}, publicUrl: "http://127.0.0.1:${hubHttpPort}" }`,
      `cityRtsp: { listen: { host: 127.0.0.1, port: ${hubRtspPort} } }`,
      'forward:',
      '  targets:',
      `    - { id: city, type: webhook, url: "${city.url}", secretName: city-webhook, timeoutSeconds: 5 }`,
      '  rules:',
      '    - { id: people-and-vehicles, target: city, minScore: 0.5 }',
      '',
    ].join('\n'),
  );

  const wards: WardProcess[] = [];
  for (const [w, id] of wardIds.entries()) {
    const dataDir = path.join(o.dataDir, `ward-${id}`);
    mkdirSync(dataDir, { recursive: true });
    const reviewPort = await freePort();
    const cams = farm.cameras.slice(w * o.camerasPerWard, (w + 1) * o.camerasPerWard);
    writeFileSync(path.join(dataDir, 'secrets.yaml'), `hub-token: "${tokens.get(id)}"\ncam: "${DEFAULT_CREDENTIALS.password}"\n`, { mode: 0o600 });
    const config = path.join(dataDir, 'edge.yaml');
    writeFileSync(
      config,
      [
        `ward: { id: ${id}, name: "Phường ${w + 1}" }`,
        `storage: { root: ${path.join(dataDir, 'data')} }`,
        'secretsFile: secrets.yaml',
        `hub: { host: 127.0.0.1, port: ${hubMqttPort}, tls: false }`,
        `record: { segmentSeconds: ${o.segmentSeconds ?? 10}, retainDays: 7 }`,
        'detect: { fps: 5, minScore: 0.5 }',
        'events: { preRollSeconds: 3, postRollSeconds: 3, endAfterSeconds: 3 }',
        o.modelPath ? `model: { path: "${o.modelPath}", threads: 1 }` : 'model: { threads: 1 }',
        `review: { host: 127.0.0.1, port: ${reviewPort} }`,
        'cameras:',
        ...cams.map((c, i) =>
          [
            `  - id: cam-${String(i + 1).padStart(2, '0')}`,
            `    name: "Camera ${i + 1} — ${scenes[w * o.camerasPerWard + i] === 'quiet' ? 'đường phố' : 'giao lộ'}"`,
            `    streams: { main: { url: "${c.mainUrl}" }, sub: { url: "${c.subUrl}" } }`,
            `    credentials: { username: ${DEFAULT_CREDENTIALS.username}, passwordSecret: cam }`,
            ...cameraRules(scenes[w * o.camerasPerWard + i]!),
          ].join('\n'),
        ),
        '',
      ].join('\n'),
    );
    wards.push({ id, name: `Phường ${w + 1}`, config, reviewPort, dataDir, child: undefined });
  }

  log('starting the hub…');
  const hub = await startProcess(['hub', '--config', hubConfig], path.join(o.dataDir, 'hub.log'), '"port"');
  // the children run in their own process groups: if this process ends in any way it can see, they end too
  const leftovers = () => {
    for (const child of [hub, ...wards.map((w) => w.child)]) {
      if (child?.pid && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
  };
  process.once('exit', leftovers);
  const district: District = {
    farm,
    city,
    citySecret,
    hubConfig,
    hubDataDir,
    hubHttpPort,
    hubMqttPort,
    hubRtspPort,
    wards,
    async startWard(ward) {
      ward.child = await startProcess(['edge', '--config', ward.config], path.join(o.dataDir, `${ward.id}.log`), 'ward box running');
    },
    async killWard(ward) {
      await killGroup(ward.child, 'SIGKILL');
      ward.child = undefined;
    },
    async stop() {
      await Promise.all(wards.map((w) => killGroup(w.child, 'SIGTERM')));
      await killGroup(hub, 'SIGTERM');
      process.removeListener('exit', leftovers);
      await city.stop();
      await farm.stop();
    },
  };
  for (const ward of wards) {
    log(`starting ward ${ward.id}…`);
    await district.startWard(ward);
  }
  if (o.users) {
    log('creating the demo logins…');
    const pw = path.join(o.dataDir, 'demo-password');
    writeFileSync(pw, `${DEMO_PASSWORD}\n`, { mode: 0o600 });
    runWardwatch(['hub', 'user', 'add', '--config', hubConfig, '--name', 'operator', '--role', 'operator', '--display-name', 'Điều hành viên', '--password-file', pw]);
    for (const w of wards) {
      runWardwatch(['edge', 'user', 'add', '--config', w.config, '--name', `officer-${w.id}`, '--role', 'officer', '--ward', w.id, '--display-name', `Cán bộ ${w.name}`, '--password-file', pw]);
    }
    district.cityRtsp = await cityAccess(hubConfig, path.join(hubDataDir, 'data'), hubRtspPort, pw, wards[0]?.id);
  }
  return district;
}

/**
 * The city's demo account: a `city` login, its RTSP credential (the command prints the password once), and a standing
 * grant of one camera, live only, made as an operator would (audited `city.grant`).
 */
async function cityAccess(hubConfig: string, hubData: string, rtspPort: number, passwordFile: string, ward: string | undefined): Promise<District['cityRtsp']> {
  if (!ward) return undefined;
  const user = 'city-centre';
  const camera = 'cam-01';
  const grantDays = 365;
  runWardwatch(['hub', 'user', 'add', '--config', hubConfig, '--name', user, '--role', 'city', '--display-name', 'Trung tâm giám sát thành phố', '--password-file', passwordFile]);
  const made = runWardwatch(['hub', 'rtsp-credential', '--config', hubConfig, '--name', user]);
  const password = /password \(shown once\): (\S+)/.exec(made)?.[1];
  if (!password) throw new Error(`wardwatch hub rtsp-credential printed no password: ${made}`);
  // the hub has the database open; SQLite's WAL lets this process add the grant next to it, and the hub checks grants per request
  const store = openHubStore(hubData);
  try {
    await new CityGrants({ sql: store.sql, clock: Date.now, audit: createAudit(store.sql) }).grant({
      by: 'operator', ward, camera, minutes: grantDays * 24 * 60, live: true, recordings: null, reason: 'demo: a standing grant for the city\'s video system',
    });
  } finally {
    await store.close();
  }
  return { url: `rtsp://${user}:${password}@127.0.0.1:${rtspPort}/${ward}/${camera}`, user, ward, camera, grantDays };
}

/** Runs `wardwatch <args>` to completion (user setup and the like); throws with its output on failure. */
export function runWardwatch(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'cli/run.ts'), ...args], { cwd: root, encoding: 'utf8', ...(input ? { input } : {}) });
  if (r.status !== 0) throw new Error(`wardwatch ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The detector model for the demo: WARDWATCH_MODEL when set, else the copy that ships with Wardwatch. */
export function findModel(): string {
  const chosen = process.env.WARDWATCH_MODEL;
  if (chosen === undefined || chosen === '') return packagedModel().path;
  if (!existsSync(chosen)) throw new Error(`WARDWATCH_MODEL=${chosen}: no such file (unset it to use the model that ships with Wardwatch)`);
  return path.resolve(chosen);
}

/** The street layout and the alert rules a demo camera gets, as edge.yaml lines, by what it shows. */
function cameraRules(scene: SceneName): string[] {
  const yaml = (v: unknown) => JSON.stringify(v);
  if (scene === 'street') {
    const names: Record<string, string> = { lanes: 'Hoàng Văn Thụ, cả hai chiều', zebra: 'Vạch qua đường' };
    const directions: Record<string, string> = { lanes: '{ forward: "về Phan Đăng Lưu", backward: "về sân bay" }', zebra: '{ forward: "lên", backward: "xuống" }' };
    return [
      `    zones: ${yaml(STREET_ZONES.map((z) => ({ id: z.id, polygon: z.polygon })))}`,
      '    lines:',
      ...STREET_LINES.map((l) => `      - { id: ${l.id}, name: "${names[l.id] ?? l.id}", points: ${yaml(l.points)}, directions: ${directions[l.id] ?? '{}'} }`),
      '    alerts:',
      // the bay's stoppers stand 20–40 s: each raises one alert; passing traffic never stays 10 s
      '      - { id: stopped-in-bay, kind: dwell, zone: stop-area, labels: [car, truck, bus, motorcycle, bicycle], seconds: 10 }',
      '      - { id: on-the-crossing, kind: presence, zone: pedestrian-crossing, labels: [person] }',
    ];
  }
  if (scene === 'traffic') {
    return ['    zones: [{ id: all, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }]', '    alerts: [{ id: anything, kind: presence, zone: all }]'];
  }
  // a quiet street: nobody should be there at night
  return ['    zones: [{ id: street, polygon: [[0, 0.35], [1, 0.35], [1, 1], [0, 1]] }]', '    alerts: [{ id: night-walker, kind: presence, zone: street, labels: [person], hours: { from: "22:00", to: "05:00" } }]'];
}
