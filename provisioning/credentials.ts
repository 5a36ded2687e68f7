// `wardwatch provision credentials issue|revoke|tls`: box tokens (hash on the hub, token on the box) and TLS
// certificates: the hub's (broker and operator page) and each box's (review page), from one CA.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { hubConfigSchema } from '../shared/config/hub.js';
import { boxLogin } from '../shared/config/box-id.js';
import { isId } from '../shared/contract/ids.js';
import { hashSecretAsync, randomToken } from '../shared/scrypt.js';
import { parseCommand } from './cli-util.js';
import { applyCommand, BundleError, bundleHub, findHubCa, makeBoxPageTls, writeBundle, type HubBundle } from './hub-bundle.js';
import { HubYamlError, setBoxTokenHash, type BoxTarget, type BoxTokenEdit } from './hub-wards.js';
import { replaceFile } from './replace-file.js';
import { readOptional } from './mosquitto.js';
import { mergePasswordFile, mosquittoPasswordLine, passwordFileUsers } from '../hub/broker/mosquitto-files.js';
import { SecretsEditError, setSecrets } from './secrets-file.js';
import { boxCertName, isHostName, makeHubTls, TlsError } from './tls.js';

const HELP = `wardwatch provision credentials issue  (--box ID [--ward WARD] | --ward ID) --hub-config hub.yaml (--bundle FILE [--ca ca.pem] [--hub HOST:PORT] [--box-host ADDRESS …] | --edge-secrets secrets.yaml)
                                        [--name NAME] [--token-secret hub-token] [--mosquitto-passwd FILE]
wardwatch provision credentials apply  --bundle FILE --config edge.yaml
wardwatch provision credentials revoke (--box ID [--ward WARD] | --ward ID) --hub-config hub.yaml
wardwatch provision credentials tls    --out DIR [--host NAME|IP …] [--box ID --host ADDRESS …]

A token is a box's: --box ID names the box (hub.yaml: wards[].boxes[] of its ward); --ward ID alone is the one
box of a ward listed without boxes (its id is the ward's, as before boxes existed). See docs/wards-and-boxes.md.

issue   makes a random token for the box: its scrypt hash goes into hub.yaml (the box's tokenHash; comments
        kept), the token into the box's secrets file (mode 0600) under "hub-token". The token is never printed.
        A box not yet in hub.yaml is added under --ward WARD (a ward listed without boxes gets its boxes list,
        its own box first); a ward not yet in hub.yaml is added when --name (the ward's name) is given.
        A box id another ward holds is refused. Issuing again replaces the old token.
        --bundle FILE writes the box's hand-off instead (0600): the token, the hub's CA (--ca, default ca.pem
        beside hub.yaml's tls certFile) and the hub's address (--hub) — one file to carry to the box.
        --box-host ADDRESS (repeat for each name or address officers use): the bundle also carries the box's
        review page certificate and key, made from the district CA (ca.key beside ca.pem) as \`tls --box\` does.
apply   on the box: the bundle's token into edge.yaml's secrets file, its CA to hub.caFile, and the review page's
        certificate and key where review.tls says (set when absent): the page is served over HTTPS.
revoke  removes the box's tokenHash from hub.yaml: the box can no longer log in once the hub reloads it.
tls     makes a CA (ca.pem, ca.key; reused when present) and the hub's certificate (hub.crt, hub.key) for every
        --host (default: this machine's name and 127.0.0.1): hub.yaml's broker tls listener and http.tls.
        With --box ID: that box's review page certificate (box-ID.crt, box-ID.key) from the same CA, for
        the box's --host addresses (needed); copy both and ca.pem to the box (review.tls, hub.caFile).
        Keys are 0600. Keep ca.key on the hub; officers' and operators' browsers trust ca.pem.
Exit 0 done; 1 failure; 64 bad command line; 78 hub.yaml or the secrets file has problems (nothing written).`;

/** Reads hub.yaml text and checks it is a hub.yaml at all, so a typo in --hub-config does not create a new file. */
function readHubYaml(file: string, io: Output): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    io.err(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return undefined;
  }
}

/** The edited hub.yaml must still be a valid hub.yaml: checked before it replaces the old one. */
function checkHubText(text: string, file: string, io: Output): boolean {
  const parsed = hubConfigSchema.safeParse(parseYaml(text));
  if (parsed.success) return true;
  io.err(`${file} would not be a valid hub.yaml after this change (nothing written); run wardwatch provision validate ${file}:`);
  for (const i of parsed.error.issues.slice(0, 10)) io.err(`  ${i.path.map(String).join('.')}: ${i.message}`);
  return false;
}

