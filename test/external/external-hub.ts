// A hub in external broker mode for the tests and the bench: its hub.yaml and secrets, Mosquitto's files for its
// wards (as `credentials issue --mosquitto-passwd` and `provision mosquitto` write them), and the real process.
import { spawn } from 'node:child_process';
import type { TestContext } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { mosquittoPasswordLine } from '../../hub/broker/mosquitto-files.js';
import type { TestWard } from '../../testing/hub/test-support.js';
import { mosquittoCommand } from '../../provisioning/mosquitto.js';
import { packageRoot } from '../../shared/package.js';
import { watch, type Child } from '../uplink/processes.js';

export const HUB_PASSWORD = 'hub-password-0123456789';

export interface ExternalHubOptions {
  /** this process's own client id at the broker (default hub-a) */
  clientId?: string;
  /** the file's name in `dir` (default hub.yaml): processes of one hub each have their own */
  file?: string;
  /** `store.postgres.url`: the index on PostgreSQL (default: SQLite under dir/hub-data) */
  postgresUrl?: string;
}

/** hub.yaml in external mode: this process's own client id, the shared group, the hub's login from the secrets file. */
export function writeExternalHubConfig(dir: string, port: number, wards: readonly TestWard[], options: ExternalHubOptions = {}): string {
  const { clientId = 'hub-a', file: name = 'hub.yaml', postgresUrl } = options;
  writeFileSync(path.join(dir, 'secrets.yaml'), `broker-password: ${HUB_PASSWORD}\n`, { mode: 0o600 });
  const file = path.join(dir, name);
  writeFileSync(
    file,
    `district: { name: External broker test }
storage: { root: ${path.join(dir, 'hub-data')} }
${postgresUrl ? `store: { type: postgres, postgres: { url: '${postgresUrl}', maxConnections: 4 } }\n` : ''}broker:
  mode: external
  external: { url: 'mqtt://127.0.0.1:${port}', username: wardwatch-hub, passwordSecret: broker-password, clientId: ${clientId}, group: hub, sessionExpirySeconds: 3600 }
http: { host: 127.0.0.1, port: 0 }
wards:
${wards.map((w) => `  - { id: ${w.id}, name: ${w.id}, tokenHash: '${w.tokenHash}' }`).join('\n')}
`,
  );
  return file;
}

/**
 * Mosquitto's password and ACL files in `dir`: each ward's line written directly (the test knows the tokens), then
 * `provision mosquitto` for the ACL and the hub's line. Returns the two files.
 */
export async function writeBrokerFiles(dir: string, config: string, wards: readonly TestWard[]): Promise<{ passwordFile: string; aclFile: string }> {
  const passwordFile = path.join(dir, 'wardwatch.passwd');
  writeFileSync(passwordFile, wards.map((w) => mosquittoPasswordLine(`ward-${w.id}`, w.token)).join('\n') + '\n', { mode: 0o600 });
  let text = '';
  const code = await mosquittoCommand.run(['--hub-config', config, '--dir', dir], { out: (l) => void (text += `${l}\n`), err: (l) => void (text += `${l}\n`) });
  if (code !== 0 || text.includes('without a broker login')) throw new Error(`provision mosquitto: ${text}`);
  return { passwordFile, aclFile: path.join(dir, 'wardwatch.acl') };
}

/** `wardwatch hub` in external mode; resolves once ingest has subscribed at the broker. */
export async function startExternalHub(config: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(packageRoot(), 'cli/run.ts'), 'hub', '--config', config], {
    cwd: packageRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' },
  });
  const hub = watch(child, 'hub');
  await hub.line((e) => typeof e.externalBroker === 'string');
  return hub;
}

/** Kills, when the test ends (passed or not), every process or broker it is given; returns what it is given. */
export function tracker(onTestFinished: TestContext['onTestFinished']): <T extends { kill(): Promise<void> }>(c: T) => T {
  const children: { kill(): Promise<void> }[] = [];
  onTestFinished(async () => {
    await Promise.all(children.map((c) => c.kill()));
  });
  return (c) => {
    children.push(c);
    return c;
  };
}
