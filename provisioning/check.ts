// `wardwatch provision check --config edge.yaml`: what `validate` cannot see from the file alone. Every camera is
// asked for its streams (RTSP DESCRIBE with its login) and its clock (ONVIF), and the hub is logged into over TLS
// with the box's token and CA: one line per check, and the edge.yaml key to fix when one fails.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { EXIT, printProblems, UsageError, type Command, type Output } from '../shared/command.js';
import type { EdgeConfig, ResolvedCamera } from '../shared/config/load.js';
import { loadEdgeForStart } from '../shared/config/start-checks.js';
import { OnvifClient } from '../shared/onvif/client.js';
import { OnvifError } from '../shared/onvif/soap.js';
import { boxIdOf, boxLogin } from '../shared/config/box-id.js';
import { explainHubError, type HubProblem, type HubTarget } from '../edge/uplink/hub-problem.js';
import { mapLimit, parseCommand, parseSeconds } from './cli-util.js';
import { describeStream, type DescribeResult } from './rtsp-describe.js';

/** A check's verdict: `config` failures are the installer's to fix in edge.yaml or its secrets (exit 78). */
export interface CheckLine {
  what: string;
  ok: boolean;
  /** `warn`: passed, with something to look at */
  warn?: boolean;
  detail: string;
  key?: string;
  fix?: string;
  config?: boolean;
}

/** A camera stream's DESCRIBE, in the installer's terms. Pure. */
export function streamLine(camera: ResolvedCamera, index: number, role: 'main' | 'sub', r: DescribeResult): CheckLine {
  const what = `camera ${camera.id} ${role} stream`;
  const at = `cameras[${index}]`;
  const url = camera.streams[role].url;
  switch (r.outcome) {
    case 'ok':
      return { what, ok: true, detail: `${url} answers (${r.detail})` };
    case 'wrong-login': {
      const secret = camera.credentials?.passwordSecret;
      return camera.credentials
        ? { what, ok: false, config: true, detail: `${url}: ${r.detail}`, key: `${at}.credentials`, fix: `check credentials.username (${camera.credentials.username}) and the password under "${secret}" in the secrets file (the camera's own login page tells which is wrong)` }
        : { what, ok: false, config: true, detail: `${url}: ${r.detail}`, key: `${at}.credentials`, fix: 'add credentials: { username: …, passwordSecret: … } and the password to the secrets file' };
    }
    case 'not-found':
      return { what, ok: false, config: true, detail: `${url}: ${r.detail}`, key: `${at}.streams.${role}.url`, fix: 'take the stream URL from `wardwatch provision probe <camera address>`' };
    case 'refused':
    case 'unreachable':
    case 'timeout':
      return { what, ok: false, detail: `${url}: ${r.detail}`, key: `${at}.streams.${role}.url`, fix: 'check the camera is powered and on the network, and the address and port in the URL' };
    default:
      return { what, ok: false, detail: `${url}: ${r.detail}`, key: `${at}.streams.${role}.url`, fix: 'check the URL with `wardwatch provision probe`' };
  }
}

/** A camera's ONVIF clock read, in the installer's terms. Pure. */
export function clockLine(camera: ResolvedCamera, index: number, r: { skewMs: number } | { error: string; kind?: string }): CheckLine {
  const what = `camera ${camera.id} clock (ONVIF)`;
  if ('error' in r) return { what, ok: false, detail: r.error, key: `cameras[${index}].onvif.url`, fix: 'check the ONVIF address (`wardwatch provision discover` lists it), or remove onvif to skip the clock check' };
  const s = r.skewMs / 1000;
  const off = Math.abs(s) > 2;
  return { what, ok: true, warn: off, detail: `${off ? 'camera clock is' : 'in time:'} ${Math.abs(s).toFixed(1)} s ${s >= 0 ? 'ahead of' : 'behind'} the box`, ...(off ? { fix: 'set the camera to the same NTP server as the box (its time overlay disagrees with the recording)' } : {}) };
}

/** The hub login, in the installer's terms. Pure. */
export function hubLine(target: HubTarget, r: { ok: true } | { problem: HubProblem }): CheckLine {
  const what = `hub ${target.host}:${target.port}${target.tls ? ' (TLS)' : ''} as ${boxLogin(target.box)}${target.ward !== undefined && target.ward !== target.box ? ` (box ${target.box} of ward ${target.ward})` : ''}`;
  if ('ok' in r) return { what, ok: true, detail: 'logged in with the box\'s token' };
  const network = r.problem.kind === 'refused' || r.problem.kind === 'unreachable' || r.problem.kind === 'timeout';
  return { what, ok: false, config: !network, detail: r.problem.message, key: r.problem.key, fix: r.problem.fix };
}

/**
 * Logs into the hub as the box does (same options as the uplink), under a client id of its own (`ward-<box id>:check`)
 * so the running box is not disconnected; then leaves at once.
 */
