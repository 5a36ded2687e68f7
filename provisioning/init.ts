// `wardwatch provision init`: writes edge.yaml for the cameras found (or listed) and their passwords to a 0600 secrets file.
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { Document, isMap, isScalar } from 'yaml';
import { EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { writeFileAtomicSync } from '../shared/atomic.js';
import { boxIdOf } from '../shared/config/box-id.js';
import { edgeConfigSchema, type EdgeConfigInput } from '../shared/config/edge.js';
import { formatProblem, type ConfigProblem } from '../shared/config/problems.js';
import { loadEdgeForStart } from '../shared/config/start-checks.js';
import { deviceServiceUrl } from '../shared/onvif/client.js';
import type { Credentials } from '../shared/onvif/soap.js';
import { isId } from '../shared/contract/ids.js';
import { readCamerasFile, CamerasFileError, type CameraRow } from './cameras-file.js';
import { credentialsFrom, mapLimit, parseCommand, parseHostPort, parseSeconds, progress } from './cli-util.js';
import { discoverCameras } from './discover.js';
import { applyBundle, BundleError, bundleBox, readBundle, type Applied, type HubBundle } from './hub-bundle.js';
import { setSecrets, SecretsEditError } from './secrets-file.js';
import { reviewNote } from './review-note.js';
import { boxCertName } from './tls.js';
import { explain, pickStreams, surveyDevice, type Survey } from './survey.js';

/** One camera as it will be written: everything edge.yaml needs, plus the password for the secrets file. */
export interface PlannedCamera {
  id: string;
  name: string;
  main: string;
  sub: string | undefined;
  credentials: Credentials | undefined;
  /** the ONVIF device service URL of a camera found or listed by its ONVIF address: the box reads its clock there */
  onvifUrl?: string | undefined;
}

export interface EdgePlan {
  ward: { id: string; name: string };
  /** this box's id when its ward has several boxes (edge.yaml box.id); absent: the ward's id */
  box?: string | undefined;
  storage: string;
  /** as written in edge.yaml: relative to it when beside it */
  secretsFile: string;
  hub: { host: string; port: number } | undefined;
  /** where the officers' review page listens (default 0.0.0.0:8080), and its certificate when there is one */
  review?: { host: string; port: number; tls?: { certFile: string; keyFile: string } | undefined } | undefined;
  cameras: PlannedCamera[];
}

/** `cam-01`, `cam-02`, … skipping ids already taken. */
export function cameraIds(count: number, taken: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let n = 1; out.length < count; n++) {
    const id = `cam-${String(n).padStart(2, '0')}`;
    if (!taken.has(id)) out.push(id);
  }
  return out;
}

/** The edge.yaml content for a plan: sensible defaults spelled out, so the installer sees what can be tuned. Pure. */
export function buildEdgeConfig(plan: EdgePlan): EdgeConfigInput {
  return {
    ward: plan.ward,
    ...(plan.box !== undefined ? { box: { id: plan.box } } : {}),
    storage: { root: plan.storage },
    secretsFile: plan.secretsFile,
    ...(plan.hub ? { hub: { host: plan.hub.host, port: plan.hub.port, tls: true, caFile: 'ca.pem', tokenSecret: 'hub-token' } } : {}),
    record: { segmentSeconds: 10, retainDays: 30 },
    detect: { fps: 5, labels: ['person', 'bicycle', 'car', 'motorcycle', 'bus', 'truck'], minScore: 0.5 },
    events: { preRollSeconds: 5, postRollSeconds: 5, endAfterSeconds: 5, retainDays: 90 },
    sightings: { batchSeconds: 5, longStayMinutes: 5, thumbnails: true },
    timeZone: 'Asia/Ho_Chi_Minh',
    clock: { checkMinutes: 10 },
    disk: { floorPercent: 10, floorGb: 20, marginGb: 2 },
    model: { path: path.posix.join(plan.storage, 'models/yolox_nano.onnx'), threads: 2 },
    review: { host: plan.review?.host ?? '0.0.0.0', port: plan.review?.port ?? 8080, ...(plan.review?.tls ? { tls: plan.review.tls } : {}) },
    cameras: plan.cameras.map((c) => ({
      id: c.id,
      name: c.name,
      streams: { main: { url: c.main }, ...(c.sub ? { sub: { url: c.sub } } : {}) },
      ...(c.onvifUrl ? { onvif: { url: c.onvifUrl } } : {}),
      ...(c.credentials ? { credentials: { username: c.credentials.username, passwordSecret: c.id } } : {}),
    })),
  };
}

