// Clients we did not write, for the attack table: curl and Debian's mosquitto-clients, run as child processes. A
// test that needs one that is missing is skipped, and says why (`missing`).
import { execFile, spawnSync } from 'node:child_process';
import https from 'node:https';

const present = new Map<string, boolean>();

/** Whether `tool` is on PATH. */
export function has(tool: string): boolean {
  if (!present.has(tool)) present.set(tool, spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0);
  return present.get(tool)!;
}

const INSTALL: Record<string, string> = { curl: 'apt-get install -y curl', mosquitto_pub: 'apt-get install -y mosquitto-clients', mosquitto_sub: 'apt-get install -y mosquitto-clients' };

/** The tools of `tools` that are missing; each is printed once with how to install it (the test is then skipped). */
export function missing(row: string, ...tools: string[]): boolean {
  const absent = tools.filter((t) => !has(t));
  for (const t of absent) console.log(`skipped "${row}": ${t} is not installed (${INSTALL[t] ?? `install ${t}`}; .ci/run does it)`);
  return absent.length > 0;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client; never rejects (its exit code and output are the answer). */
export function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? ((err as unknown as { code: number }).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface CurlAnswer {
  /** curl's exit code: 0 when the exchange happened (any HTTP status), 60 for a certificate it does not trust */
  code: number | null;
  status: number;
  /** lower-case names; several values joined by "\n" (set-cookie) */
  headers: Record<string, string>;
  body: string;
  /** curl's -v trace (TLS handshake, certificate) when asked for */
  stderr: string;
}

/**
 * `curl -sS -i` with the district CA; `from` picks the source address (any 127.x.y.z): another machine for the
 * hub's per-address throttles, with no header the hub would have to trust.
 */
export async function curl(url: string, o: { ca?: string; from?: string; method?: string; json?: unknown; headers?: Record<string, string>; cookie?: string; verbose?: boolean; extra?: string[] } = {}): Promise<CurlAnswer> {
  const args = ['-sS', '-i', '--max-time', '20'];
  if (o.ca) args.push('--cacert', o.ca);
  if (o.from) args.push('--interface', o.from);
  if (o.method) args.push('-X', o.method);
  if (o.verbose) args.push('-v');
  if (o.json !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', JSON.stringify(o.json));
  if (o.cookie) args.push('-H', `cookie: ${o.cookie}`);
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(...(o.extra ?? []), url);
  const r = await run('curl', args);
  // the last header block is the answer's (a 100 Continue would come first)
  const blocks = r.stdout.split(/\r\n\r\n/);
  let at = 0;
  while (at + 1 < blocks.length && /^HTTP\/[\d.]+ 100/.test(blocks[at]!)) at++;
  const head = blocks[at] ?? '';
  const lines = head.split('\r\n');
  const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const colon = l.indexOf(':');
    if (colon < 0) continue;
    const name = l.slice(0, colon).trim().toLowerCase();
    const value = l.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}\n${value}`;
  }
  return { code: r.code, status, headers, body: blocks.slice(at + 1).join('\r\n\r\n'), stderr: r.stderr };
}

/** The body of a curl answer as JSON ({} when it is not). */
export function json(a: CurlAnswer): Record<string, unknown> {
  try {
    return JSON.parse(a.body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Options every mosquitto_pub/sub call takes: the hub's TLS listener, its CA, a login. */
export function mqttArgs(o: { port: number; ca: string; username?: string; password?: string; clientId?: string; from?: string }): string[] {
  return [
    '-h', '127.0.0.1', '-p', String(o.port), '--cafile', o.ca, '-q', '1',
    ...(o.username !== undefined ? ['-u', o.username] : []),
    ...(o.password !== undefined ? ['-P', o.password] : []),
    ...(o.clientId !== undefined ? ['-i', o.clientId] : []),
    ...(o.from !== undefined ? ['-A', o.from] : []),
  ];
}

/**
 * Many POSTs of JSON bodies in one curl process (`--next`), so they share one kept-alive TLS connection as a
 * browser's would: what the requests cost the server apart from TLS handshakes. Returns each answer's status.
 */
export async function curlPosts(url: string, bodies: readonly unknown[], o: { ca: string; from?: string }): Promise<number[]> {
  const args: string[] = [];
  bodies.forEach((body, i) => {
    if (i > 0) args.push('--next');
    args.push('-sS', '--cacert', o.ca, ...(o.from ? ['--interface', o.from] : []), '-o', '/dev/null', '-w', '%{http_code}\\n', '-H', 'content-type: application/json', '--data-binary', JSON.stringify(body), url);
  });
  const r = await run('curl', args, 300_000);
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

/**
 * The test's own HTTPS calls (logging in, reading /metrics), not an attack: Node's client, so that a machine without
 * curl still runs the rows that need only mosquitto-clients or raw sockets. The same answer shape as `curl`.
 */
export function httpsCall(url: string, o: { ca: Buffer; method?: string; json?: unknown; headers?: Record<string, string>; cookie?: string }): Promise<CurlAnswer> {
  const data = o.json === undefined ? undefined : Buffer.from(JSON.stringify(o.json));
  const headers: Record<string, string> = { ...o.headers, ...(data && { 'content-type': 'application/json' }), ...(o.cookie && { cookie: o.cookie }) };
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: o.method ?? (data ? 'POST' : 'GET'), headers, ca: o.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const flat: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join('\n') : v;
        resolve({ code: 0, status: res.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString('utf8'), stderr: '' });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}
