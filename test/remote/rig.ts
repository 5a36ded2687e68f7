// The district in small for the remote-access tests: one fake RTSP camera (or `cameras`), a real hub (broker, ingest, API,
// forwarder, relays) on loopback with operator `lan` logged in, and a real ward box (startEdge) recording the camera
// and connected to the hub. `edge` may be replaced (a test stops and restarts the box with `edgeConfig`).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { startEdge, type RunningEdge } from '../../edge/main.js';
import { Client } from '../../testing/hub/api/test-client.js';
import { startHub, type RunningHub } from '../../hub/main.js';
import { testWard } from '../../testing/hub/test-support.js';
import { hubConfigSchema } from '../../shared/config/hub.js';
import { loadEdgeConfig, type EdgeConfig, type HubConfig } from '../../shared/config/load.js';
import { silentLogger } from '../../shared/log.js';
import { startCameraFarm, type CameraFarm } from '../../test-fixtures/camera/index.js';
import { untilWith } from '../until.js';

export const OPERATOR_PASSWORD = 'operator-pass-2';

export interface RemoteRig {
  dir: string;
  farm: CameraFarm;
  hub: RunningHub;
  /** logged in as `lan` (operator) */
  operator: Client;
  edgeConfig: EdgeConfig;
  edge: RunningEdge;
  stop(): Promise<void>;
}

export interface RemoteRigOptions {
  /** more of hub.yaml (e.g. remoteAccess, forward) */
  hub?: Record<string, unknown>;
  secrets?: Map<string, string>;
  /** more YAML lines under each camera (indented 4) */
  cameraYaml?: string;
  /** fake cameras, named cam-1, cam-2, …; default 1 */
  cameras?: number;
}

const until = untilWith(60_000, 250);

export async function startRemoteRig(options: RemoteRigOptions = {}): Promise<RemoteRig> {
  const p01 = testWard('p01');
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-remote-'));
  const farm = await startCameraFarm({ count: options.cameras ?? 1, scene: 'quiet', loopSeconds: 12 });
  const hubConfig: HubConfig = {
    ...hubConfigSchema.parse({
      district: { name: 'Phú Nhuận' },
      storage: { root: path.join(dir, 'hub') },
      broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      wards: [{ id: 'p01', name: 'Phường 1', tokenHash: p01.tokenHash }],
      http: { host: '127.0.0.1', port: 0 },
      ...options.hub,
    }),
    file: path.join(dir, 'hub.yaml'),
    secrets: options.secrets ?? new Map(),
  };
  const hub = await startHub(hubConfig, { logger: silentLogger() });
  await hub.accounts.addUser({ name: 'lan', role: 'operator', password: 'initial-pass-1' }, { actor: 'cli:test', ip: null });
  const operator = new Client(`http://127.0.0.1:${hub.http!.port}`);
  expect((await operator.login('lan', 'initial-pass-1', OPERATOR_PASSWORD)).status).toBe(200);

  const cameras = farm.cameras
    .map((cam, i) => `  - id: cam-${i + 1}\n    name: Camera ${i + 1}\n    streams:\n      main: { url: "${cam.mainUrl}" }\n      sub: { url: "${cam.subUrl}" }\n` +
      `    credentials: { username: admin, passwordSecret: cam }\n${options.cameraYaml ?? ''}`)
    .join('');
  const file = path.join(dir, 'edge.yaml');
  writeFileSync(
    file,
    `ward: { id: p01, name: Phường 1 }\nstorage: { root: ${dir}/edge }\nreview: { host: 127.0.0.1, port: 0 }\ndetect: { enabled: false }\n` +
      `hub: { host: 127.0.0.1, port: ${hub.listeners[0]!.port}, tls: false }\n` +
      `cameras:\n${cameras}`,
  );
  const loaded = loadEdgeConfig(file, { env: { WARDWATCH_SECRET_CAM: 'wardwatch-cam', WARDWATCH_SECRET_HUB_TOKEN: p01.token } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const rig: RemoteRig = {
    dir,
    farm,
    hub,
    operator,
    edgeConfig: loaded.config,
    edge: await startEdge(loaded.config, { logger: silentLogger() }),
    async stop() {
      await rig.edge?.close();
      await hub.close();
      await farm.stop();
    },
  };
  for (let i = 1; i <= farm.cameras.length; i++) {
    await until(`cam-${i}'s status at the hub`, () => hub.store.db.prepare("SELECT 1 FROM camera_status WHERE ward = 'p01' AND camera = ?").get(`cam-${i}`));
  }
  await until('the ward online at the hub', () => hub.retrievals.store.boxOnline('p01'));
  return rig;
}