export function renderEdgeYaml(config: EdgeConfigInput, when: Date): string {
  const doc = new Document(config);
  doc.commentBefore =
    ` Ward box ${config.box ? `${config.box.id} of ward ${config.ward.id}` : config.ward.id} (${config.ward.name}), written by \`wardwatch provision init\` on ${when.toISOString().slice(0, 10)}.\n` +
    ` Every key is described in CONFIG.md. Passwords are in the secrets file, never here.`;
  const notes: Record<string, string> = {
    hub: ' The district hub\'s broker; its token (tokenSecret) and ca.pem come from the hub: `wardwatch provision credentials apply`.',
    box: ' This machine, one of the ward\'s boxes: it logs in to the hub as ward-<box id> and publishes under its id (docs/wards-and-boxes.md).',
    disk: ' The disk guard deletes the oldest unprotected recording before free space falls under the smaller floor.',
    review: reviewNote(boxIdOf(config), config.review?.tls !== undefined),
  };
  if (isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (notes[key] && isScalar(pair.key)) pair.key.commentBefore = notes[key];
    }
  }
  return doc.toString({ lineWidth: 0 });
}

function stripUserInfo(uri: string): string {
  const u = new URL(uri);
  u.username = '';
  u.password = '';
  return u.toString();
}

/** Streams of a surveyed camera, or why it cannot be used. */
function streamsOf(s: Survey, haveCredentials: boolean): { main: string; sub: string | undefined } | { error: string } {
  if (s.error) return { error: explain(s.error, haveCredentials) };
  const picked = pickStreams(s.profiles ?? []);
  if (!picked) return { error: 'the camera lists no stream' };
  return { main: stripUserInfo(picked.main.uri), sub: picked.sub ? stripUserInfo(picked.sub.uri) : undefined };
}

type Planned = { ok: true; camera: PlannedCamera } | { ok: false; label: string; error: string };

async function planFromDiscovery(to: string[], timeoutSeconds: number, credentials: Credentials | undefined): Promise<Planned[]> {
  const found = await discoverCameras({ to, timeoutSeconds, credentials, streams: true });
  const results = found.map((s) => ({ s, streams: streamsOf(s, credentials !== undefined) }));
  // ids count only the cameras that will be written: cam-01… without gaps
  const ids = cameraIds(results.filter((r) => !('error' in r.streams)).length, new Set());
  let next = 0;
  return results.map(({ s, streams }): Planned => {
    if ('error' in streams) return { ok: false, label: s.address, error: streams.error };
    const name = s.name && s.name !== `${s.info?.manufacturer} ${s.info?.model}` ? s.name : `${s.info?.manufacturer ?? ''} ${s.info?.model ?? ''} at ${s.address}`.trim();
    return { ok: true, camera: { id: ids[next++]!, name: name.slice(0, 100), ...streams, credentials, onvifUrl: s.url } };
  });
}

async function planFromFile(rows: CameraRow[], fallback: Credentials | undefined): Promise<Planned[]> {
  const ids = cameraIds(rows.filter((r) => !r.id).length, new Set(rows.flatMap((r) => (r.id ? [r.id] : []))));
  let next = 0;
  const bar = progress('cameras', rows.length);
  const planned = await mapLimit(rows, 8, async (r): Promise<Planned> => {
    const id = r.id ?? ids[next++]!;
    const credentials = r.user && r.password ? { username: r.user, password: r.password } : fallback;
    try {
      if (r.main) return { ok: true, camera: { id, name: r.name ?? id, main: r.main, sub: r.sub, credentials } };
      const s = await surveyDevice(deviceServiceUrl(r.address!), credentials, { streams: true });
      const streams = streamsOf(s, credentials !== undefined);
      if ('error' in streams) return { ok: false, label: `${id} (${s.address})`, error: streams.error };
      return { ok: true, camera: { id, name: r.name ?? id, ...streams, credentials, onvifUrl: s.url } };
    } finally {
      bar.tick(id);
    }
  });
  bar.done();
  return planned;
}

