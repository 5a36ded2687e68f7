// bench:relay — live view through the hub: fake cameras (own process), a hub (own process) and a ward box (own
// process, recording + live readers) that pushes each live relay to the hub; WebSocket viewers here. Measures the
// box's CPU (process + ffmpeg children) per relay of the default stream (sub; target ≤ 1 % of one core: stream
// copy), then per relay of the main stream on top of those, and the hub's CPU per extra viewer. Last, from idle again,
// the city's RTSP: one RTSP reader per camera at the hub (the bundled ffmpeg, as a VMS would read, main stream),
// each opening its relay on demand: the box's CPU per RTSP-relayed camera (target ≤ 1 %) and the hub's per reader
// (fMP4 → RTP in TypeScript).
// Last line: one JSON object.   npm run bench:relay -- --relays 2 --viewers 10 --seconds 20
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { locateFfmpeg } from '../shared/ffmpeg/locate.js';
import { packageRoot } from '../shared/package.js';
import { childrenOf, cpuPctOf, firstLine, round, tsxChild } from './proc.js';

const { values } = parseArgs({
  options: {
    relays: { type: 'string', default: '2' },
    viewers: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    // internal: this file run as the hub or the ward box
    'serve-hub': { type: 'string' },
    'serve-edge': { type: 'string' },
  },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface HubReady { http: string; mqttPort: number; wardToken: string; rtsp: { port: number; user: string; password: string } }
/** the city's RTSP relay is ended this long after its reader leaves */
const RTSP_LINGER_MS = 2000;

/** The hub alone, on loopback, with one operator; prints its addresses and the ward's token. */
async function serveHub(arg: string): Promise<void> {
  const { relays } = JSON.parse(arg) as { relays: number };
  const { startHub } = await import('../hub/main.js');
  const { testWard } = await import('../testing/hub/test-support.js');
  const { hubConfigSchema } = await import('../shared/config/hub.js');
  const { silentLogger } = await import('../shared/log.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-bench-relay-hub-'));
  const ward = testWard('p01');
  const config = {
    ...hubConfigSchema.parse({
      district: { name: 'bench' },
      storage: { root: dir },
      broker: { listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }] },
      wards: [{ id: 'p01', name: 'Phường 1', tokenHash: ward.tokenHash }],
      http: { host: '127.0.0.1', port: 0 },
      remoteAccess: { maxRelaysPerWard: 2 * relays },
      cityRtsp: { listen: { host: '127.0.0.1', port: 0 }, lingerMs: RTSP_LINGER_MS },
    }),
    file: path.join(dir, 'hub.yaml'),
    secrets: new Map<string, string>(),
  };
  const hub = await startHub(config, { logger: silentLogger() });
  await hub.accounts.addUser({ name: 'bench', role: 'operator', password: 'bench-pass-1' }, { actor: 'bench', ip: null });
  // the city: an account, its RTSP credential, every camera of the ward granted live
  const { RtspCredentials } = await import('../hub/city-rtsp/credentials.js');
  await hub.accounts.addUser({ name: 'city-vms', role: 'city', password: 'bench-pass-1' }, { actor: 'bench', ip: null });
  const password = await new RtspCredentials({ sql: hub.store.sql, audit: hub.audit }).make('city-vms', { actor: 'bench', ip: null });
  await hub.city.grants.grant({ by: 'bench', ward: 'p01', camera: null, minutes: 24 * 60, live: true, recordings: null, reason: 'bench' });
  const ready: HubReady = { http: `http://127.0.0.1:${hub.http!.port}`, mqttPort: hub.listeners[0]!.port, wardToken: ward.token, rtsp: { port: hub.cityRtsp!.port, user: 'city-vms', password } };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

