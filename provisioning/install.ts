// `wardwatch provision install`: the systemd unit, the service user, and config/data folders with the right owners and modes.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, UsageError, type Command, type Output } from '../shared/command.js';
import { writeFileAtomicSync } from '../shared/atomic.js';
import { packageRoot } from '../shared/package.js';
import { parseCommand } from './cli-util.js';

export type Role = 'edge' | 'hub';

export const ROLE_DEFAULTS: Record<Role, { config: string; data: string; unit: string }> = {
  edge: { config: '/etc/wardwatch/edge.yaml', data: '/var/lib/wardwatch', unit: 'wardwatch-edge.service' },
  hub: { config: '/etc/wardwatch-hub/hub.yaml', data: '/var/lib/wardwatch-hub', unit: 'wardwatch-hub.service' },
};

export interface UnitFields {
  user: string;
  /** absolute command that runs the CLI, e.g. `/usr/bin/node /opt/wardwatch/bin/wardwatch.js` */
  exec: string;
  config: string;
  /** folders the service may write */
  data: string[];
}

/** Characters a unit file would treat specially (specifiers, quoting, line breaks) are refused, not escaped. */
const SAFE_PATH = /^\/[A-Za-z0-9._/+-]*$/;

/** Fills a unit template. Pure; throws on a value that would need quoting. */
export function renderUnit(template: string, f: UnitFields): string {
  const parts = f.exec.split(' ');
  for (const p of [...parts, f.config, ...f.data]) {
    if (!SAFE_PATH.test(p)) throw new UsageError(`${JSON.stringify(p)} cannot go into a unit file: use an absolute path of letters, digits and . _ / + -`);
  }
  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(f.user)) throw new UsageError(`--user ${JSON.stringify(f.user)} is not a valid user name`);
  return template.replaceAll('@USER@', f.user).replaceAll('@EXEC@', f.exec).replaceAll('@CONFIG@', f.config).replaceAll('@DATA@', f.data.join(' '));
}

/** Where the code should live on a box, and the command on PATH (README, "Production install"). */
export const CODE_HOME = '/opt/wardwatch';
export const PATH_LINK = '/usr/local/bin/wardwatch';

/** Folders the units hide from the service (PrivateTmp=yes, ProtectHome=yes): code there cannot start. */
const HIDDEN = ['/tmp', '/var/tmp', '/home', '/root', '/run/user'];

/** Why a unit cannot use `file` (it is hidden from the service), or undefined. Pure. */
export function hiddenFromUnit(file: string): string | undefined {
  const p = path.posix.normalize(file);
  const under = HIDDEN.find((h) => p === h || p.startsWith(h + '/'));
  if (!under) return undefined;
  const why = under.endsWith('tmp') ? 'PrivateTmp=yes gives the service its own empty /tmp' : under === '/run/user' ? 'it is a login session\'s folder' : 'ProtectHome=yes hides /home and /root from the service';
  return `${file} is under ${under}, which the unit cannot see (${why})`;
}

/** Every path of the unit's command, config and data that the service could not see, with why. Pure. */
export function unitPathProblems(f: UnitFields): string[] {
  return [...f.exec.split(' ').filter((p) => p.startsWith('/')), f.config, ...f.data].flatMap((p) => hiddenFromUnit(p) ?? []);
}

/**
 * The private keys of the pages and the broker a config names (edge.yaml review.tls, hub.yaml http.tls and tls
 * listeners), on the box: the service's user must read them, no one else. Pure.
 */
export function tlsKeysFromConfig(raw: Record<string, unknown>, dir: string): string[] {
  const keyOf = (o: unknown) => (o && typeof o === 'object' && typeof (o as { keyFile?: unknown }).keyFile === 'string' ? [(o as { keyFile: string }).keyFile] : []);
  const pageTls = (section: unknown) => keyOf(section && typeof section === 'object' ? (section as { tls?: unknown }).tls : undefined);
  // the embedded broker's listeners are read by the hub; an external broker reads its own files as its own user
  const broker = raw.broker as { listeners?: unknown; mode?: unknown } | undefined;
  const listeners = broker?.mode === 'external' ? undefined : broker?.listeners;
  const keys = [
    ...pageTls(raw.review),
    ...pageTls(raw.http),
    ...(Array.isArray(listeners) ? listeners.flatMap((l) => ((l as { type?: unknown }).type === 'tls' ? keyOf(l) : [])) : []),
  ];
  return [...new Set(keys.map((k) => path.posix.resolve(dir, k)))];
}