/** The certificate's names when it does not hold `host` (an address the page listens on), else undefined. Pure. */
export function certMissesHost(pem: string, host: string): string | undefined {
  if (['0.0.0.0', '::', ''].includes(host)) return undefined;
  const cert = new X509Certificate(pem);
  const held = isIP(host) ? cert.checkIP(host) : cert.checkHost(host);
  return held ? undefined : (cert.subjectAltName ?? cert.subject);
}

/**
 * What is left before the box can run, in order, as commands to type. `remaining` are the start checks' problems
 * of the written edge.yaml (a missing hub token, ca.pem or model). Pure.
 */
export function nextSteps(o: {
  out: string;
  ward: string;
  /** the box id when it is not the ward's */
  box?: string | undefined;
  hub: { host: string; port: number } | undefined;
  /** where the review page listens, and whether edge.yaml has review.tls */
  review: { host: string; tls: boolean };
  remaining: readonly ConfigProblem[];
}): string[] {
  const defaultPlace = o.out === '/etc/wardwatch/edge.yaml';
  const has = (test: (p: ConfigProblem) => boolean) => o.remaining.some(test);
  const steps: string[] = [];
  // the box's address in its page certificate: the one the page listens on, unless it listens on every network
  const boxHost = ['0.0.0.0', '::', ''].includes(o.review.host) ? 'BOX-ADDRESS' : o.review.host;
  const handOff = o.hub !== undefined && has((p) => p.path === 'hub.tokenSecret' || p.path === 'hub.caFile');
  const box = o.box ?? o.ward;
  if (o.hub && handOff) {
    steps.push(
      `on the hub: wardwatch provision credentials issue ${box === o.ward ? `--ward ${o.ward}` : `--box ${box} --ward ${o.ward}`} --hub-config /etc/wardwatch-hub/hub.yaml --bundle ${box}.bundle --hub ${o.hub.host}:${o.hub.port}${o.review.tls ? '' : ` --box-host ${boxHost}`}`,
      'on the hub: systemctl reload wardwatch-hub',
      `carry ${box}.bundle here, then: wardwatch provision credentials apply --bundle ${box}.bundle --config ${o.out} && rm ${box}.bundle`,
    );
  }
  // a page still in clear (no bundle to bring its certificate), or a certificate review.tls names that is not there
  if ((!o.review.tls && !handOff) || has((p) => p.path.startsWith('review.tls'))) {
    steps.push(
      `for HTTPS on the review page, on the hub: wardwatch provision credentials tls --out /etc/wardwatch-hub/tls --box ${box} --host ${boxHost}; ` +
        `copy box-${box}.crt and box-${box}.key to ${path.posix.join(path.posix.dirname(o.out), 'tls')}/ here and set review.tls (certFile, keyFile) in ${o.out}`,
    );
  }
  if (has((p) => p.path === 'model.path')) steps.push(`wardwatch provision model --config ${o.out}`);
  steps.push(
    `wardwatch provision validate ${o.out}`,
    `wardwatch provision check --config ${o.out}`,
    `wardwatch provision install --role edge${defaultPlace ? '' : ` --config ${o.out}`}`,
    'systemctl enable --now wardwatch-edge',
    `wardwatch edge user add --config ${o.out} --name NAME --role officer --display-name "…"`,
  );
  return steps;
}

