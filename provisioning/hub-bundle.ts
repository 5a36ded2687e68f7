// The hand-off from hub to box in one file: `credentials issue --bundle FILE` on the hub writes the box's token and
// the hub's CA certificate (and the hub's address when given) and, with `--box-host`, the box's review page
// certificate and key made from the district CA; `credentials apply` (or `init --hub-bundle`) on the box puts the
// token into its secrets file, the CA where edge.yaml's hub.caFile says and the page's certificate and key where
// review.tls says (tls/box-<box id>.crt and .key beside edge.yaml when unset). The file is a secret (0600).
// It names the box and its ward; a bundle of a box whose id is not its ward's sets edge.yaml's box.id when absent.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMap, isScalar, parseDocument, parse as parseYaml, stringify, type Document, type YAMLMap } from 'yaml';
import { EXIT, UsageError, type Output } from '../shared/command.js';
import { isId } from '../shared/contract/ids.js';
import { parseCommand, parseHostPort } from './cli-util.js';
import { replaceFile } from './replace-file.js';
import { SecretsEditError, setSecrets } from './secrets-file.js';
import { isPlainReviewNote, reviewNote } from './review-note.js';
import { boxCertName, makeHubTls, TlsError } from './tls.js';

export interface HubBundle {
  ward: string;
  /** the box id (its login ward-<box>); absent in bundles made before boxes existed: the ward's id */
  box?: string | undefined;
  token: string;
  /** the CA certificate (PEM) that signed the hub's certificate */
  ca: string;
  hub?: { host: string; port: number } | undefined;
  /** the box's review page certificate and key (PEM), signed by `ca`; absent in bundles issued without --box-host */
  review?: { cert: string; key: string } | undefined;
}

export class BundleError extends Error {}

/** Checks a bundle's content; every problem names what to do. Pure. */
export function checkBundle(data: unknown, file: string): HubBundle {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new BundleError(`${file} is not a hub bundle (a YAML mapping written by \`wardwatch provision credentials issue --bundle\`)`);
  const d = data as Record<string, unknown>;
  if (typeof d.ward !== 'string' || !isId(d.ward)) throw new BundleError(`${file}: ward is missing or not a ward id: issue the bundle again`);
  if (d.box !== undefined && (typeof d.box !== 'string' || !isId(d.box))) throw new BundleError(`${file}: box is not a box id: issue the bundle again`);
  if (typeof d.token !== 'string' || !/^[A-Za-z0-9_-]{20,}$/.test(d.token)) throw new BundleError(`${file}: token is missing or damaged: issue the bundle again`);
  if (typeof d.ca !== 'string') throw new BundleError(`${file}: ca is missing: issue the bundle again with --ca pointing at the hub's ca.pem`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(d.ca);
  } catch {
    throw new BundleError(`${file}: ca is not a PEM certificate: issue the bundle again`);
  }
  if (!cert.ca) throw new BundleError(`${file}: ca is a server certificate, not the CA: issue the bundle again with --ca pointing at ca.pem`);
  const hub = d.hub as { host?: unknown; port?: unknown } | undefined;
  const hubOk = hub && typeof hub.host === 'string' && typeof hub.port === 'number' ? { host: hub.host, port: hub.port } : undefined;
  return { ward: d.ward, ...(typeof d.box === 'string' ? { box: d.box } : {}), token: d.token, ca: d.ca, hub: hubOk, review: d.review === undefined ? undefined : checkReview(d.review, cert, file) };
}

/** The bundle's `review: { cert, key }`: a server certificate the bundle's CA signed, and its key. */
function checkReview(data: unknown, ca: X509Certificate, file: string): { cert: string; key: string } {
  const again = 'issue the bundle again (with --box-host ADDRESS)';
  const r = data as { cert?: unknown; key?: unknown } | null;
  if (!r || typeof r !== 'object' || typeof r.cert !== 'string' || typeof r.key !== 'string') throw new BundleError(`${file}: review must hold cert and key (PEM): ${again}`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(r.cert);
  } catch {
    throw new BundleError(`${file}: review.cert is not a PEM certificate: ${again}`);
  }
  if (cert.ca) throw new BundleError(`${file}: review.cert is a CA, not the box's page certificate: ${again}`);
  if (!cert.verify(ca.publicKey)) throw new BundleError(`${file}: review.cert was not signed by the bundle's ca (officers' browsers would refuse it): ${again}`);
  let key;
  try {
    key = createPrivateKey(r.key);
  } catch {
    throw new BundleError(`${file}: review.key is not a PEM private key: ${again}`);
  }
  if (!cert.checkPrivateKey(key)) throw new BundleError(`${file}: review.key is not the key of review.cert: ${again}`);
  return { cert: r.cert, key: r.key };
}

