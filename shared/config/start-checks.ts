// What a daemon checks before it starts, beyond the schema and the secrets: the files its config names (the hub's
// CA, the broker's certificate and key, the detector model, ffmpeg) are there and of the right kind. The daemons
// and `provision validate` call the same two loaders below, so validate says "ok" only for a config that starts.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { packageRoot } from '../package.js';
import { boxIdOf } from './box-id.js';
import { DEFAULT_MODEL_PATH, loadEdgeConfig, loadHubConfig, type EdgeConfig, type HubConfig, type LoadOptions, type LoadResult } from './load.js';
import { formatPath, SourceMap, type ConfigProblem } from './problems.js';

export type FileKind = 'ca-certificate' | 'certificate' | 'private-key' | 'onnx-model' | 'executable' | 'folder';

/** One file a config names: where in the config, what it must be, and how to put it right. */
export interface FileCheck {
  at: PropertyKey[];
  file: string;
  kind: FileKind;
  fix: string;
  /** for a private key: the certificate it must belong to */
  certFile?: string | undefined;
}

function readable(file: string): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file} (${code ?? (err as Error).message})`;
  }
  if (!st.isFile()) return `${file} is not a file`;
  try {
    accessSync(file, constants.R_OK);
  } catch {
    return `${file} cannot be read by this user`;
  }
  if (st.size === 0) return `${file} is empty`;
  return undefined;
}

function certificate(file: string): X509Certificate | string {
  const text = readFileSync(file);
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return `${file} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line)`;
  try {
    return new X509Certificate(text);
  } catch (err) {
    return `${file} is not a readable certificate (${(err as Error).message})`;
  }
}

function privateKey(file: string): KeyObject | string {
  try {
    return createPrivateKey(readFileSync(file));
  } catch {
    return `${file} holds no readable private key (PEM, unencrypted)`;
  }
}

/** Why `file` cannot serve as `kind`, or undefined when it can. Reads only that file (and a key's certificate). */
export function fileProblem(check: Pick<FileCheck, 'file' | 'kind' | 'certFile'>, now = Date.now()): string | undefined {
  const { file, kind } = check;
  if (kind === 'folder') {
    // the daemon creates it when missing; a file in its place it cannot fix
    return existsSync(file) && !statSync(file).isDirectory() ? `${file} is a file, not a folder` : undefined;
  }
  const unreadable = readable(file);
  if (unreadable) return unreadable;
  switch (kind) {
    case 'executable':
      try {
        accessSync(file, constants.X_OK);
        return undefined;
      } catch {
        return `${file} is not executable`;
      }
    case 'onnx-model': {
      // an ONNX file is a protobuf ModelProto whose first field is ir_version (field 1, varint): byte 0x08
      const head = readFileSync(file).subarray(0, 1);
      return head[0] === 0x08 ? undefined : `${file} is not an ONNX model (it does not start as one)`;
    }
    case 'certificate':
    case 'ca-certificate': {
      const cert = certificate(file);
      if (typeof cert === 'string') return cert;
      if (Date.parse(cert.validTo) < now) return `${file} expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}`;
      if (kind === 'ca-certificate' && !cert.ca) return `${file} is a server certificate (${cert.subject.replace(/\n/g, ', ')}), not the CA that signed it`;
      return undefined;
    }
    case 'private-key': {
      const key = privateKey(file);
      if (typeof key === 'string') return key;
      if (check.certFile && readable(check.certFile) === undefined) {
        const cert = certificate(check.certFile);
        if (typeof cert !== 'string' && !cert.checkPrivateKey(key)) return `${file} is not the key of ${check.certFile}`;
      }
      return undefined;
    }
  }
}

/** The files an edge.yaml names, as the box uses them. Pure but for `exists` (a model installed beside edge.yaml). */
export function edgeFileChecks(config: EdgeConfig, exists: (file: string) => boolean = existsSync): FileCheck[] {
  const name = path.basename(config.file);
  const checks: FileCheck[] = [{ at: ['storage', 'root'], file: config.storage.root, kind: 'folder', fix: 'point storage.root at a folder (the box creates it when missing)' }];
  if (config.hub?.caFile) {
    checks.push({
      at: ['hub', 'caFile'],
      file: config.hub.caFile,
      kind: 'ca-certificate',
      fix: `copy the hub's ca.pem (from \`wardwatch provision credentials tls\`) to ${config.hub.caFile}: \`wardwatch provision credentials apply --bundle FILE --config ${name}\` does it from the hub's bundle`,
    });
  }
  // the model the box would run: the one edge.yaml names, the one `provision model` put beside it, or the packaged copy
  const installed = config.model.configured || exists(config.model.path);
  checks.push({
    at: ['model', 'path'],
    file: installed ? config.model.path : path.join(packageRoot(), DEFAULT_MODEL_PATH),
    kind: 'onnx-model',
    fix: `run \`wardwatch provision model --config ${name}\`${config.model.configured ? ', or correct model.path' : ''}`,
  });
  const page = pageTlsOf(config.review);
  if (page) checks.push(...certAndKey(['review', 'tls'], page.certFile, page.keyFile, boxPageFix(boxIdOf(config), config.review.host, page)));
  for (const key of ['ffmpegPath', 'ffprobePath'] as const) {
    const file = config.ffmpeg[key];
    if (file) checks.push({ at: ['ffmpeg', key], file, kind: 'executable', fix: `install ffmpeg (apt-get install ffmpeg) or remove ffmpeg.${key} to use the one on PATH` });
  }
  return checks;
}

