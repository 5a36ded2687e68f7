// bench:live — live view cost on the ward box: 4 fake cameras (their own process), the review server (its own
// process, with its ffmpeg readers), and real WebSocket clients here consuming the fMP4. Measures the server's
// CPU (process + ffmpeg children, from /proc) idle, with one viewer per camera, and with all viewers.
// Prints CPU % of one core per camera (a reader) and per extra viewer. Last line: one JSON object.
//   npm run bench:live -- --viewers 10 --cameras 4 --seconds 20
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { packageRoot } from '../shared/package.js';
import { childrenOf, cpuPctOf, firstLine, round, tsxChild } from './proc.js';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '10' },
    cameras: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '20' },
    // internal: this file run as the review server
    serve: { type: 'string' },
  },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The review server alone, on loopback, with one officer; prints its URL. */
async function serve(camerasJson: string): Promise<void> {
  const { openEdgeDb } = await import('../edge/db.js');
  const { RecordStore } = await import('../edge/record/store.js');
  const { createReviewServer } = await import('../edge/review/server.js');
  const { loadOrCreateExportKey } = await import('../edge/review/export-keys.js');
  const { createLocalAudit } = await import('../shared/audit/index.js');
  const { locateFfmpeg } = await import('../shared/ffmpeg/locate.js');
  const { silentLogger } = await import('../shared/log.js');
  const root = mkdtempSync(path.join(tmpdir(), 'ww-bench-live-'));
  const db = openEdgeDb(path.join(root, 'edge.db'));
  const audit = createLocalAudit(db);
  const cams = JSON.parse(camerasJson) as { id: string; main: string; sub: string }[];
  const server = await createReviewServer({
    ward: { id: 'p01', name: 'Phường 1' },
    cameras: cams.map((c) => ({ id: c.id, name: c.id, mainUrl: c.main, subUrl: c.sub })),
    root,
    db,
    store: new RecordStore(db),
    audit,
    signer: loadOrCreateExportKey(path.join(root, 'keys')),
    tools: await locateFfmpeg(),
    logger: silentLogger(),
  });
  await server.accounts.addUser({ name: 'bench', role: 'officer', ward: 'p01', password: 'bench-pass-1' }, { actor: 'bench' });
  process.stdout.write(`${await server.listen('127.0.0.1', 0)}\n`);
}

async function session(base: string): Promise<string> {
  const post = async (url: string, body: unknown, cookie = '', csrf = '') =>
    fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie && { cookie }), ...(csrf && { 'x-csrf-token': csrf }) }, body: JSON.stringify(body) });
  const login = await post('/api/login', { name: 'bench', password: 'bench-pass-1' });
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  await post('/api/password', { current: 'bench-pass-1', next: 'bench-pass-2' }, cookie, csrfToken);
  return cookie;
}

/** CPU % of one core used by the server (and its ffmpeg children) over `seconds`. */
async function measure(pid: number, seconds: number): Promise<number> {
  const m = await cpuPctOf(pid, seconds);
  process.stdout.write(`  ${m.children} ffmpeg readers; CPU seconds (server, readers…): ${m.seconds.map((v) => round(v, 2)).join(', ')}\n`);
  return m.pct;
}

async function main(): Promise<void> {
  const viewers = Number(values.viewers);
  const cameras = Number(values.cameras);
  const seconds = Number(values.seconds);
  if (!(viewers >= cameras && cameras >= 1 && seconds >= 5)) throw new Error('need --viewers ≥ --cameras ≥ 1 and --seconds ≥ 5');
  const farm = tsxChild([path.join(packageRoot(), 'test-fixtures/camera/index.ts'), '--count', String(cameras), '--scene', 'quiet', '--loop', '20', '--json']);
  const cams = (JSON.parse(await firstLine(farm)) as { id: string; mainUrl?: string; main?: string; subUrl?: string; sub?: string }[]).map((c) => ({
    id: c.id,
    main: c.mainUrl ?? c.main!,
    sub: c.subUrl ?? c.sub!,
  }));
  const server = tsxChild([path.join(packageRoot(), 'bench/live.ts'), '--serve', JSON.stringify(cams)]);
  const base = await firstLine(server);
  const cookie = await session(base);
  const pid = server.pid!;
  const load0 = loadavg()[0]!;
  process.stdout.write(`review server ${base}, ${cameras} cameras; measuring ${seconds} s per phase (load average ${load0.toFixed(2)})…\n`);

  const sockets: { ws: WebSocket; bytes: number; messages: number }[] = [];
  const open = (camera: string) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/live/${camera}?stream=sub`, { headers: { cookie } });
    const s = { ws, bytes: 0, messages: 0 };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) s.bytes += data.length;
      s.messages++;
    });
    sockets.push(s);
  };

  await sleep(3000);
  const idle = await measure(pid, seconds);
  for (const c of cams) open(c.id);
  await sleep(6000); // readers start, first keyframes arrive
  const oneEach = await measure(pid, seconds);
  for (let i = cameras; i < viewers; i++) open(cams[i % cameras]!.id);
  await sleep(3000);
  const before = sockets.map((s) => s.bytes);
  const all = await measure(pid, seconds);
  const flowing = sockets.filter((s, i) => s.bytes > (before[i] ?? 0)).length;
  const load1 = loadavg()[0]!;

  const perCamera = Math.max(0, (oneEach - idle) / cameras);
  const perViewer = Math.max(0, (all - oneEach) / (viewers - cameras || 1));
  const totalPerViewer = Math.max(0, (all - idle) / viewers);
  process.stdout.write(`server CPU (process + ffmpeg readers), % of one core: idle ${round(idle, 2)}, ${cameras} viewers ${round(oneEach, 2)}, ${viewers} viewers ${round(all, 2)}\n`);
  process.stdout.write(`per camera (one reader + its first viewer): ${round(perCamera, 2)} %\n`);
  process.stdout.write(`per extra viewer of a running reader: ${round(perViewer, 2)} %; all-in per viewer (readers shared): ${round(totalPerViewer, 2)} %\n`);
  process.stdout.write(`viewers receiving video: ${flowing}/${viewers}; kB received per viewer: ${sockets.map((s) => Math.round(s.bytes / 1024)).join(', ')}\n`);
  process.stdout.write(`load average at start ${load0.toFixed(2)}, at end ${load1.toFixed(2)} (machine shared with other runs)\n`);
  for (const s of sockets) s.ws.close();
  server.kill('SIGTERM');
  farm.kill('SIGTERM');
  await sleep(500);
  for (const child of await childrenOf(pid)) process.kill(child, 'SIGKILL');
  process.stdout.write(
    JSON.stringify({ viewers, cameras, cpu_pct_per_viewer: round(perViewer, 3), cpu_pct_per_camera: round(perCamera, 3), cpu_pct_all_in_per_viewer: round(totalPerViewer, 3), viewers_receiving: flowing, load_avg: round(load1, 2) }) + '\n',
  );
  if (flowing < viewers) process.exitCode = 1;
}

if (values.serve) await serve(values.serve);
else await main();