/** The box a bundle is for: its `box`, else (a bundle made before boxes existed) its ward's id. */
export const bundleBox = (b: Pick<HubBundle, 'ward' | 'box'>): string => b.box ?? b.ward;

/** "box dn-2 of ward duc-nhuan", or "ward p07" for the one box of a ward. */
const named = (box: string, ward: string) => (box === ward ? `ward ${ward}` : `box ${box} of ward ${ward}`);

export function renderBundle(b: HubBundle, when: Date): string {
  return (
    `# Wardwatch hub bundle for ${named(bundleBox(b), b.ward)}, ${when.toISOString().slice(0, 10)}: the box's hub token and the hub's CA${b.review ? ', the review page\'s certificate and key' : ''}.\n` +
    `# A secret (0600): carry it to the box, run \`wardwatch provision credentials apply --bundle FILE --config edge.yaml\`, then delete it.\n` +
    stringify({ ward: b.ward, box: bundleBox(b), ...(b.hub ? { hub: b.hub } : {}), token: b.token, ca: b.ca, ...(b.review ? { review: b.review } : {}) }, { lineWidth: 0 })
  );
}

export function readBundle(file: string): HubBundle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new BundleError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return checkBundle(parseYaml(text), file);
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`${file} is not valid YAML: issue the bundle again`);
  }
}

/** The hub's CA: `--ca FILE`, or ca.pem beside the certificate of hub.yaml's first tls listener. */
export function findHubCa(hubYaml: string, ca: string | undefined): { pem: string; file: string } {
  let file = ca;
  if (!file) {
    const raw = parseYaml(readFileSync(hubYaml, 'utf8')) as { broker?: { listeners?: { type?: string; certFile?: string }[] } } | null;
    const cert = raw?.broker?.listeners?.find((l) => l.type === 'tls' && typeof l.certFile === 'string')?.certFile;
    if (!cert) throw new BundleError(`${hubYaml} has no tls listener to find ca.pem beside: give --ca FILE (the ca.pem of \`credentials tls\`)`);
    file = path.join(path.dirname(path.resolve(path.dirname(hubYaml), cert)), 'ca.pem');
  }
  if (!existsSync(file)) throw new BundleError(`${file} not found: give --ca FILE (the ca.pem that \`wardwatch provision credentials tls\` made)`);
  const pem = readFileSync(file, 'utf8');
  checkBundle({ ward: 'x', token: 'x'.repeat(43), ca: pem }, file);
  return { pem, file };
}

/**
 * The box's review page certificate and key (PEM), signed by the district CA at `caFile` with the ca.key beside it,
 * for the box's addresses: what `credentials tls --box ID --host …` makes, but only into the bundle (the box's key
 * is not left on the hub).
 */
export async function makeBoxPageTls(caFile: string, box: string, hosts: string[]): Promise<{ cert: string; key: string }> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ww-box-tls-'));
  try {
    const caKey = path.join(path.dirname(caFile), 'ca.key');
    const made = await makeHubTls({ dir: work, hosts, name: boxCertName(box), ca: { cert: caFile, key: caKey } });
    return { cert: readFileSync(made.cert, 'utf8'), key: readFileSync(made.key, 'utf8') };
  } catch (err) {
    if (err instanceof TlsError) throw new BundleError(`the review page certificate for box ${box}: ${err.message}`);
    throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Sets `key` at the top of the document right after `after` (at the end when `after` is absent). */
function insertAfter(doc: Document, after: string, key: string, value: unknown): void {
  const root = doc.contents as YAMLMap;
  const at = root.items.findIndex((p) => isScalar(p.key) && p.key.value === after);
  const pair = doc.createPair(key, value);
  if (at < 0) root.items.push(pair);
  else root.items.splice(at + 1, 0, pair);
}

export function writeBundle(file: string, b: HubBundle): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  replaceFile(file, renderBundle(b, new Date()), 0o600, 0o600);
}