/** The new hub.yaml text (and which box of which ward), or an exit code when it cannot be made (nothing written). */
function editedHub(file: string, target: BoxTarget, hash: string | undefined, name: string | undefined, io: Output): BoxTokenEdit | number {
  const text = readHubYaml(file, io);
  if (text === undefined) return EXIT.config;
  let next: BoxTokenEdit;
  try {
    next = setBoxTokenHash(text, target, hash, name);
  } catch (err) {
    if (!(err instanceof HubYamlError)) throw err;
    io.err(`${file}: ${err.message}`);
    return EXIT.config;
  }
  return checkHubText(next.text, file, io) ? next : EXIT.config;
}

/** --box ID and/or --ward ID, checked. */
function boxTarget(v: { box?: string | undefined; ward?: string | undefined }): BoxTarget {
  if (v.box !== undefined && !isId(v.box)) throw new UsageError(`--box must be a box id such as dn-1 (got ${JSON.stringify(v.box)})`);
  if (v.ward !== undefined && !isId(v.ward)) throw new UsageError(`--ward must be a ward id such as p07 (got ${JSON.stringify(v.ward)})`);
  if (v.box === undefined && v.ward === undefined) throw new UsageError('--box ID (a box of a ward with boxes) or --ward ID (a ward that is one box) is needed (e.g. --box dn-1 --ward duc-nhuan, or --ward p07)');
  return { box: v.box, ward: v.ward };
}

/** "box dn-2 of ward duc-nhuan", or "ward p07" for a ward that is one box. */
const boxName = (e: { box: string; ward: string }) => (e.box === e.ward ? `ward ${e.ward}` : `box ${e.box} of ward ${e.ward}`);

