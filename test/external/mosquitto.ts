// Debian's Mosquitto 2 for the external-broker tests: started on a loopback port with its own data folder and
// persistence on (saved every `autosaveSeconds`, as a real site's periodic persistence), SIGKILLed and restarted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from '../../testing/free-port.js';

export { freePort };

/** The mosquitto binary, or why there is none. */
export function findMosquitto(): { path: string } | { missing: string } {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (existsSync(p)) return { path: p };
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return found ? { path: found } : { missing: 'mosquitto is not installed (apt-get install -y mosquitto; .ci/run does it)' };
}

export interface MosquittoOptions {
  binary: string;
  dir: string;
  port: number;
  passwordFile: string;
  aclFile: string;
  autosaveSeconds: number;
}

export interface Mosquitto {
  port: number;
  /** starts it (again), resolves once it accepts connections */
  start(): Promise<void>;
  /** SIGKILL: what it had not saved yet is gone */
  kill(): Promise<void>;
  /** its last words on stderr */
  log(): string;
}

export function mosquitto(o: MosquittoOptions): Mosquitto {
  const data = path.join(o.dir, 'mosquitto-data');
  mkdirSync(data, { recursive: true });
  const conf = path.join(o.dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `user ${userInfo().username}`, // as root it would switch to the mosquitto user, who cannot read the test's folder
      `listener ${o.port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${o.passwordFile}`,
      `acl_file ${o.aclFile}`,
      'persistence true',
      `persistence_location ${data}/`,
      `autosave_interval ${o.autosaveSeconds}`,
      // the hub's session queues everything while the hub is down (Mosquitto's default drops beyond 1000)
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stderr = '';
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port: o.port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  return {
    port: o.port,
    async start() {
      const c = spawn(o.binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      exited = new Promise((resolve) => c.once('exit', () => resolve()));
      c.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-4000);
      });
      const deadline = Date.now() + 10_000;
      while (!(await accepts())) {
        if (c.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    log: () => stderr,
  };
}