const HELP = `wardwatch provision init --ward ID --name NAME [--box ID] (--discover [--to ADDR[:PORT]…] | --cameras FILE)
                          [--out edge.yaml] [--secrets secrets.yaml] [--storage DIR] [--hub HOST:PORT]
                          [--hub-bundle FILE] [--review-host ADDRESS] [--review-port PORT]
                          [--user U --password-file F] [--timeout S] [--skip-failed] [--force] [--json]

Writes edge.yaml for this ward box with the cameras found, and their passwords to the secrets file (mode 0600).
  --discover         find cameras by WS-Discovery (multicast, or directed with --to) and ask each for its streams
  --cameras FILE     or take them from a CSV or YAML list (columns id, name, address, user, password, main, sub;
                     see provisioning/README.md)
  --user U --password-file F   login for the cameras (every camera with --discover; rows without one in FILE)
  --out FILE         edge.yaml to write (default edge.yaml); an existing one is kept unless --force
  --secrets FILE     secrets file (default secrets.yaml beside edge.yaml); other entries in it are kept
  --box ID           this box's id when its ward has several boxes (edge.yaml box.id; hub.yaml lists it under the
                     ward's boxes); default: the ward's id, a ward that is one box (docs/wards-and-boxes.md)
  --storage DIR      recordings and database (default /var/lib/wardwatch)
  --hub HOST:PORT    the district hub's broker (TLS; issue the box's token with \`provision credentials issue\`)
  --hub-bundle FILE  the hub's bundle for this box (\`credentials issue --bundle\` on the hub): its token into the
                     secrets file, its ca.pem beside edge.yaml, its hub address when --hub is not given; a bundle
                     for a box of its own id sets --box when it is not given
  --review-host ADDRESS  where the officers' review page listens (default 0.0.0.0: every network of the box)
  --review-port PORT     its port (default 8080)
                     The page is served over HTTPS when the bundle carries its certificate (issued with
                     --box-host); otherwise edge.yaml says it is plain HTTP and \`next:\` says how to add TLS.
  --skip-failed      write the cameras that answered even if some did not (default: write nothing)
Every section is written with its defaults. Passwords are never printed. The written edge.yaml is checked as
\`provision validate\` does; what is still missing (the hub's token and CA, the model) is listed with the commands
that remain, in order.
Exit 0 when written; 1 when cameras could not be read (nothing written); 78 when FILE has problems.`;

