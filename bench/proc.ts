// Processes for benchmarks: the bench's own helpers run as children (tsx), their first line read; figures read from
// /proc: CPU seconds, RSS, children, CPU % over a while.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { packageRoot } from '../shared/package.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds (0 when it is gone). */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set size in MB (0 when it is gone). */
export async function rssMb(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb / 1024;
  } catch {
    return 0;
  }
}

/** Direct children of a process. */
export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return out;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A TypeScript file of ours as a child process (stdout piped, stderr shown), logging warnings only. */
export function tsxChild(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WARDWATCH_LOG_LEVEL: 'warn' } });
}

/** The child's first line on stdout (how the bench's helpers say they are ready, and where). */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve(l));
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing`)));
  });
}

/**
 * CPU % of one core used by a process and its children over `seconds`. Children come and go (readers): those
 * alive at the start are counted, each by what it used until the end (or until it exited).
 */
export async function cpuPctOf(pid: number, seconds: number): Promise<{ pct: number; children: number; seconds: number[] }> {
  const pids = [pid, ...(await childrenOf(pid))];
  const before = await Promise.all(pids.map(cpuSeconds));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await Promise.all(pids.map(cpuSeconds));
  const used = after.map((v, i) => Math.max(0, v - before[i]!));
  return { pct: (used.reduce((a, v) => a + v, 0) / ((Date.now() - t0) / 1000)) * 100, children: pids.length - 1, seconds: used };
}