/** The ward box (startEdge) recording the cameras, connected to the hub. */
async function serveEdge(arg: string): Promise<void> {
  const { cams, mqttPort, wardToken } = JSON.parse(arg) as { cams: { id: string; main: string; sub: string }[]; mqttPort: number; wardToken: string };
  const { startEdge } = await import('../edge/main.js');
  const { loadEdgeConfig } = await import('../shared/config/load.js');
  const { silentLogger } = await import('../shared/log.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'ww-bench-relay-edge-'));
  const bare = (u: string) => { const x = new URL(u); x.username = ''; x.password = ''; return x.toString(); };
  const first = new URL(cams[0]!.main);
  const file = path.join(dir, 'edge.yaml');
  writeFileSync(
    file,
    `ward: { id: p01, name: Phường 1 }\nstorage: { root: ${dir} }\nreview: { host: 127.0.0.1, port: 0 }\ndetect: { enabled: false }\n` +
      `hub: { host: 127.0.0.1, port: ${mqttPort}, tls: false }\ncameras:\n` +
      cams.map((c) => `  - id: ${c.id}\n    name: ${c.id}\n    streams:\n      main: { url: "${bare(c.main)}" }\n      sub: { url: "${bare(c.sub)}" }\n    credentials: { username: ${decodeURIComponent(first.username)}, passwordSecret: cam }\n`).join(''),
  );
  const loaded = loadEdgeConfig(file, { env: { WARDWATCH_SECRET_CAM: decodeURIComponent(first.password), WARDWATCH_SECRET_HUB_TOKEN: wardToken } });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  await startEdge(loaded.config, { logger: silentLogger() });
  process.stdout.write('ready\n');
}

async function login(base: string): Promise<{ cookie: string; csrf: string }> {
  const post = async (url: string, body: unknown, cookie = '', csrf = '') =>
    fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json', ...(cookie && { cookie }), ...(csrf && { 'x-csrf-token': csrf }) }, body: JSON.stringify(body) });
  const first = await post('/api/login', { name: 'bench', password: 'bench-pass-1' });
  const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
  const { csrfToken } = (await first.json()) as { csrfToken: string };
  const changed = await post('/api/password', { current: 'bench-pass-1', next: 'bench-pass-2' }, cookie, csrfToken);
  const { csrfToken: csrf } = (await changed.json()) as { csrfToken: string };
  return { cookie: changed.headers.getSetCookie()[0]?.split(';')[0] ?? cookie, csrf };
}

async function measure(hubPid: number, edgePid: number, seconds: number) {
  const [hub, edge] = await Promise.all([cpuPctOf(hubPid, seconds), cpuPctOf(edgePid, seconds)]);
  return { hub: hub.pct, edge: edge.pct, edgeChildren: edge.children };
}

async function main(): Promise<void> {
  const relays = Number(values.relays);
  const viewers = Number(values.viewers);
  const seconds = Number(values.seconds);
  if (!(viewers > relays && relays >= 1 && seconds >= 5)) throw new Error('need --viewers > --relays ≥ 1 and --seconds ≥ 5');
  const farm = tsxChild([path.join(packageRoot(), 'test-fixtures/camera/index.ts'), '--count', String(relays), '--scene', 'quiet', '--loop', '20', '--json']);
  const cams = JSON.parse(await firstLine(farm)) as { id: string; main: string; sub: string }[];
  const hubProc = tsxChild([path.join(packageRoot(), 'bench/relay.ts'), '--serve-hub', JSON.stringify({ relays })]);
  const hubReady = JSON.parse(await firstLine(hubProc)) as HubReady;
  const edgeProc = tsxChild([path.join(packageRoot(), 'bench/relay.ts'), '--serve-edge', JSON.stringify({ cams, mqttPort: hubReady.mqttPort, wardToken: hubReady.wardToken })]);
  await firstLine(edgeProc);
  const base = hubReady.http;
  const { cookie, csrf } = await login(base);
  const load0 = loadavg()[0]!;
  process.stdout.write(`hub ${base}, ward box with ${relays} cameras; ${seconds} s per phase (load average ${load0.toFixed(2)})…\n`);

  const openRelay = async (camera: string, stream?: 'main'): Promise<string> => {
    for (let i = 0; ; i++) {
      // no stream named: the default the operator page uses (sub)
      const res = await fetch(`${base}/api/live`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ ward: 'p01', camera, ...(stream && { stream }) }) });
      const body = (await res.json()) as { relayId?: string; error?: string };
      if (res.status === 201) return body.relayId!;
      if (i > 60) throw new Error(`POST /api/live: ${res.status} ${body.error}`);
      await sleep(1000); // the box is not online / its cameras not reported yet
    }
  };
  const sockets: { ws: WebSocket; bytes: number }[] = [];
  const watch = (relayId: string) => {
    const s = { ws: new WebSocket(`${base.replace('http', 'ws')}/api/live/${relayId}`, { headers: { cookie } }), bytes: 0 };
    s.ws.on('message', (data: Buffer, isBinary: boolean) => { if (isBinary) s.bytes += data.length; });
    sockets.push(s);
  };

  const ffmpeg = (await locateFfmpeg()).ffmpeg.path;
  const rtspBytes: number[] = [];
  /** The city's video system reading a camera through the hub: ffmpeg, stream copy, its bytes counted. */
  const rtspReader = (camera: string, i: number): ChildProcess => {
    const url = `rtsp://${hubReady.rtsp.user}:${hubReady.rtsp.password}@127.0.0.1:${hubReady.rtsp.port}/p01/${camera}`;
    const child = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'mpegts', 'pipe:1'], { stdio: ['ignore', 'pipe', 'ignore'] });
    rtspBytes[i] = 0;
    child.stdout!.on('data', (d: Buffer) => (rtspBytes[i] = (rtspBytes[i] ?? 0) + d.length));
    return child;
  };
  const relaysOpen = async () => ((await (await fetch(`${base}/api/live`, { headers: { cookie } })).json()) as { relays: unknown[] }).relays.length;
  const untilNoRelays = async () => {
    for (let i = 0; i < 60 && (await relaysOpen()); i++) await sleep(1000);
  };

  const relayIds: string[] = [];
  for (const c of cams) relayIds.push(await openRelay(c.id)); // waits for the box to be online
  for (const id of relayIds) watch(id);
  await sleep(4000);
  // back to idle: the relays end after their linger (30 s), the box's readers after theirs (10 s)
  for (const s of sockets) s.ws.close();
  for (let i = 0; i < 60; i++) {
    const open = (await (await fetch(`${base}/api/live`, { headers: { cookie } })).json()) as { relays: unknown[] };
    if (!open.relays.length) break;
    await sleep(1000);
  }
  await sleep(12_000);
  const idle = await measure(hubProc.pid!, edgeProc.pid!, seconds);
  relayIds.length = 0;
  sockets.length = 0;
  for (const c of cams) relayIds.push(await openRelay(c.id));
  for (const id of relayIds) watch(id);
  await sleep(6000); // the box connects, readers start, first keyframes arrive
  const oneEach = await measure(hubProc.pid!, edgeProc.pid!, seconds);
  for (let i = relays; i < viewers; i++) watch(relayIds[i % relays]!);
  await sleep(3000);
  const before = sockets.map((s) => s.bytes);
  const all = await measure(hubProc.pid!, edgeProc.pid!, seconds);
  const flowing = sockets.filter((s, i) => s.bytes > (before[i] ?? 0)).length;
  // the main stream (full resolution, several times the bytes) on top, one viewer each
  const mainIds: string[] = [];
  for (const c of cams) mainIds.push(await openRelay(c.id, 'main'));
  for (const id of mainIds) watch(id);
  await sleep(6000);
  const mainBefore = sockets.slice(viewers).map((s) => s.bytes);
  const withMain = await measure(hubProc.pid!, edgeProc.pid!, seconds);
  const mainFlowing = sockets.slice(viewers).filter((s, i) => s.bytes > mainBefore[i]!).length;

  // last (the hub's code warm, as in service): back to idle, then the city's RTSP readers, each opening its relay
  for (const s of sockets) s.ws.close();
  await untilNoRelays();
  await sleep(12_000); // the box's readers linger 10 s
  const idle0 = await measure(hubProc.pid!, edgeProc.pid!, seconds);
  const readers = cams.map((c, i) => rtspReader(c.id, i));
  await sleep(8000); // DESCRIBE opens the relay, the box connects, its reader starts, the first GOP arrives
  const rtspBefore = [...rtspBytes];
  const rtsp = await measure(hubProc.pid!, edgeProc.pid!, seconds);
  const rtspFlowing = rtspBytes.filter((b, i) => b > (rtspBefore[i] ?? 0)).length;
  for (const r of readers) r.kill('SIGTERM');
  const load1 = loadavg()[0]!;

  const edgePerRelay = Math.max(0, (oneEach.edge - idle.edge) / relays);
  const edgePerRtsp = Math.max(0, (rtsp.edge - idle0.edge) / relays);
  const hubPerRtsp = Math.max(0, (rtsp.hub - idle0.hub) / relays);
  const hubPerViewer = Math.max(0, (all.hub - oneEach.hub) / (viewers - relays));
  const hubPerRelay = Math.max(0, (oneEach.hub - idle.hub) / relays);
  const edgePerMainRelay = Math.max(0, (withMain.edge - all.edge) / relays);
  process.stdout.write(`ward box CPU (process + ffmpeg: recorders, live readers), % of one core: idle ${round(idle.edge, 2)} (${idle.edgeChildren} ffmpeg), ${relays} relays ${round(oneEach.edge, 2)} (${oneEach.edgeChildren} ffmpeg), ${viewers} viewers ${round(all.edge, 2)}, + ${relays} main-stream relays ${round(withMain.edge, 2)} (${withMain.edgeChildren} ffmpeg)\n`);
  process.stdout.write(`hub CPU, % of one core: idle ${round(idle.hub, 2)}, ${relays} relays × 1 viewer ${round(oneEach.hub, 2)}, ${viewers} viewers ${round(all.hub, 2)}, + ${relays} main-stream relays ${round(withMain.hub, 2)} (${round(Math.max(0, (withMain.hub - all.hub) / relays), 2)} % per main-stream relay with its viewer, to set beside an RTSP reader's)\n`);
  process.stdout.write(`ward box per relay (reader + push): sub stream (the default) ${round(edgePerRelay, 2)} %, main stream ${round(edgePerMainRelay, 2)} %; hub per relay (with its first viewer): ${round(hubPerRelay, 2)} %; hub per extra viewer: ${round(hubPerViewer, 2)} %\n`);
  process.stdout.write(`viewers receiving video: ${flowing}/${viewers} (sub), ${mainFlowing}/${relays} (main); kB per viewer: ${sockets.map((s) => Math.round(s.bytes / 1024)).join(', ')}\n`);
  process.stdout.write(`city RTSP, ${relays} readers (main stream) from idle: ward box ${round(idle0.edge, 2)} → ${round(rtsp.edge, 2)} % (${rtsp.edgeChildren} ffmpeg), i.e. ${round(edgePerRtsp, 2)} % per RTSP-relayed camera; hub ${round(idle0.hub, 2)} → ${round(rtsp.hub, 2)} %, i.e. ${round(hubPerRtsp, 2)} % per reader (relay + fMP4 → RTP); readers receiving video: ${rtspFlowing}/${relays}, kB each: ${rtspBytes.map((b) => Math.round(b / 1024)).join(', ')}\n`);
  process.stdout.write(`load average at start ${load0.toFixed(2)}, at end ${load1.toFixed(2)} (machine shared with other runs)\n`);
  for (const s of sockets) s.ws.close();
  for (const p of [edgeProc, hubProc]) {
    const kids = await childrenOf(p.pid!);
    p.kill('SIGKILL');
    for (const k of kids) process.kill(k, 'SIGKILL');
  }
  farm.kill('SIGTERM');
  process.stdout.write(
    JSON.stringify({ relays, viewers, edge_cpu_pct_per_relay: round(edgePerRelay, 3), edge_cpu_pct_per_main_relay: round(edgePerMainRelay, 3), hub_cpu_pct_per_viewer: round(hubPerViewer, 3), hub_cpu_pct_per_relay: round(hubPerRelay, 3), edge_cpu_pct_per_rtsp_relay: round(edgePerRtsp, 3), hub_cpu_pct_per_rtsp_reader: round(hubPerRtsp, 3), rtsp_readers_receiving: rtspFlowing, viewers_receiving: flowing, load_avg: round(load1, 2) }) + '\n',
  );
  if (flowing < viewers || mainFlowing < relays || rtspFlowing < relays) process.exitCode = 1;
}

if (values['serve-hub']) await serveHub(values['serve-hub']);
else if (values['serve-edge']) await serveEdge(values['serve-edge']);
else await main();