export interface Applied {
  secretsFile: string;
  tokenSecret: string;
  caFile: string;
  /** where the review page's certificate and key went, when the bundle carried them */
  review: { certFile: string; keyFile: string } | undefined;
  /** edge.yaml keys added (a hub section, hub.caFile, review.tls) */
  added: string[];
  /** what the bundle lacked (an old bundle: no review page certificate) and how to get it */
  notes: string[];
}

/** What to do when a box has no review page certificate: the page stays plain HTTP until then. */
export function plainReviewNote(box: string, ward: string, what: string): string {
  const which = box === ward ? `--ward ${ward}` : `--box ${box} --ward ${ward}`;
  return `${what}: the review page stays plain HTTP. For HTTPS, on the hub: \`wardwatch provision credentials issue ${which} … --bundle ${box}.bundle --box-host ADDRESS\` and apply that bundle, or \`wardwatch provision credentials tls --out DIR --box ${box} --host ADDRESS\`, copy box-${box}.crt and box-${box}.key here and set review.tls`;
}

/**
 * Puts a bundle on a box: the token into edge.yaml's secrets file under hub.tokenSecret, the CA at hub.caFile (both
 * relative to edge.yaml). edge.yaml gains a hub section (from the bundle's address) or a caFile when it has none,
 * with comments kept. A bundle for another ward, or another box, is refused; an edge.yaml without box.id gets the
 * bundle's box id when it is not the ward's (the box of a ward with several boxes).
 */
export function applyBundle(b: HubBundle, edgeYaml: string): Applied {
  const text = readFileSync(edgeYaml, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length || !isMap(doc.contents)) throw new BundleError(`${edgeYaml} is not a valid edge.yaml: run \`wardwatch provision validate ${edgeYaml}\``);
  const ward = String(doc.getIn(['ward', 'id']) ?? '');
  const box = bundleBox(b);
  if (ward !== b.ward) throw new BundleError(`the bundle is for ${named(box, b.ward)}, but ${edgeYaml} is ward ${ward || '(none)'}: issue one for ward ${ward} on the hub`);
  const edgeBox = doc.getIn(['box', 'id']);
  const added: string[] = [];
  if (edgeBox !== undefined && String(edgeBox) !== box) {
    throw new BundleError(`the bundle is for ${named(box, b.ward)}, but ${edgeYaml} is box ${String(edgeBox)}: issue one on the hub with \`credentials issue --box ${String(edgeBox)} --ward ${ward} …\``);
  }
  if (edgeBox === undefined && box !== ward) {
    // everything MQTT on this box speaks as the bundle's box: edge.yaml says so right after ward:
    insertAfter(doc, 'ward', 'box', { id: box });
    added.push('box.id');
  }
  if (!isMap(doc.get('hub', true))) {
    if (!b.hub) throw new BundleError(`${edgeYaml} has no hub section and the bundle no hub address: add hub: { host, port } to edge.yaml (or init --hub HOST:PORT)`);
    doc.set('hub', doc.createNode({ host: b.hub.host, port: b.hub.port, tls: true, caFile: 'ca.pem', tokenSecret: 'hub-token' }));
    added.push('hub');
  } else if (doc.getIn(['hub', 'caFile']) === undefined) {
    doc.setIn(['hub', 'caFile'], 'ca.pem');
    added.push('hub.caFile');
  }
  const dir = path.dirname(path.resolve(edgeYaml));
  const tokenSecret = String(doc.getIn(['hub', 'tokenSecret']) ?? 'hub-token');
  const secretsFile = path.resolve(dir, String(doc.get('secretsFile') ?? 'secrets.yaml'));
  const caFile = path.resolve(dir, String(doc.getIn(['hub', 'caFile'])));
  try {
    setSecrets(secretsFile, { [tokenSecret]: b.token });
  } catch (err) {
    if (err instanceof SecretsEditError) throw new BundleError(err.message);
    throw err;
  }
  const notes: string[] = [];
  let review: Applied['review'];
  let noteChanged = false;
  const behindProxy = doc.getIn(['review', 'trustProxy']) === true && doc.getIn(['review', 'tls']) === undefined;
  if (b.review && behindProxy) {
    notes.push('review.trustProxy is on (a TLS proxy in front of the page): the bundle\'s review page certificate was not installed; give it to the proxy, or set review.tls yourself');
  } else if (b.review) {
    // the page's files go where review.tls says; a box without review.tls gets tls/box-WARD.crt and .key beside edge.yaml
    const at = (k: 'certFile' | 'keyFile', fallback: string) => {
      const set = doc.getIn(['review', 'tls', k]);
      if (typeof set === 'string') return set;
      doc.setIn(['review', 'tls', k], fallback);
      if (!added.includes('review.tls')) added.push('review.tls');
      return fallback;
    };
    if (!isMap(doc.get('review', true))) doc.set('review', doc.createNode({ host: '0.0.0.0', port: 8080 }));
    const certAt = at('certFile', `tls/${boxCertName(box)}.crt`);
    const keyAt = at('keyFile', `tls/${boxCertName(box)}.key`);
    review = { certFile: path.resolve(dir, certAt), keyFile: path.resolve(dir, keyAt) };
    // init's "plain HTTP" comment above review: is no longer true
    const pair = isMap(doc.contents) ? doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'review') : undefined;
    if (pair && isScalar(pair.key) && (isPlainReviewNote(pair.key.commentBefore) || !pair.key.commentBefore)) {
      pair.key.commentBefore = reviewNote(box, true);
      noteChanged = true;
    }
  } else if (doc.getIn(['review', 'tls']) === undefined) {
    notes.push(plainReviewNote(box, b.ward, 'the bundle carries no review page certificate (issued without --box-host, or by an older Wardwatch)'));
  }
  mkdirSync(path.dirname(caFile), { recursive: true });
  replaceFile(caFile, b.ca, 0o644);
  if (b.review && review) {
    // the folder stays readable (the service's user must reach the files); the key itself is 0600
    mkdirSync(path.dirname(review.keyFile), { recursive: true });
    mkdirSync(path.dirname(review.certFile), { recursive: true });
    replaceFile(review.keyFile, b.review.key, 0o600, 0o640);
    replaceFile(review.certFile, b.review.cert, 0o644);
  }
  if (added.length || noteChanged) replaceFile(edgeYaml, doc.toString({ lineWidth: 0 }), statSync(edgeYaml).mode & 0o777);
  return { secretsFile, tokenSecret, caFile, review, added, notes };
}