export function tryHubLogin(config: EdgeConfig, timeoutMs: number): Promise<{ ok: true } | { problem: HubProblem }> {
  const hub = config.hub!;
  const target = hubTargetOf(config);
  return new Promise((resolve) => {
    const client = mqtt.connect(`${hub.tls ? 'mqtts' : 'mqtt'}://${hub.host}:${hub.port}`, {
      clientId: `${boxLogin(boxIdOf(config))}:check`,
      username: hub.username,
      password: hub.token,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      // the CA was checked (readable, a CA certificate) with the config
      ...(hub.caFile ? { ca: readFileSync(hub.caFile), rejectUnauthorized: true } : {}),
    });
    let done = false;
    const finish = (r: { ok: true } | { problem: HubProblem }) => {
      if (done) return;
      done = true;
      client.end(true);
      resolve(r);
    };
    client.once('connect', () => finish({ ok: true }));
    client.once('error', (err) => finish({ problem: explainHubError(err as Error & { code?: unknown }, target) }));
    client.once('close', () => finish({ problem: explainHubError({ message: 'the hub closed the connection before accepting the login', code: 'ECONNRESET' }, target) }));
  });
}

function hubTargetOf(config: EdgeConfig): HubTarget {
  const hub = config.hub!;
  return { host: hub.host, port: hub.port, tls: hub.tls, caFile: hub.caFile, tokenSecret: hub.tokenSecret, box: boxIdOf(config), ward: config.ward.id };
}

/** Every check of a box, cameras in parallel (8 at once), the hub last. */
export async function checkBox(config: EdgeConfig, timeoutMs: number): Promise<CheckLine[]> {
  const jobs: (() => Promise<CheckLine>)[] = [];
  config.cameras.forEach((cam, i) => {
    jobs.push(async () => streamLine(cam, i, 'main', await describeStream(cam.streams.main.authUrl, timeoutMs)));
    if (cam.streams.sub.url !== cam.streams.main.url) jobs.push(async () => streamLine(cam, i, 'sub', await describeStream(cam.streams.sub.authUrl, timeoutMs)));
    const onvifUrl = cam.onvif?.url;
    if (onvifUrl) {
      jobs.push(async () => {
        try {
          return clockLine(cam, i, await new OnvifClient({ url: onvifUrl, timeoutMs }).connect());
        } catch (err) {
          return clockLine(cam, i, { error: err instanceof OnvifError ? err.message : (err as Error).message });
        }
      });
    }
  });
  const lines = await mapLimit(jobs, 8, (job) => job());
  if (config.hub) lines.push(hubLine(hubTargetOf(config), await tryHubLogin(config, timeoutMs)));
  else lines.push({ what: 'hub', ok: true, warn: true, detail: 'edge.yaml has no hub: this box records and detects alone', key: 'hub', fix: 'add hub: { host, port, caFile, tokenSecret } to send incidents to the district' });
  return lines;
}

export function formatLine(l: CheckLine): string[] {
  const head = `${l.ok ? (l.warn ? 'warn' : 'ok  ') : 'FAIL'}  ${l.what}: ${l.detail}`;
  return l.fix && (!l.ok || l.warn) ? [head, `      fix${l.key ? ` ${l.key}` : ''}: ${l.fix}`] : [head];
}

const HELP = `wardwatch provision check --config edge.yaml [--timeout S] [--json]

Checks what a box needs beyond its file, from this box, as the box will do it:
  each camera   RTSP DESCRIBE of its main and sub stream with its login (is it there, is the password right,
                is the path right), and its clock over ONVIF when it has an onvif address
  the hub       a login to the hub's broker with the box's token, over TLS with hub.caFile (wrong address,
                nothing listening, a certificate for another name, a CA that did not sign it, a refused token)
One line per check; a failure names the edge.yaml key to fix and how. The config is first checked as
\`provision validate\` does (nothing is tried with a config the box would refuse).
The hub login uses the client id ward-<box id>:check, so the box already running here stays connected.
  --timeout S   per check (default 5)
  --json        one JSON line: {ok, checks: [{what, ok, warn, detail, key, fix}]}
Exit 0 every check passed (warnings allowed); 78 a configuration problem (edge.yaml, a password, a token, the CA,
a certificate name); 1 only network problems (a camera or the hub not answering).`;

export const checkCommand: Command = {
  name: 'check',
  summary: 'reach every camera (RTSP login, ONVIF clock) and log into the hub with the box\'s token and CA',
  usage: 'wardwatch provision check --config edge.yaml [--timeout S] [--json]',
  async run(args, io: Output) {
    const parsed = parseCommand(args, { config: { type: 'string', short: 'c' }, timeout: { type: 'string' }, json: { type: 'boolean' } }, HELP, io);
    if (!parsed) return EXIT.ok;
    const v = parsed.values;
    if (!v.config) throw new UsageError('check needs --config edge.yaml');
    const timeoutMs = parseSeconds(v.timeout, 5, '--timeout') * 1000;
    const loaded = loadEdgeForStart(v.config);
    if (!loaded.ok) {
      printProblems(io, v.config, loaded.problems);
      io.err('fix these first (the box would refuse to start): nothing else was checked');
      return EXIT.config;
    }
    const lines = await checkBox(loaded.config, timeoutMs);
    const failed = lines.filter((l) => !l.ok);
    if (v.json) io.out(JSON.stringify({ ok: failed.length === 0, checks: lines }));
    else {
      for (const l of lines) for (const text of formatLine(l)) (l.ok ? io.out : io.err)(text);
      io.out(failed.length ? `${failed.length} of ${lines.length} checks failed` : `all ${lines.length} checks passed`);
    }
    if (failed.length === 0) return EXIT.ok;
    return failed.some((l) => l.config) ? EXIT.config : EXIT.failure;
  },
};