export const initCommand: Command = {
  name: 'init',
  summary: 'write edge.yaml (and a 0600 secrets file) for the cameras found',
  usage: 'wardwatch provision init --ward ID --name NAME [--box ID] (--discover [--to …] | --cameras FILE) [--out edge.yaml] …',
  async run(args, io: Output) {
    const parsed = parseCommand(
      args,
      {
        ward: { type: 'string' },
        box: { type: 'string' },
        name: { type: 'string' },
        discover: { type: 'boolean' },
        to: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        cameras: { type: 'string' },
        out: { type: 'string', default: 'edge.yaml' },
        secrets: { type: 'string' },
        storage: { type: 'string', default: '/var/lib/wardwatch' },
        hub: { type: 'string' },
        'hub-bundle': { type: 'string' },
        'review-host': { type: 'string', default: '0.0.0.0' },
        'review-port': { type: 'string', default: '8080' },
        user: { type: 'string' },
        'password-file': { type: 'string' },
        'skip-failed': { type: 'boolean' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      HELP,
      io,
    );
    if (!parsed) return EXIT.ok;
    const v = parsed.values;
    if (!v.ward || !isId(v.ward)) throw new UsageError('--ward ID is needed: 1–32 lower-case letters, digits, "-" or "_" (e.g. p07)');
    if (!v.name) throw new UsageError('--name NAME is needed (the ward name shown on pages, e.g. "Phường 7")');
    if (v.box !== undefined && !isId(v.box)) throw new UsageError(`--box must be a box id: 1–32 lower-case letters, digits, "-" or "_" (e.g. dn-1; got ${JSON.stringify(v.box)})`);
    if (Boolean(v.discover) === Boolean(v.cameras)) throw new UsageError('give either --discover or --cameras FILE');
    if (v.to && !v.discover) throw new UsageError('--to goes with --discover');
    if (!path.isAbsolute(v.storage)) throw new UsageError('--storage must be an absolute path (the service runs from /)');
    let bundle: HubBundle | undefined;
    try {
      bundle = v['hub-bundle'] ? readBundle(v['hub-bundle']) : undefined;
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      io.err(err.message);
      return EXIT.config;
    }
    if (bundle && bundle.ward !== v.ward) {
      io.err(`${v['hub-bundle']} is for ward ${bundle.ward}, not ${v.ward}: issue one for ${v.ward} on the hub`);
      return EXIT.config;
    }
    // the box id: --box, else the bundle's box, else the ward's (a ward that is one box)
    const boxId = v.box ?? (bundle ? bundleBox(bundle) : v.ward);
    if (bundle && bundleBox(bundle) !== boxId) {
      io.err(`${v['hub-bundle']} is for box ${bundleBox(bundle)} of ward ${bundle.ward}, not box ${boxId}: issue one with --box ${boxId} --ward ${v.ward} on the hub`);
      return EXIT.config;
    }
    const box = boxId === v.ward ? undefined : boxId;
    const hub = v.hub ? parseHostPort(v.hub, 8883, '--hub') : bundle?.hub;
    if (bundle && !hub) throw new UsageError(`--hub HOST:PORT is needed: ${v['hub-bundle']} carries no hub address`);
    const reviewPort = Number(v['review-port']);
    if (!Number.isInteger(reviewPort) || reviewPort < 0 || reviewPort > 65535) throw new UsageError(`--review-port must be a port number (got ${JSON.stringify(v['review-port'])})`);
    const review = { host: parseHostPort(v['review-host'], 8080, '--review-host').host, port: reviewPort };
    const out = path.resolve(v.out);
    const secrets = path.resolve(v.secrets ?? path.join(path.dirname(out), 'secrets.yaml'));
    if (existsSync(out) && !v.force) {
      io.err(`${v.out} exists: nothing written. Pass --force to replace it, or --out another file`);
      return EXIT.failure;
    }
    const credentials = credentialsFrom(v.user, v['password-file'], io);

    let planned: Planned[];
    if (v.cameras) {
      let rows: CameraRow[];
      try {
        rows = readCamerasFile(v.cameras);
      } catch (err) {
        if (!(err instanceof CamerasFileError)) throw err;
        io.err(`${v.cameras}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`);
        for (const p of err.problems) io.err(`  ${p}`);
        return EXIT.config;
      }
      planned = await planFromFile(rows, credentials);
    } else {
      planned = await planFromDiscovery(v.to ?? [], parseSeconds(v.timeout, 3, '--timeout'), credentials);
    }
    const cameras = planned.flatMap((p) => (p.ok ? [p.camera] : []));
    const failed = planned.flatMap((p) => (p.ok ? [] : [p]));
    for (const f of failed) io.err(`${f.label}: ${f.error}`);
    if (cameras.length === 0) {
      io.err(planned.length ? 'no camera could be read: nothing written' : 'no camera found: nothing written');
      return EXIT.failure;
    }
    if (failed.length && !v['skip-failed']) {
      io.err(`${failed.length} of ${planned.length} cameras could not be read: nothing written (fix them, or pass --skip-failed)`);
      return EXIT.failure;
    }

    const relativeSecrets = path.dirname(secrets) === path.dirname(out) ? path.basename(secrets) : secrets;
    // a bundle with the page's certificate: review.tls at the files `applyBundle` puts beside edge.yaml
    const reviewTls = bundle?.review ? { certFile: `tls/${boxCertName(boxId)}.crt`, keyFile: `tls/${boxCertName(boxId)}.key` } : undefined;
    const config = buildEdgeConfig({ ward: { id: v.ward, name: v.name }, box, storage: v.storage, secretsFile: relativeSecrets, hub, review: { ...review, tls: reviewTls }, cameras });
    // the same check as `provision validate`, before anything is written
    const checked = edgeConfigSchema.safeParse(config);
    if (!checked.success) {
      for (const issue of checked.error.issues) io.err(`${issue.path.map(String).join('.')}: ${issue.message}`);
      io.err('the edge.yaml that would be written has these problems: nothing written');
      return EXIT.config;
    }
    mkdirSync(path.dirname(out), { recursive: true });
    mkdirSync(path.dirname(secrets), { recursive: true });
    const passwords = Object.fromEntries(cameras.flatMap((c) => (c.credentials ? [[c.id, c.credentials.password]] : [])));
    try {
      setSecrets(secrets, passwords);
    } catch (err) {
      if (!(err instanceof SecretsEditError)) throw err;
      io.err(err.message);
      return EXIT.config;
    }
    writeFileAtomicSync(out, renderEdgeYaml(config, new Date()), { mode: 0o640 });
    let applied: Applied | undefined;
    if (bundle) {
      try {
        applied = applyBundle(bundle, out);
      } catch (err) {
        if (!(err instanceof BundleError)) throw err;
        io.err(err.message);
        return EXIT.config;
      }
    }
    // what the box would still refuse at start: the hub's token and CA until the hand-off, the model until `provision model`
    const atStart = loadEdgeForStart(out);
    const remaining = atStart.ok ? [] : atStart.problems;
    const next = nextSteps({ out: v.out === 'edge.yaml' ? out : v.out, ward: v.ward, box, hub, review: { host: review.host, tls: reviewTls !== undefined }, remaining });
    const page = `${review.host.includes(':') ? `[${review.host}]` : review.host}:${review.port}`;
    const pageLine = reviewTls
      ? `review page: https://${page} with the certificate from the hub's bundle (review.tls)`
      : `review page: plain HTTP on ${page}, no certificate yet (edge.yaml says so above review:; the steps below add it)`;
    if (v.json) {
      io.out(JSON.stringify({ edgeYaml: out, secretsFile: secrets, review: { host: review.host, port: review.port, tls: reviewTls !== undefined }, remaining, next, cameras: cameras.map((c) => ({ id: c.id, name: c.name, main: c.main, sub: c.sub ?? null, username: c.credentials?.username ?? null })), skipped: failed.map((f) => ({ camera: f.label, error: f.error })) }));
    } else {
      for (const c of cameras) io.out(`${c.id}  ${c.name}  ${c.main}${c.sub ? '' : '  (no sub stream)'}`);
      io.out(`wrote ${v.out} (${cameras.length} camera${cameras.length === 1 ? '' : 's'}) and ${Object.keys(passwords).length} password${Object.keys(passwords).length === 1 ? '' : 's'} to ${v.secrets ?? secrets} (mode 0600)`);
      if (failed.length) io.out(`skipped ${failed.length} camera${failed.length === 1 ? '' : 's'}: ${failed.map((f) => f.label).join(', ')}`);
      if (applied) io.out(`the hub's token is in ${applied.secretsFile} as "${applied.tokenSecret}", its CA at ${applied.caFile}${applied.review ? `, the review page's certificate and key at ${applied.review.certFile} and ${applied.review.keyFile} (0600)` : ''}: delete ${v['hub-bundle']} now`);
      for (const n of applied?.notes ?? []) io.out(`note: ${n}`);
      const misnamed = bundle?.review && certMissesHost(bundle.review.cert, review.host);
      if (misnamed) io.out(`note: the review page's certificate is for ${misnamed}, not ${review.host} (--review-host): browsers would refuse it there; on the hub, issue the bundle again with --box-host ${review.host}`);
      io.out(pageLine);
      if (remaining.length) {
        io.out(`still missing before the box can start (${remaining.length}):`);
        for (const p of remaining) io.out(`  ${formatProblem(p).replace(/^[^:]+:\d*:? ?/, '')}`);
      }
      io.out('next:');
      next.forEach((step, i) => io.out(`  ${i + 1}. ${step}`));
    }
    return EXIT.ok;
  },
};
