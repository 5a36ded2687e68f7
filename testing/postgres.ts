// Test helper (never shipped): a throwaway PostgreSQL on 127.0.0.1, its own data folder, a port the OS picked.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pgClient from 'pg';

/** Where initdb and postgres are, or why the PostgreSQL tests are skipped. */
export type PostgresBinaries = { found: true; bin: string } | { found: false; reason: string };

/** Debian's versioned folders (newest first), then PATH. */
export function findPostgres(root = '/usr/lib/postgresql', searchPath = process.env.PATH ?? ''): PostgresBinaries {
  const has = (dir: string) => existsSync(path.join(dir, 'postgres')) && existsSync(path.join(dir, 'initdb'));
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (has(path.join(root, v, 'bin'))) return { found: true, bin: path.join(root, v, 'bin') };
  for (const dir of searchPath.split(':')) if (dir && has(dir)) return { found: true, bin: dir };
  return { found: false, reason: 'no PostgreSQL server (initdb, postgres) under /usr/lib/postgresql/*/bin or on PATH: apt-get install postgresql' };
}

/** For `describe.skipIf(...)`: prints why once, so a skipped run says so. */
export function skipWithoutPostgres(what: string): boolean {
  const pg = findPostgres();
  if (!pg.found) console.log(`${what}: skipped, ${pg.reason}`);
  return !pg.found;
}

export interface TestPostgres {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'postgres';
  readonly database: 'postgres';
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly dataDir: string;
  /** Fast shutdown (SIGINT): clients are disconnected, the data is kept. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster, as a crash: recovery replays the WAL at the next start. */
  kill(): Promise<void>;
  /** Starts again on the same port and data folder (after stop or kill). */
  restart(): Promise<void>;
  /** A new empty database (one per test keeps tests apart); its connection settings for pg. */
  createDatabase(): Promise<{ host: string; port: number; user: string; database: string }>;
  /** Runs one statement as the superuser on the `postgres` database (terminating sessions, looking at locks). */
  admin<T extends pgClient.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops it at once (immediate shutdown, its backends with it) and deletes its folder. */
  close(): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root: as root, initdb and postgres run with the uid/gid of the `postgres` account
 * (spawn's uid/gid, the same as `runuser -u postgres --`, but the child is the postmaster itself, so kill() hits it),
 * and the folder is given to that account.
 */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no `postgres` account to run PostgreSQL as: apt-get install postgresql creates it');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a fresh PostgreSQL: initdb (trust for loopback, fsync on) then the server, retrying if the port was taken. */
export async function startPostgres(): Promise<TestPostgres> {
  const pg = findPostgres();
  if (!pg.found) throw new Error(pg.reason);
  const as = runAs();
  const base = mkdtempSync(path.join(tmpdir(), 'wardwatch-pg-'));
  if (as) chownSync(base, as.uid, as.gid);
  const dataDir = path.join(base, 'data');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC' };
  // --no-sync only skips flushing initdb's own files (nothing a SIGKILL of the server can lose); the server runs fsync=on
  const init = spawnSync(
    path.join(pg.bin, 'initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    { cwd: base, env, encoding: 'utf8', ...as },
  );
  if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr || init.error?.message}`);

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let port = 0;
  const exitHandler = () => child?.kill('SIGKILL');
  process.once('exit', exitHandler);

  /** One attempt: resolves when the server accepts connections, rejects with its log when it exits first. */
  const launch = (p: number) =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(
        path.join(pg.bin, 'postgres'),
        [
          '-D', dataDir, '-p', String(p),
          // loopback only; the socket in our folder (Debian's /var/run/postgresql may not exist or be writable)
          '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`,
          '-c', 'fsync=on', '-c', 'max_connections=60', '-c', 'shared_buffers=16MB',
        ],
        { cwd: base, env, stdio: ['ignore', 'ignore', 'pipe'], ...as },
      );
      child = proc;
      let log = '';
      exited = new Promise((r) => proc.once('exit', () => r()));
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (chunk: string) => {
        if (log.length < 20_000) log += chunk;
        if (/database system is ready to accept connections/.test(log)) resolve();
      });
      proc.once('exit', (code, signal) => reject(Object.assign(new Error(`postgres exited (${code ?? signal}) before it was ready: ${log.trim()}`), { log })));
    });

  /** Port races (another process took it) get a new port; a crashed server's leftovers (its backends still
   * exiting, holding the shared memory) get a few retries. */
  const start = async (samePort: boolean) => {
    for (let attempt = 1; ; attempt++) {
      if (!samePort) port = await freePort();
      try {
        await launch(port);
        return;
      } catch (err) {
        const log = (err as { log?: string }).log ?? '';
        const retry = /could not bind|Address already in use/.test(log) ? !samePort : /pre-existing shared memory block|lock file .* already exists/.test(log);
        if (!retry || attempt >= 20) throw err;
        await sleep(100);
      }
    }
  };
  await start(false);

  const signal = async (sig: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    await exited;
  };

  const admin = async <T extends pgClient.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const client = new pgClient.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  };
  let databases = 0;

  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    user: 'postgres',
    database: 'postgres',
    get url() {
      return `postgres://postgres@127.0.0.1:${port}/postgres`;
    },
    dataDir,
    stop: () => signal('SIGINT'),
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGINT');
      await start(true);
    },
    createDatabase: async () => {
      const database = `t${++databases}`;
      await admin(`CREATE DATABASE ${database}`);
      return { host: '127.0.0.1', port, user: 'postgres', database };
    },
    admin,
    close: async () => {
      // immediate shutdown: the postmaster stops its backends and then exits, so nothing is left running
      await signal('SIGQUIT');
      process.removeListener('exit', exitHandler);
      rmSync(base, { recursive: true, force: true });
    },
  };
}