/** The folders a config names (storage root, secrets file) when it exists; defaults otherwise. Paths are on the box. */
export function pathsFromConfig(role: Role, configOnBox: string, text: string | undefined): { data: string; secrets: string; extra: string[]; keys: string[] } {
  const dir = path.posix.dirname(configOnBox);
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = text === undefined ? undefined : parseYaml(text);
    if (parsed && typeof parsed === 'object') raw = parsed as Record<string, unknown>;
  } catch {
    /* a broken config is reported by validate; install still lays out the defaults */
  }
  const storage = (raw.storage as { root?: unknown } | undefined)?.root;
  const data = typeof storage === 'string' ? path.posix.resolve(dir, storage) : ROLE_DEFAULTS[role].data;
  const secretsFile = typeof raw.secretsFile === 'string' ? raw.secretsFile : 'secrets.yaml';
  const model = (raw.model as { path?: unknown } | undefined)?.path;
  const modelDir = typeof model === 'string' ? path.posix.dirname(path.posix.resolve(dir, model)) : undefined;
  return { data, secrets: path.posix.resolve(dir, secretsFile), extra: modelDir && !modelDir.startsWith(data + '/') && modelDir !== data ? [modelDir] : [], keys: tlsKeysFromConfig(raw, dir) };
}

function ids(user: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** One thing install does; `--dry-run` prints them, otherwise they are done in this order. */
export type InstallStep =
  | { kind: 'user'; name: string; home: string }
  | { kind: 'folder'; path: string; mode: number; owner: 'root' | 'user' }
  | { kind: 'mode'; path: string; mode: number; owner: 'root' | 'user'; what: string }
  | { kind: 'unit'; path: string; text: string }
  | { kind: 'link'; path: string; target: string };

export interface InstallPlan {
  role: Role;
  steps: InstallStep[];
  warnings: string[];
}

/** What install would do; reads the config (if any) under `root`, writes nothing. */
export function planInstall(o: { role: Role; root: string; config: string; user: string; exec: string; bin: string | undefined; createUser: boolean }): InstallPlan {
  const on = (p: string) => path.join(o.root, p);
  const configText = existsSync(on(o.config)) ? readFileSync(on(o.config), 'utf8') : undefined;
  const paths = pathsFromConfig(o.role, o.config, configText);
  const template = readFileSync(path.join(packageRoot(), 'systemd', ROLE_DEFAULTS[o.role].unit), 'utf8');
  const fields = { user: o.user, exec: o.exec, config: o.config, data: [paths.data, ...paths.extra] };
  const text = renderUnit(template, fields);
  const hidden = unitPathProblems(fields);
  if (hidden.length) throw new InstallRefusal(hidden);
  const steps: InstallStep[] = [];
  const warnings: string[] = [];
  if (o.createUser) steps.push({ kind: 'user', name: o.user, home: paths.data });
  steps.push({ kind: 'folder', path: path.dirname(o.config), mode: 0o750, owner: 'root' });
  for (const d of [paths.data, ...paths.extra]) steps.push({ kind: 'folder', path: d, mode: 0o750, owner: 'user' });
  if (configText !== undefined) steps.push({ kind: 'mode', path: o.config, mode: 0o640, owner: 'root', what: 'config' });
  if (existsSync(on(paths.secrets))) steps.push({ kind: 'mode', path: paths.secrets, mode: 0o600, owner: 'user', what: 'secrets' });
  // the pages' and broker's keys (0600 root when `credentials tls` or `credentials apply` made them): the service reads
  // them. Only keys in the config folder: a key kept elsewhere (/etc/ssl/private) is the administrator's to share.
  const configDir = path.posix.dirname(o.config);
  const keyFolders = new Set<string>();
  for (const key of paths.keys.filter((k) => existsSync(on(k)))) {
    const folder = path.posix.dirname(key);
    if (!key.startsWith(configDir + '/')) {
      warnings.push(`${key} is outside ${configDir}: left as it is; let ${o.user} read it (e.g. chgrp ${o.user} ${key} && chmod 0640 ${key})`);
      continue;
    }
    if (folder !== configDir && !keyFolders.has(folder)) {
      keyFolders.add(folder);
      steps.push({ kind: 'mode', path: folder, mode: 0o750, owner: 'root', what: 'TLS folder' });
    }
    steps.push({ kind: 'mode', path: key, mode: 0o600, owner: 'user', what: 'TLS key' });
  }
  steps.push({ kind: 'unit', path: path.posix.join('/etc/systemd/system', ROLE_DEFAULTS[o.role].unit), text });
  if (o.bin) {
    // `wardwatch` on PATH: a link we own may be replaced; a file someone else put there is left alone
    let current: string | undefined;
    try {
      current = lstatSync(on(PATH_LINK)).isSymbolicLink() ? readlinkSync(on(PATH_LINK)) : 'a file';
    } catch {
      current = undefined;
    }
    if (current === 'a file') warnings.push(`${PATH_LINK} is a file, not a link: left alone (the unit does not need it)`);
    else if (current !== o.bin) steps.push({ kind: 'link', path: PATH_LINK, target: o.bin });
  }
  if (configText === undefined) warnings.push(`no ${o.config} yet: write it with \`wardwatch provision init\``);
  return { role: o.role, steps, warnings };
}

export class InstallRefusal extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('; '));
  }
}

