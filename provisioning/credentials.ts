// `wardwatch provision credentials issue|revoke|tls`: ward tokens (hash on the hub, token on the box) and the hub's TLS.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, UsageError, type Command, type Output } from '../cli/command.js';
import { hubConfigSchema } from '../shared/config/hub.js';
import { isId } from '../shared/contract/ids.js';
import { hashSecretAsync, randomToken } from '../shared/scrypt.js';
import { parseCommand } from './cli-util.js';
import { HubYamlError, setWardTokenHash } from './hub-wards.js';
import { replaceFile } from './replace-file.js';
import { SecretsEditError, setSecrets } from './secrets-file.js';
import { makeHubTls, TlsError } from './tls.js';

const HELP = `wardwatch provision credentials issue  --ward ID --hub-config hub.yaml --edge-secrets secrets.yaml [--name NAME] [--token-secret hub-token]
wardwatch provision credentials revoke --ward ID --hub-config hub.yaml
wardwatch provision credentials tls    --out DIR [--host NAME|IP …]

issue   makes a random token for ward ID: its scrypt hash goes into hub.yaml (wards[].tokenHash; comments
        kept), the token into the box's secrets file (mode 0600) under "hub-token". The token is never printed.
        A ward not yet in hub.yaml is added when --name is given. Issuing again replaces the old token.
revoke  removes the ward's tokenHash from hub.yaml: the ward can no longer log in once the hub reloads it.
tls     makes a CA (ca.pem, ca.key; reused when present) and the hub's certificate (hub.crt, hub.key) for every
        --host (default: this machine's name and 127.0.0.1). Keys are 0600. Copy ca.pem to each box (hub.caFile).
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

/** The new hub.yaml text, or an exit code when it cannot be made (nothing written). */
function editedHub(file: string, ward: string, hash: string | undefined, name: string | undefined, io: Output): string | number {
  const text = readHubYaml(file, io);
  if (text === undefined) return EXIT.config;
  let next: string;
  try {
    next = setWardTokenHash(text, ward, hash, name);
  } catch (err) {
    if (!(err instanceof HubYamlError)) throw err;
    io.err(`${file}: ${err.message}`);
    return EXIT.config;
  }
  return checkHubText(next, file, io) ? next : EXIT.config;
}

async function issue(args: string[], io: Output): Promise<number> {
  const parsed = parseCommand(
    args,
    { ward: { type: 'string' }, 'hub-config': { type: 'string' }, 'edge-secrets': { type: 'string' }, name: { type: 'string' }, 'token-secret': { type: 'string', default: 'hub-token' } },
    HELP,
    io,
  );
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  if (!v.ward || !isId(v.ward)) throw new UsageError('--ward ID is needed (e.g. p07)');
  if (!v['hub-config'] || !v['edge-secrets']) throw new UsageError('issue needs --hub-config hub.yaml and --edge-secrets secrets.yaml');
  if (!isId(v['token-secret'])) throw new UsageError('--token-secret must be a secret name such as hub-token');
  const token = randomToken();
  const next = editedHub(v['hub-config'], v.ward, await hashSecretAsync(token), v.name, io);
  if (typeof next === 'number') return next;
  // hub.yaml is checked before anything is written. The box gets its token first: a crash between the two
  // writes leaves a token the hub does not know yet (issue again), never a hash whose token is lost.
  try {
    setSecrets(v['edge-secrets'], { [v['token-secret']]: token });
  } catch (err) {
    if (!(err instanceof SecretsEditError)) throw err;
    io.err(err.message);
    return EXIT.config;
  }
  replaceFile(v['hub-config'], next, 0o640);
  io.out(`issued a new token for ward ${v.ward}: hash in ${v['hub-config']}, token in ${v['edge-secrets']} as "${v['token-secret']}" (mode 0600)`);
  io.out(`the hub accepts it once it reloads its wards (systemctl reload wardwatch-hub); a previous token of ${v.ward} no longer works then`);
  return EXIT.ok;
}

function revoke(args: string[], io: Output): number {
  const parsed = parseCommand(args, { ward: { type: 'string' }, 'hub-config': { type: 'string' } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  if (!v.ward || !isId(v.ward)) throw new UsageError('--ward ID is needed (e.g. p07)');
  if (!v['hub-config']) throw new UsageError('revoke needs --hub-config hub.yaml');
  const next = editedHub(v['hub-config'], v.ward, undefined, undefined, io);
  if (typeof next === 'number') return next;
  replaceFile(v['hub-config'], next, 0o640);
  io.out(`revoked ward ${v.ward}'s token in ${v['hub-config']}: it is refused once the hub reloads its wards (systemctl reload wardwatch-hub: the ward is disconnected)`);
  return EXIT.ok;
}

async function tls(args: string[], io: Output): Promise<number> {
  const parsed = parseCommand(args, { out: { type: 'string' }, host: { type: 'string', multiple: true } }, HELP, io);
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  if (!v.out) throw new UsageError('tls needs --out DIR');
  const hosts = v.host?.length ? v.host : [os.hostname(), '127.0.0.1'];
  try {
    const r = await makeHubTls({ dir: path.resolve(v.out), hosts });
    io.out(`${r.newCa ? 'made a new CA' : 'reused the CA'} (${r.caCert}) and the hub certificate ${r.cert} for ${hosts.join(', ')}; keys are 0600`);
    io.out(`hub.yaml: a tls listener with certFile: ${r.cert} and keyFile: ${r.key}; each box: hub.caFile pointing at a copy of ca.pem (keep ca.key off the boxes)`);
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
  summary: 'issue or revoke a ward\'s hub token; make the hub\'s TLS certificate',
  usage: 'wardwatch provision credentials issue|revoke|tls …',
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'issue') return issue(rest, io);
    if (sub === 'revoke') return revoke(rest, io);
    if (sub === 'tls') return tls(rest, io);
    if (sub === '--help' || sub === '-h') {
      parseCommand(['--help'], {}, HELP, io);
      return EXIT.ok;
    }
    throw new UsageError(`credentials needs issue, revoke or tls${sub ? ` (got "${sub}")` : ''}`);
  },
};
