// Reads edge.yaml / hub.yaml: YAML → schema → resolved config, reporting every problem at once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { boxIdOf, boxLogin } from './box-id.js';
import { edgeConfigSchema, type EdgeConfigParsed } from './edge.js';
import { hubConfigSchema, type HubConfigParsed } from './hub.js';
import { formatPath, issuesToProblems, SourceMap, type ConfigProblem } from './problems.js';
import { lookupSecret, readSecretsFile, secretEnvName, SecretsFileError } from './secrets.js';

/** Exit code for bad configuration (sysexits EX_CONFIG). */
export const EXIT_CONFIG = 78;
/** Where `provision model` installs the detector when edge.yaml names no model.path (relative to edge.yaml). */
export const DEFAULT_MODEL_PATH = 'models/yolox_nano.onnx';

export type LoadResult<T> =
  | { ok: true; config: T; problems: []; warnings: ConfigProblem[] }
  | { ok: false; problems: ConfigProblem[]; warnings?: ConfigProblem[] };

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** missing secrets are problems (the daemons) or only warnings (validating a config before its secrets exist) */
  requireSecrets?: boolean;
}

export interface ResolvedStream {
  /** URL as configured: safe to log and show */
  url: string;
  /** URL with credentials: only ever handed to ffmpeg */
  authUrl: string;
}

type Camera = EdgeConfigParsed['cameras'][number];
export interface ResolvedCamera extends Omit<Camera, 'record' | 'detect' | 'events' | 'streams'> {
  record: EdgeConfigParsed['record'];
  detect: EdgeConfigParsed['detect'];
  events: EdgeConfigParsed['events'];
  streams: { main: ResolvedStream; sub: ResolvedStream };
}

export interface EdgeConfig extends Omit<EdgeConfigParsed, 'cameras' | 'hub' | 'model'> {
  /** the file it came from */
  file: string;
  cameras: ResolvedCamera[];
  /** `path` is absolute: the configured file, or the default place `provision model` installs to (`configured: false`) */
  model: { path: string; configured: boolean; threads: number };
  hub: (NonNullable<EdgeConfigParsed['hub']> & { username: string; token: string }) | undefined;
}

export interface HubConfig extends HubConfigParsed {
  file: string;
  secrets: ReadonlyMap<string, string>;
}

function parseYamlFile(file: string, text: string) {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = doc.errors.map((e) => ({
    file,
    line: lines.linePos(e.pos[0]).line,
    path: '(yaml)',
    message: e.message.split('\n')[0] ?? e.message,
    hint: e.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : 'fix the YAML syntax (indentation, colons, quotes)',
  }));
  return { doc, source: new SourceMap(doc, lines), problems };
}