export function describeStep(s: InstallStep, user: string): string {
  const who = (owner: 'root' | 'user') => (owner === 'root' ? `root:${user}` : `${user}:${user}`);
  switch (s.kind) {
    case 'user':
      return `create system user ${s.name} (no login shell, home ${s.home})`;
    case 'folder':
      return `folder ${s.path} ${s.mode.toString(8).padStart(4, '0')} ${who(s.owner)}`;
    case 'mode':
      return `${s.what} ${s.path} ${s.mode.toString(8).padStart(4, '0')} ${who(s.owner)}`;
    case 'unit':
      return `unit ${s.path} 0644 root:root`;
    case 'link':
      return `link ${s.path} -> ${s.target}`;
  }
}

function applyStep(s: InstallStep, on: (p: string) => string, owner: { uid: number; gid: number } | undefined, io: Output): void {
  const own = (p: string, o: 'root' | 'user') => {
    if (owner) chownSync(p, o === 'user' ? owner.uid : 0, owner.gid);
  };
  switch (s.kind) {
    case 'user':
      if (!ids(s.name)) {
        execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', s.home, '--shell', '/usr/sbin/nologin', s.name], { stdio: 'inherit' });
        io.out(`created system user ${s.name}`);
      }
      return;
    case 'folder':
      // parents (/etc, /var/lib) keep the usual 0755; only our own folder is 0750
      mkdirSync(path.dirname(on(s.path)), { recursive: true, mode: 0o755 });
      mkdirSync(on(s.path), { recursive: true, mode: s.mode });
      chmodSync(on(s.path), s.mode);
      own(on(s.path), s.owner);
      return;
    case 'mode':
      chmodSync(on(s.path), s.mode);
      own(on(s.path), s.owner);
      return;
    case 'unit':
      mkdirSync(path.dirname(on(s.path)), { recursive: true, mode: 0o755 });
      writeFileAtomicSync(on(s.path), s.text, { mode: 0o644 });
      io.out(`wrote ${on(s.path)}`);
      return;
    case 'link':
      mkdirSync(path.dirname(on(s.path)), { recursive: true, mode: 0o755 });
      try {
        unlinkSync(on(s.path));
      } catch {
        /* not there yet */
      }
      symlinkSync(s.target, on(s.path));
      io.out(`linked ${on(s.path)} -> ${s.target} (wardwatch on PATH)`);
      return;
  }
}

const HELP = `wardwatch provision install --role edge|hub [--root DIR] [--config FILE] [--user wardwatch] [--exec COMMAND]
                             [--no-link] [--dry-run]

Installs the systemd unit (wardwatch-edge.service or wardwatch-hub.service) and lays out the folders:
  config folder   0750 root:USER        config file 0640 root:USER, secrets file 0600 USER:USER (if present)
  data folder     0750 USER:USER        from the config's storage.root (default /var/lib/wardwatch[-hub])
  ${PATH_LINK}  a link to this package's bin/wardwatch.js (unless --no-link or --exec)
The unit runs \`COMMAND edge|hub --config FILE\` as USER, restarts always, and may write only the data folder.
Run it from the code's home on the box, ${CODE_HOME} (README, "Production install"): the unit hides /tmp, /home
and /root from the service (PrivateTmp, ProtectHome), so install refuses code, node, config or data under them.
  --config FILE   the config path on the box (default /etc/wardwatch/edge.yaml, /etc/wardwatch-hub/hub.yaml)
  --user NAME     service user (default wardwatch); created (system user, no login) unless --root is given
  --root DIR      install into DIR instead of / (tests, image builds): no user is created, owners are not set,
                  systemctl is not called
  --exec COMMAND  what runs the CLI (default: this node and this package's bin/wardwatch.js)
  --dry-run       print every user, folder, file and link it would make, and the unit; change nothing
Then: systemctl enable --now wardwatch-edge (or wardwatch-hub).
Exit 0 installed; 1 failure (not root without --root; code or paths the unit could not see); 64 bad command line.`;