const anyAddress = (host: string) => ['0.0.0.0', '::', ''].includes(host);

/**
 * How a box gets its review page certificate: made on the hub, where the district CA is, and copied to the paths
 * review.tls names (or brought by a hub bundle issued with --box-host). Pure.
 */
export function boxPageFix(box: string, host: string, files: { certFile: string; keyFile: string }): string {
  const address = anyAddress(host) ? 'ADDRESS' : host;
  return (
    `on the hub, where the district CA is: \`wardwatch provision credentials tls --out DIR --box ${box} --host ${address}\` (the box's address as officers type it), ` +
    `then copy DIR/box-${box}.crt to ${files.certFile} and DIR/box-${box}.key to ${files.keyFile} on this box (key mode 0600); ` +
    `or apply a hub bundle issued with --box-host ${address} (\`wardwatch provision credentials apply --bundle FILE --config edge.yaml\`)`
  );
}

/** How the hub gets its own certificate (broker tls listener, operator page): made beside its CA, where hub.yaml says. Pure. */
export function hubCertFix(key: string, files: { certFile: string; keyFile: string }): string {
  const dir = path.dirname(files.certFile);
  const named = path.basename(files.certFile) === 'hub.crt' && path.basename(files.keyFile) === 'hub.key' && path.dirname(files.keyFile) === dir;
  return (
    `run \`wardwatch provision credentials tls --out ${dir} --host NAME|IP\` (every name and address boxes and browsers use; an existing CA there is kept)` +
    (named ? '' : `, then point ${key}.certFile and ${key}.keyFile at its hub.crt and hub.key`)
  );
}

/** A certificate and its key at `at` (a TLS listener, or a page served over HTTPS). */
function certAndKey(at: PropertyKey[], certFile: string, keyFile: string, fix: string): FileCheck[] {
  return [
    { at: [...at, 'certFile'], file: certFile, kind: 'certificate', fix },
    { at: [...at, 'keyFile'], file: keyFile, kind: 'private-key', certFile, fix },
  ];
}

/** A page's `tls: { certFile, keyFile }` when the config has one (resolved to absolute paths by the loader). */
function pageTlsOf(section: object): { certFile: string; keyFile: string } | undefined {
  const tls = (section as { tls?: { certFile?: unknown; keyFile?: unknown } }).tls;
  return typeof tls?.certFile === 'string' && typeof tls.keyFile === 'string' ? { certFile: tls.certFile, keyFile: tls.keyFile } : undefined;
}