async function issue(args: string[], io: Output): Promise<number> {
  const parsed = parseCommand(
    args,
    { box: { type: 'string' }, ward: { type: 'string' }, 'hub-config': { type: 'string' }, 'edge-secrets': { type: 'string' }, name: { type: 'string' }, 'token-secret': { type: 'string', default: 'hub-token' }, bundle: { type: 'string' }, ca: { type: 'string' }, hub: { type: 'string' }, 'box-host': { type: 'string', multiple: true }, 'mosquitto-passwd': { type: 'string' } },
    HELP,
    io,
  );
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  const target = boxTarget(v);
  if (!v['hub-config'] || (!v['edge-secrets'] && !v.bundle)) throw new UsageError('issue needs --hub-config hub.yaml and --bundle FILE (or --edge-secrets secrets.yaml)');
  if (!v.bundle && (v.ca || v.hub || v['box-host'])) throw new UsageError('--ca, --hub and --box-host go with --bundle');
  const boxHosts = v['box-host'] ?? [];
  for (const h of boxHosts) if (!isHostName(h)) throw new UsageError(`--box-host ${JSON.stringify(h)} is not a host name or IP address (the box's address as officers type it, e.g. 10.7.0.2)`);
  const hubAddress = bundleHub(v.hub);
  if (!isId(v['token-secret'])) throw new UsageError('--token-secret must be a secret name such as hub-token');
  const token = randomToken();
  // hub.yaml's edit is worked out first (which box, of which ward), but written last
  const next = editedHub(v['hub-config'], target, await hashSecretAsync(token), v.name, io);
  if (typeof next === 'number') return next;
  let ca: string | undefined;
  let review: HubBundle['review'];
  try {
    const found = v.bundle ? findHubCa(v['hub-config'], v.ca) : undefined;
    ca = found?.pem;
    // the box's page certificate before anything is written: a missing ca.key leaves hub.yaml as it was
    if (found && boxHosts.length) review = await makeBoxPageTls(found.file, next.box, boxHosts);
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    io.err(err.message);
    return EXIT.config;
  }
  // hub.yaml is checked before anything is written. The box gets its token first: a crash between the two
  // writes leaves a token the hub does not know yet (issue again), never a hash whose token is lost.
  try {
    if (v['edge-secrets']) setSecrets(v['edge-secrets'], { [v['token-secret']]: token });
    if (v.bundle) writeBundle(v.bundle, { ward: next.ward, box: next.box, token, ca: ca!, hub: hubAddress, review });
  } catch (err) {
    if (!(err instanceof SecretsEditError)) throw err;
    io.err(err.message);
    return EXIT.config;
  }
  replaceFile(v['hub-config'], next.text, 0o640);
  for (const n of next.notes) io.out(`${v['hub-config']}: ${n}`);
  // an external broker (broker.mode: external) checks the login itself: the box's line in its password file
  if (v['mosquitto-passwd']) {
    const file = v['mosquitto-passwd'];
    const before = readOptional(file);
    const user = boxLogin(next.box);
    replaceFile(file, mergePasswordFile(before, new Map([[user, mosquittoPasswordLine(user, token)]]), passwordFileUsers(before)), 0o640, 0o660);
    io.out(`the box's broker login (${user}) is in ${file}: reload Mosquitto (and run \`wardwatch provision mosquitto\` once for its ACL)`);
  }
  io.out(`issued a new token for ${boxName(next)} (login ${boxLogin(next.box)}): hash in ${v['hub-config']}, token in ${[v['edge-secrets'] && `${v['edge-secrets']} as "${v['token-secret']}"`, v.bundle && `the bundle ${v.bundle} with the hub's CA${review ? ` and the review page's certificate for ${boxHosts.join(', ')}` : ''}`].filter(Boolean).join(' and ')} (mode 0600)`);
  if (v.bundle && !review) io.out(`note: no review page certificate in the bundle: the box's page stays plain HTTP; add --box-host ADDRESS (the box's address as officers type it) to include one`);
  if (v.bundle) io.out(`carry ${v.bundle} to the box and run there: wardwatch provision credentials apply --bundle ${path.basename(v.bundle)} --config /etc/wardwatch/edge.yaml`);
  io.out(`the hub accepts it once it reloads its wards (systemctl reload wardwatch-hub); a previous token of ${next.box === next.ward ? next.ward : `box ${next.box}`} no longer works then`);
  return EXIT.ok;
}

function revoke(args: string[], io: Output): number {
  const parsed = parseCommand(args, { box: { type: 'string' }, ward: { type: 'string' }, 'hub-config': { type: 'string' } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  const target = boxTarget(v);
  if (!v['hub-config']) throw new UsageError('revoke needs --hub-config hub.yaml');
  const next = editedHub(v['hub-config'], target, undefined, undefined, io);
  if (typeof next === 'number') return next;
  replaceFile(v['hub-config'], next.text, 0o640);
  io.out(`revoked the token of ${boxName(next)} (login ${boxLogin(next.box)}) in ${v['hub-config']}: it is refused once the hub reloads its wards (systemctl reload wardwatch-hub: the box is disconnected)`);
  return EXIT.ok;
}

async function tls(args: string[], io: Output): Promise<number> {
  const parsed = parseCommand(args, { out: { type: 'string' }, host: { type: 'string', multiple: true }, box: { type: 'string' } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  if (!v.out) throw new UsageError('tls needs --out DIR');
  if (v.box !== undefined && !isId(v.box)) throw new UsageError(`--box must be a box id such as dn-1, or the ward's id for a ward that is one box (got ${JSON.stringify(v.box)})`);
  // a box's certificate names the box, which is not this machine: its addresses must be given
  if (v.box !== undefined && !v.host?.length) throw new UsageError(`--box ${v.box} needs the box's --host (its address or name on the ward network, as officers type it)`);
  const hosts = v.host?.length ? v.host : [os.hostname(), '127.0.0.1'];
  try {
    const r = await makeHubTls({ dir: path.resolve(v.out), hosts, ...(v.box !== undefined && { name: boxCertName(v.box) }) });
    const what = v.box === undefined ? 'the hub certificate' : `box ${v.box}'s review page certificate`;
    io.out(`${r.newCa ? 'made a new CA' : 'reused the CA'} (${r.caCert}) and ${what} ${r.cert} for ${hosts.join(', ')}; keys are 0600`);
    if (v.box === undefined) {
      io.out(`hub.yaml: a tls listener and http.tls, each with certFile: ${r.cert} and keyFile: ${r.key}; each box: hub.caFile pointing at a copy of ca.pem (keep ca.key off the boxes)`);
    } else {
      io.out(`copy ${r.cert}, ${r.key} and ${r.caCert} to the box; edge.yaml: review.tls with certFile and keyFile at those copies, hub.caFile at ca.pem (keep ca.key on the hub)`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof TlsError) {
      io.err(err.message);
      return err.message.startsWith('--host') ? EXIT.usage : EXIT.failure;
    }
    throw err;
  }
}

export const credentialsCommand: Command = {
  name: 'credentials',
  summary: 'issue or revoke a box\'s hub token; make the hub\'s and the boxes\' TLS certificates',
  usage: 'wardwatch provision credentials issue|apply|revoke|tls …',
  subcommands: ['issue', 'apply', 'revoke', 'tls'],
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'issue') return issue(rest, io);
    if (sub === 'revoke') return revoke(rest, io);
    if (sub === 'tls') return tls(rest, io);
    if (sub === 'apply') return applyCommand(rest, io);
    if (sub === '--help' || sub === '-h') {
      parseCommand(['--help'], {}, HELP, io);
      return EXIT.ok;
    }
    throw new UsageError(`credentials needs issue, apply, revoke or tls${sub ? ` (got "${sub}")` : ''}`);
  },
};