export const installCommand: Command = {
  name: 'install',
  summary: 'install the systemd unit, service user, folders and `wardwatch` on PATH',
  usage: 'wardwatch provision install --role edge|hub [--root DIR] [--config FILE] [--user wardwatch] [--dry-run]',
  run(args, io: Output) {
    const parsed = parseCommand(
      args,
      {
        role: { type: 'string' },
        root: { type: 'string' },
        config: { type: 'string' },
        user: { type: 'string', default: 'wardwatch' },
        exec: { type: 'string' },
        'no-link': { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
      HELP,
      io,
    );
    if (!parsed) return Promise.resolve(EXIT.ok);
    const v = parsed.values;
    if (v.role !== 'edge' && v.role !== 'hub') throw new UsageError('--role must be edge or hub');
    const role: Role = v.role;
    const config = v.config ?? ROLE_DEFAULTS[role].config;
    if (!path.isAbsolute(config)) throw new UsageError('--config must be the absolute path of the config on the box');
    const real = v.root === undefined;
    const dry = v['dry-run'] === true;
    const root = path.resolve(v.root ?? '/');
    const on = (p: string) => path.join(root, p);
    if (real && !dry && process.getuid?.() !== 0) {
      io.err('install needs root (it creates a user, writes /etc/systemd/system and sets owners); or use --root DIR, or --dry-run');
      return Promise.resolve(EXIT.failure);
    }
    const bin = path.join(packageRoot(), 'bin/wardwatch.js');
    let plan: InstallPlan;
    try {
      plan = planInstall({ role, root, config, user: v.user, exec: v.exec ?? `${process.execPath} ${bin}`, bin: v.exec || v['no-link'] ? undefined : bin, createUser: real && !ids(v.user) });
    } catch (err) {
      if (!(err instanceof InstallRefusal)) throw err;
      for (const r of err.reasons) io.err(`refused: ${r}`);
      io.err(`nothing written. Put the code at ${CODE_HOME} and node outside /home and /root (README, "Production install"), then run install from there; or give --exec, --config and storage.root outside those folders`);
      return Promise.resolve(EXIT.failure);
    }
    if (dry) {
      io.out(`would do, in ${root}:`);
      for (const s of plan.steps) io.out(`  ${describeStep(s, v.user)}`);
      for (const w of plan.warnings) io.err(`warning: ${w}`);
      const unit = plan.steps.find((s) => s.kind === 'unit');
      if (unit?.kind === 'unit') io.out(`\n--- ${unit.path}\n${unit.text.trimEnd()}`);
      return Promise.resolve(EXIT.ok);
    }
    // the user first: folders and files are then owned by it
    for (const s of plan.steps.filter((x) => x.kind === 'user')) applyStep(s, on, undefined, io);
    const owner = real ? ids(v.user) : undefined;
    for (const s of plan.steps.filter((x) => x.kind !== 'user')) applyStep(s, on, owner, io);
    const folders = plan.steps.flatMap((s) => (s.kind === 'folder' ? [on(s.path)] : []));
    io.out(`folders: ${folders.join(', ')} (0750)`);
    for (const w of plan.warnings) io.err(`warning: ${w}`);
    if (!real) {
      io.out(`owners not set under --root: the image's first boot (or \`install\` without --root) sets ${v.user} as owner`);
      return Promise.resolve(EXIT.ok);
    }
    if (existsSync('/run/systemd/system')) {
      execFileSync('systemctl', ['daemon-reload'], { stdio: 'inherit' });
      io.out(`next: systemctl enable --now ${ROLE_DEFAULTS[role].unit.replace('.service', '')}`);
    } else {
      io.out('systemd is not running here: the unit is in place for the next boot');
    }
    const data = plan.steps.find((s): s is Extract<InstallStep, { kind: 'folder' }> => s.kind === 'folder' && s.owner === 'user');
    const mode = data ? statSync(on(data.path)).mode & 0o777 : 0o750;
    if (mode !== 0o750) io.err(`warning: ${data?.path} is ${mode.toString(8)}, expected 750`);
    return Promise.resolve(EXIT.ok);
  },
};
