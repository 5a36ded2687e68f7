// Real processes for the uplink fault tests and bench: `wardwatch hub` and the synthetic producer as children,
// plus readers of what each side holds on disk (the hub's index and clip files, the edge's outbox).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { packageRoot } from '../../shared/package.js';
import type { TestWard } from '../../testing/hub/test-support.js';

const root = packageRoot();
const tsx = ['--import', 'tsx'];

export interface Child {
  child: ChildProcess;
  /** exit code, or null when killed by a signal */
  exit: Promise<number | null>;
  /** resolves with the first JSON line (stdout) that `match` accepts; rejects if the process exits first */
  line<T extends object>(match: (entry: Record<string, unknown>) => boolean): Promise<T>;
  /** SIGKILL, and wait until it is gone */
  kill(): Promise<void>;
}

export function watch(child: ChildProcess, name: string): Child {
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const seen: Record<string, unknown>[] = [];
  const waiters: { match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    seen.push(entry);
    for (const w of [...waiters]) {
      if (w.match(entry)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(entry);
      }
    }
  });
  return {
    child,
    exit,
    line<T extends object>(match: (entry: Record<string, unknown>) => boolean) {
      const found = seen.find(match);
      if (found) return Promise.resolve(found as T);
      return new Promise<T>((resolve, reject) => {
        waiters.push({ match, resolve: (e) => resolve(e as T) });
        void exit.then((code) => setImmediate(() => reject(new Error(`${name} exited (${code}) before the expected line; stderr: ${stderr}`))));
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

/** A hub.yaml with one tcp listener on 127.0.0.1 (`port` 0 the first time, then the same port again). */
export function writeHubConfig(dir: string, wards: readonly TestWard[], port = 0): string {
  const file = path.join(dir, 'hub.yaml');
  writeFileSync(
    file,
    `district: { name: Uplink test }
storage: { root: ${path.join(dir, 'hub-data')} }
broker:
  listeners:
    - { type: tcp, host: 127.0.0.1, port: ${port} }
http: { host: 127.0.0.1, port: 0 }
wards:
${wards.map((w) => `  - { id: ${w.id}, name: ${w.id}, tokenHash: '${w.tokenHash}' }`).join('\n')}
`,
  );
  return file;
}

export const hubRoot = (dir: string): string => path.join(dir, 'hub-data');

export interface HubChild extends Child {
  port: Promise<number>;
}

/** Starts the real `wardwatch hub --config …`; `port` resolves from its listener log line. */
export function startHubProcess(config: string): HubChild {
  const child = spawn(process.execPath, [...tsx, path.join(root, 'cli/run.ts'), 'hub', '--config', config], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WARDWATCH_LOG_LEVEL: 'info' },
  });
  const c = watch(child, 'hub');
  return { ...c, port: c.line<{ port: number }>((e) => typeof e.port === 'number').then((e) => e.port) };
}

export interface ProducerOptions {
  db: string;
  port: number;
  ward: TestWard;
  events: number;
  /** events a second (each is start, update, end); 0 = as fast as it can */
  rate?: number;
  /** a file to upload as the clip of the first event, once its events are produced */
  clip?: string;
  /** messages in flight */
  window?: number;
  /** steps per transaction (1 = one commit per message, like the event pipeline) */
  batch?: number;
  /** a busy camera's sightings and counts instead of events (test/uplink/street-load.ts) */
  street?: boolean;
  /** run this bundled build of the producer with plain node instead of the source through tsx (whose loader
   *  adds ~60 MB of RSS that a built ward box does not have) */
  bundle?: string;
  /** first wait before what the hub has not acked (`cmd/ack`) is sent again; it doubles up to 4× (default: the uplink's) */
  resendMs?: number;
}

/** Starts the synthetic producer (`test/uplink/producer.ts`). It prints `{produced}` then `{drained}` and exits 0. */
export function startProducer(o: ProducerOptions): Child {
  const args = [
    ...(o.bundle ? [o.bundle] : [...tsx, path.join(root, 'test/uplink/producer.ts')]),
    '--db', o.db,
    '--url', `mqtt://127.0.0.1:${o.port}`,
    '--ward', o.ward.id,
    '--token', o.ward.token,
    '--events', String(o.events),
    '--rate', String(o.rate ?? 0),
    ...(o.clip ? ['--clip', o.clip] : []),
    ...(o.window ? ['--window', String(o.window)] : []),
    ...(o.batch ? ['--batch', String(o.batch)] : []),
    ...(o.street ? ['--street'] : []),
    ...(o.resendMs ? ['--resend-ms', String(o.resendMs)] : []),
  ];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  return watch(child, 'producer');
}

export interface IncidentRow {
  id: string;
  state: string;
  end: number | null;
  start: number;
  score: number;
  top_score: number;
  clip_state: string;
  clip_path: string | null;
  clip_sha256: string | null;
}

/** Reads a SQLite file read-only (the writer may be running: WAL lets us see its last commit). */
export function withDb<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return read(db);
  } finally {
    db.close();
  }
}

export function hubIncidents(dir: string): IncidentRow[] {
  return withDb(path.join(hubRoot(dir), 'hub.db'), (db) => db.prepare('SELECT * FROM incidents ORDER BY id').all() as IncidentRow[]);
}

export function hubCount(dir: string, sql: string): number {
  return withDb(path.join(hubRoot(dir), 'hub.db'), (db) => db.prepare(sql).pluck().get() as number);
}

export interface EdgeState {
  /** rows waiting in the outbox */
  outbox: number;
  /** clips not yet fully acknowledged */
  clips: { event_id: string; next_chunk: number; chunks: number; manifest_acked: number; state: string }[];
  /** events with all three steps written */
  produced: number;
}

export function edgeState(file: string): EdgeState {
  return withDb(file, (db) => {
    const has = (table: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE name = ?").get(table) !== undefined;
    return {
      outbox: has('outbox') ? (db.prepare('SELECT count(*) FROM outbox').pluck().get() as number) : 0,
      clips: has('clip_uploads') ? (db.prepare('SELECT event_id, next_chunk, chunks, manifest_acked, state FROM clip_uploads').all() as EdgeState['clips']) : [],
      produced: has('produced') ? (db.prepare('SELECT count(*) FROM produced WHERE step = 2').pluck().get() as number) : 0,
    };
  });
}

/** The producer's events in order, with the start it gave each (base + n s; it ends 5 s later). */
export function producedEvents(file: string): { n: number; event_id: string; start: number }[] {
  return withDb(
    file,
    (db) =>
      db.prepare("SELECT n, event_id, (SELECT value FROM producer_meta WHERE key = 'base') + n * 1000 AS start FROM produced ORDER BY n").all() as {
        n: number;
        event_id: string;
        start: number;
      }[],
  );
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Resident set of a process in MB, from /proc (undefined once it is gone). */
export function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc (undefined once it is gone). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // fields after the command name, which is in parentheses and may hold spaces
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 a second on Linux)
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