const APPLY_HELP = `wardwatch provision credentials apply --bundle FILE --config edge.yaml

On the box: takes the bundle \`credentials issue --bundle FILE\` wrote on the hub. The token goes into edge.yaml's
secrets file (mode 0600) under hub.tokenSecret ("hub-token"), the hub's CA to hub.caFile (ca.pem beside edge.yaml
when unset). A bundle issued with --box-host also carries the review page's certificate and key: they go where
review.tls says (tls/box-ID.crt and tls/box-ID.key beside edge.yaml when unset, review.tls added; key mode
0600), so the page is served over HTTPS. A bundle for another ward or box is refused; one for a box whose id is
not its ward's (a ward with several boxes) sets box.id in an edge.yaml that has none. An older bundle without them still applies, and says the page stays plain
HTTP. An edge.yaml without a hub section gets one from the bundle's hub address. Nothing is printed of the token. Delete the bundle afterwards. Then: \`wardwatch provision validate\` and \`wardwatch provision check\`.
Exit 0 applied; 78 the bundle or edge.yaml has problems (nothing written); 64 bad command line.`;

export function applyCommand(args: string[], io: Output): number {
  const parsed = parseCommand(args, { bundle: { type: 'string' }, config: { type: 'string', short: 'c' } }, APPLY_HELP, io);
  if (!parsed) return EXIT.ok;
  const v = parsed.values;
  if (!v.bundle || !v.config) throw new UsageError('apply needs --bundle FILE and --config edge.yaml');
  try {
    const a = applyBundle(readBundle(v.bundle), v.config);
    io.out(`hub token into ${a.secretsFile} as "${a.tokenSecret}" (mode 0600); the hub's CA to ${a.caFile}${a.review ? `; the review page's certificate to ${a.review.certFile}, its key to ${a.review.keyFile} (mode 0600)` : ''}${a.added.length ? `; added ${a.added.join(', ')} to ${v.config}` : ''}`);
    for (const n of a.notes) io.out(`note: ${n}`);
    io.out(`delete ${v.bundle} now; next: wardwatch provision check --config ${v.config}`);
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    io.err(err.message);
    return EXIT.config;
  }
}

/** `--hub HOST:PORT` of `issue --bundle`, checked. */
export function bundleHub(value: string | undefined): HubBundle['hub'] {
  return value === undefined ? undefined : parseHostPort(value, 8883, '--hub');
}