/** The files a hub.yaml names: each TLS listener's certificate and key (and that they belong together). Pure. */
export function hubFileChecks(config: HubConfig): FileCheck[] {
  const page = pageTlsOf(config.http);
  return [
    ...config.broker.listeners.flatMap((l, i): FileCheck[] =>
      l.type === 'tls' && l.certFile && l.keyFile ? certAndKey(['broker', 'listeners', i], l.certFile, l.keyFile, hubCertFix(`broker.listeners[${i}]`, { certFile: l.certFile, keyFile: l.keyFile })) : [],
    ),
    ...(page ? certAndKey(['http', 'tls'], page.certFile, page.keyFile, hubCertFix('http.tls', page)) : []),
    ...(config.broker.mode === 'external' && config.broker.external?.caFile
      ? [{ at: ['broker', 'external', 'caFile'], file: config.broker.external.caFile, kind: 'ca-certificate' as const, fix: `copy the CA that signed the broker's certificate to ${config.broker.external.caFile}, or remove broker.external.caFile for a broker on mqtt://` }]
      : []),
    ...(config.store.type === 'postgres' && config.store.postgres?.caFile
      ? [{ at: ['store', 'postgres', 'caFile'], file: config.store.postgres.caFile, kind: 'ca-certificate' as const, fix: `copy the CA that signed the database server's certificate to ${config.store.postgres.caFile}, or remove store.postgres.caFile for a database reached without TLS` }]
      : []),
  ];
}

function sourceOf(file: string): SourceMap | undefined {
  try {
    const lines = new LineCounter();
    return new SourceMap(parseDocument(readFileSync(file, 'utf8'), { lineCounter: lines }), lines);
  } catch {
    return undefined;
  }
}

/** Runs the checks and turns each failure into a problem with its line, key and fix. */
export function fileProblems(file: string, checks: readonly FileCheck[], now = Date.now()): ConfigProblem[] {
  const source = sourceOf(file);
  return checks.flatMap((c) => {
    const message = fileProblem(c, now);
    return message ? [{ file: path.basename(file), line: source?.lineAt(c.at) ?? 0, path: formatPath(c.at), message, hint: c.fix }] : [];
  });
}

/**
 * Loads a config as its daemon does and adds the file checks: every problem at once, missing secrets and missing
 * files together (a config whose only problems are secrets still has its files checked).
 */
function loadForStart<T extends { file: string }>(
  file: string,
  load: (file: string, options: LoadOptions) => LoadResult<T>,
  checks: (config: T) => FileCheck[],
  options: LoadOptions,
): LoadResult<T> {
  const strict = load(file, { ...options, requireSecrets: true });
  const config = strict.ok ? strict : load(file, { ...options, requireSecrets: false });
  if (!config.ok) return strict;
  const files = fileProblems(file, checks(config.config));
  const problems = [...(strict.ok ? [] : strict.problems), ...files];
  if (problems.length) return { ok: false, problems, warnings: config.warnings.filter((w) => !problems.some((p) => p.path === w.path && p.message === w.message)) };
  return strict;
}

/** edge.yaml as `wardwatch edge` starts from it: schema, secrets, and the files it names. */
export function loadEdgeForStart(file: string, options: Omit<LoadOptions, 'requireSecrets'> = {}): LoadResult<EdgeConfig> {
  return loadForStart(file, loadEdgeConfig, (c) => edgeFileChecks(c), options);
}

/** hub.yaml as `wardwatch hub` starts from it: schema, secrets, and the certificates and keys it names. */
export function loadHubForStart(file: string, options: Omit<LoadOptions, 'requireSecrets'> = {}): LoadResult<HubConfig> {
  return loadForStart(file, loadHubConfig, hubFileChecks, options);
}
