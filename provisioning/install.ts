// `wardwatch provision install`: the systemd unit, the service user, and config/data folders with the right owners and modes.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EXIT, UsageError, type Command, type Output } from '../cli/command.js';
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

/** The folders a config names (storage root, secrets file) when it exists; defaults otherwise. Paths are on the box. */
export function pathsFromConfig(role: Role, configOnBox: string, text: string | undefined): { data: string; secrets: string; extra: string[] } {
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
  return { data, secrets: path.posix.resolve(dir, secretsFile), extra: modelDir && !modelDir.startsWith(data + '/') && modelDir !== data ? [modelDir] : [] };
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

const HELP = `wardwatch provision install --role edge|hub [--root DIR] [--config FILE] [--user wardwatch] [--exec COMMAND]

Installs the systemd unit (wardwatch-edge.service or wardwatch-hub.service) and lays out the folders:
  config folder   0750 root:USER        config file 0640 root:USER, secrets file 0600 USER:USER (if present)
  data folder     0750 USER:USER        from the config's storage.root (default /var/lib/wardwatch[-hub])
The unit runs \`COMMAND edge|hub --config FILE\` as USER, restarts always, and may write only the data folder.
  --config FILE   the config path on the box (default /etc/wardwatch/edge.yaml, /etc/wardwatch-hub/hub.yaml)
  --user NAME     service user (default wardwatch); created (system user, no login) unless --root is given
  --root DIR      install into DIR instead of / (tests, image builds): no user is created, owners are not set,
                  systemctl is not called
  --exec COMMAND  what runs the CLI (default: this node and this package's bin/wardwatch.js)
Then: systemctl enable --now wardwatch-edge (or wardwatch-hub).
Exit 0 installed; 1 failure (e.g. not root without --root); 64 bad command line.`;

export const installCommand: Command = {
  name: 'install',
  summary: 'install the systemd unit, service user and folders',
  usage: 'wardwatch provision install --role edge|hub [--root DIR] [--config FILE] [--user wardwatch]',
  run(args, io: Output) {
    const parsed = parseCommand(
      args,
      { role: { type: 'string' }, root: { type: 'string' }, config: { type: 'string' }, user: { type: 'string', default: 'wardwatch' }, exec: { type: 'string' } },
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
    const root = path.resolve(v.root ?? '/');
    const on = (p: string) => path.join(root, p);
    if (real && process.getuid?.() !== 0) {
      io.err('install needs root (it creates a user, writes /etc/systemd/system and sets owners); or use --root DIR');
      return Promise.resolve(EXIT.failure);
    }

    const configText = existsSync(on(config)) ? readFileSync(on(config), 'utf8') : undefined;
    const paths = pathsFromConfig(role, config, configText);
    const exec = v.exec ?? `${process.execPath} ${path.join(packageRoot(), 'bin/wardwatch.js')}`;
    const template = readFileSync(path.join(packageRoot(), 'systemd', ROLE_DEFAULTS[role].unit), 'utf8');
    const unit = renderUnit(template, { user: v.user, exec, config, data: [paths.data, ...paths.extra] });

    if (real && !ids(v.user)) {
      execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', paths.data, '--shell', '/usr/sbin/nologin', v.user], { stdio: 'inherit' });
      io.out(`created system user ${v.user}`);
    }
    const owner = real ? ids(v.user) : undefined;
    const own = (p: string, user: boolean) => {
      if (owner) chownSync(p, user ? owner.uid : 0, owner.gid);
    };

    const configDir = path.dirname(config);
    for (const [dir, mode, userOwned] of [[configDir, 0o750, false], [paths.data, 0o750, true], ...paths.extra.map((d) => [d, 0o750, true] as const)] as const) {
      // parents (/etc, /var/lib) keep the usual 0755; only our own folder is 0750
      mkdirSync(path.dirname(on(dir)), { recursive: true, mode: 0o755 });
      mkdirSync(on(dir), { recursive: true, mode });
      chmodSync(on(dir), mode);
      own(on(dir), userOwned);
    }
    if (configText !== undefined) {
      chmodSync(on(config), 0o640);
      own(on(config), false);
    }
    if (existsSync(on(paths.secrets))) {
      chmodSync(on(paths.secrets), 0o600);
      own(on(paths.secrets), true);
    }
    const unitPath = on(path.join('/etc/systemd/system', ROLE_DEFAULTS[role].unit));
    mkdirSync(path.dirname(unitPath), { recursive: true, mode: 0o755 });
    writeFileAtomicSync(unitPath, unit, { mode: 0o644 });
    io.out(`wrote ${unitPath}`);
    io.out(`folders: ${on(configDir)} (0750), ${[paths.data, ...paths.extra].map(on).join(', ')} (0750)${configText === undefined ? `; no ${config} yet: write it with \`wardwatch provision init\`` : ''}`);
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
    const mode = statSync(on(paths.data)).mode & 0o777;
    if (mode !== 0o750) io.err(`warning: ${paths.data} is ${mode.toString(8)}, expected 750`);
    return Promise.resolve(EXIT.ok);
  },
};