function readText(file: string): { text: string } | { problem: ConfigProblem } {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem: {
        file,
        line: 0,
        path: '(file)',
        message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? (err as Error).message})`,
        hint: code === 'ENOENT' ? 'check the path, or create one with `wardwatch provision init`' : 'check its permissions',
      },
    };
  }
}

function validate<S extends z.ZodType>(file: string, schema: S): LoadResult<{ data: z.output<S>; source: SourceMap }> {
  const display = path.basename(file);
  const read = readText(file);
  if ('problem' in read) return { ok: false, problems: [{ ...read.problem, file: display }] };
  const { doc, source, problems } = parseYamlFile(display, read.text);
  if (problems.length) return { ok: false, problems };
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [{ file: display, line: 1, path: '(top level)', message: 'must be a mapping of keys', hint: 'start from examples/' + display }] };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: issuesToProblems(parsed.error.issues, schema, raw, display, source) };
  return { ok: true, config: { data: parsed.data, source }, problems: [], warnings: [] };
}

function missingSecret(display: string, line: number, at: string, name: string, secretsFile: string): ConfigProblem {
  return { file: display, line, path: at, message: `secret "${name}" not found`, hint: `add "${name}: …" to ${secretsFile} (mode 0600) or set ${secretEnvName(name)}` };
}

function withCredentials(url: string, username: string | undefined, password: string | undefined): string {
  if (!username) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password ?? '');
  return u.toString();
}

function secretsOrProblem(file: string, display: string): { secrets: Map<string, string> } | { problem: ConfigProblem } {
  try {
    return { secrets: readSecretsFile(file) };
  } catch (err) {
    if (err instanceof SecretsFileError) return { problem: { file: display, line: 0, path: 'secretsFile', message: err.message, hint: 'fix the secrets file' } };
    throw err;
  }
}

export function loadEdgeConfig(file: string, options: LoadOptions = {}): LoadResult<EdgeConfig> {
  const env = options.env ?? process.env;
  const result = validate(file, edgeConfigSchema);
  if (!result.ok) return result;
  const { data, source } = result.config;
  const display = path.basename(file);
  const dir = path.dirname(path.resolve(file));
  const missing: ConfigProblem[] = [];
  const secretsPath = path.resolve(dir, data.secretsFile);
  const loaded = secretsOrProblem(secretsPath, display);
  if ('problem' in loaded) return { ok: false, problems: [loaded.problem] };

  const need = (name: string, at: PropertyKey[]): string | undefined => {
    const value = lookupSecret(name, loaded.secrets, env);
    if (value === undefined) missing.push(missingSecret(display, source.lineAt(at), formatPath(at), name, data.secretsFile));
    return value;
  };

  const cameras: ResolvedCamera[] = data.cameras.map((cam, i) => {
    const password = cam.credentials ? need(cam.credentials.passwordSecret, ['cameras', i, 'credentials', 'passwordSecret']) : undefined;
    const stream = (url: string): ResolvedStream => ({ url, authUrl: withCredentials(url, cam.credentials?.username, password) });
    const main = stream(cam.streams.main.url);
    return {
      ...cam,
      record: { ...data.record, ...cam.record },
      detect: { ...data.detect, ...cam.detect },
      events: { ...data.events, ...cam.events },
      streams: { main, sub: cam.streams.sub ? stream(cam.streams.sub.url) : main },
    };
  });

  let hub: EdgeConfig['hub'];
  if (data.hub) {
    const token = need(data.hub.tokenSecret, ['hub', 'tokenSecret']);
    hub = {
      ...data.hub,
      ...(data.hub.caFile ? { caFile: path.resolve(dir, data.hub.caFile) } : {}),
      username: boxLogin(boxIdOf(data)),
      token: token ?? '',
    };
  }
  if (missing.length && options.requireSecrets !== false) return { ok: false, problems: missing };
  // Since 0.2 a box raises incidents only from alert rules; a config written for the old per-object events
  // (zones that made events on their own) still loads, and validate says what changed.
  const migration: ConfigProblem[] = [];
  data.cameras.forEach((cam, i) => {
    if (cam.zones.length > 0 && cam.alerts.length === 0) {
      migration.push({
        file: display,
        line: source.lineAt(['cameras', i, 'zones']),
        path: formatPath(['cameras', i, 'zones']),
        message: 'zones no longer raise incidents on their own: only alert rules do (no rules, no incidents from ordinary traffic)',
        hint: `for an incident per object in a zone, as before: alerts: [{ id: in-${cam.zones[0]!.id}, kind: presence, zone: ${cam.zones[0]!.id} }]`,
      });
    }
  });
  if (data.cameras.length > 0 && data.cameras.every((c) => c.alerts.length === 0)) {
    migration.push({
      file: display,
      line: source.lineAt(['cameras']),
      path: 'cameras',
      message: 'no camera has alert rules: this box records, counts and keeps sightings, but raises no incidents',
      hint: 'add alerts to the cameras that need them (presence, dwell, wrong-way, crowd; see CONFIG.md)',
    });
  }
  return {
    ok: true,
    problems: [],
    warnings: [...missing, ...migration],
    config: {
      ...data,
      file: path.resolve(file),
      secretsFile: secretsPath,
      storage: { root: path.resolve(dir, data.storage.root) },
      model: { threads: data.model.threads, path: path.resolve(dir, data.model.path ?? DEFAULT_MODEL_PATH), configured: data.model.path !== undefined },
      review: { ...data.review, ...(data.review.tls ? { tls: { certFile: path.resolve(dir, data.review.tls.certFile), keyFile: path.resolve(dir, data.review.tls.keyFile) } } : {}) },
      hub,
      cameras,
    },
  };
}

export function loadHubConfig(file: string, options: LoadOptions = {}): LoadResult<HubConfig> {
  const env = options.env ?? process.env;
  const result = validate(file, hubConfigSchema);
  if (!result.ok) return result;
  const { data, source } = result.config;
  const display = path.basename(file);
  const dir = path.dirname(path.resolve(file));
  const secretsPath = path.resolve(dir, data.secretsFile);
  const loaded = secretsOrProblem(secretsPath, display);
  if ('problem' in loaded) return { ok: false, problems: [loaded.problem] };
  const missing: ConfigProblem[] = [];
  const secrets = new Map<string, string>();
  data.forward.targets.forEach((t, i) => {
    if (!t.secretName) return;
    const value = lookupSecret(t.secretName, loaded.secrets, env);
    if (value === undefined) {
      const at = ['forward', 'targets', i, 'secretName'];
      missing.push(missingSecret(display, source.lineAt(at), formatPath(at), t.secretName, data.secretsFile));
    } else secrets.set(t.secretName, value);
  });
  const external = data.broker.mode === 'external' ? data.broker.external : undefined;
  if (external) {
    const value = lookupSecret(external.passwordSecret, loaded.secrets, env);
    const at = ['broker', 'external', 'passwordSecret'];
    if (value === undefined) missing.push(missingSecret(display, source.lineAt(at), formatPath(at), external.passwordSecret, data.secretsFile));
    else secrets.set(external.passwordSecret, value);
  }
  const database = data.store.type === 'postgres' ? data.store.postgres : undefined;
  if (database?.passwordSecret) {
    const value = lookupSecret(database.passwordSecret, loaded.secrets, env);
    const at = ['store', 'postgres', 'passwordSecret'];
    if (value === undefined) missing.push(missingSecret(display, source.lineAt(at), formatPath(at), database.passwordSecret, data.secretsFile));
    else secrets.set(database.passwordSecret, value);
  }
  if (missing.length && options.requireSecrets !== false) return { ok: false, problems: missing };
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  return {
    ok: true,
    problems: [],
    warnings: missing,
    config: {
      ...data,
      file: path.resolve(file),
      secretsFile: secretsPath,
      secrets,
      storage: { root: path.resolve(dir, data.storage.root) },
      broker: {
        ...data.broker,
        listeners: data.broker.listeners.map((l) => ({ ...l, ...(l.certFile ? { certFile: abs(l.certFile) } : {}), ...(l.keyFile ? { keyFile: abs(l.keyFile) } : {}) })),
        ...(data.broker.external ? { external: { ...data.broker.external, ...(data.broker.external.caFile ? { caFile: abs(data.broker.external.caFile) } : {}) } } : {}),
      },
      store: { ...data.store, ...(data.store.postgres ? { postgres: { ...data.store.postgres, ...(data.store.postgres.caFile ? { caFile: abs(data.store.postgres.caFile) } : {}) } } : {}) },
      http: { ...data.http, ...(data.http.tls ? { tls: { certFile: abs(data.http.tls.certFile)!, keyFile: abs(data.http.tls.keyFile)! } } : {}) },
    },
  };
}

/** Which kind of config a file holds, by its top-level keys. */
export function guessKind(file: string): 'edge' | 'hub' | undefined {
  const read = readText(file);
  if ('problem' in read) return undefined;
  try {
    const data = parseDocument(read.text).toJS() as Record<string, unknown> | null;
    if (data && typeof data === 'object') {
      if ('cameras' in data || 'ward' in data) return 'edge';
      if ('wards' in data || 'broker' in data || 'district' in data) return 'hub';
    }
  } catch {
    /* reported by the loader */
  }
  return undefined;
}
