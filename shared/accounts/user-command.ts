// `wardwatch hub user …` and `wardwatch edge user …`: one command over shared/accounts, opened by each process
// on its own database. Add, change a password, lock, unlock, list — every change audited.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { AccountError, type Accounts, type User } from './index.js';
import type { AuditContext } from '../audit/index.js';
import { EXIT, UsageError, type Command, type Output } from '../command.js';
import { readNewPassword } from './password-input.js';

const ACTIONS = ['add', 'passwd', 'lock', 'unlock', 'list'] as const;
type Action = (typeof ACTIONS)[number];
const ALLOWED: Record<Action, string[]> = {
  add: ['name', 'role', 'ward', 'display-name', 'password-file'],
  passwd: ['name', 'password-file'],
  lock: ['name'],
  unlock: ['name'],
  list: ['json'],
};
/** fields of AccountError that are flags of their own here */
const FLAGS = new Set(['name', 'role', 'ward']);

export interface OpenAccounts {
  accounts: Accounts;
  by: AuditContext;
  /** the ward an officer belongs to when --ward is not given (a ward box's own ward) */
  defaultWard?: string;
}

export interface UserCommandOptions {
  /** `hub` or `edge` */
  group: string;
  usage: string;
  summary: string;
  /** roles this process has accounts for */
  roles: readonly string[];
  /** opens the accounts from the config file, runs `fn`, closes them; a bad config is exit 78 */
  withAccounts(configFile: string, io: Output, fn: (open: OpenAccounts) => Promise<number>): Promise<number>;
}

/** The actor of a command run on a machine's own console: the operating-system user. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

// failed logins lock a name for one address only, in the server's memory: not a state of the user
function state(u: User): string {
  if (u.locked) return 'locked';
  return u.mustChange ? 'must change password' : 'active';
}

function printTable(io: Output, users: User[]): void {
  const rows = [['NAME', 'ROLE', 'WARD', 'STATE', 'DISPLAY NAME'], ...users.map((u) => [u.name, u.role, u.ward ?? '-', state(u), u.displayName])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) io.out(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

function need(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`missing ${flag}`);
  return value;
}

export function makeUserCommand(o: UserCommandOptions): Command {
  return {
    name: 'user',
    summary: o.summary,
    usage: o.usage,
    subcommands: ACTIONS,
    async run(args, io) {
      const [action, ...rest] = args;
      if (!action || !(ACTIONS as readonly string[]).includes(action)) {
        throw new UsageError(`${action ? `unknown user action "${action}"` : 'missing user action'}; one of: ${ACTIONS.join(', ')}`);
      }
      const act = action as Action;
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          config: { type: 'string', short: 'c' },
          name: { type: 'string' },
          role: { type: 'string' },
          ward: { type: 'string' },
          'display-name': { type: 'string' },
          'password-file': { type: 'string' },
          json: { type: 'boolean' },
        },
      });
      if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      const config = need(values.config, `--config ${o.group}.yaml`);
      for (const key of Object.keys(values)) {
        if (key !== 'config' && !ALLOWED[act].includes(key)) throw new UsageError(`user ${act} takes no --${key}`);
      }
      const name = act === 'list' ? '' : need(values.name, '--name');
      if (act === 'add' && !o.roles.includes(need(values.role, '--role'))) throw new UsageError(`--role: one of ${o.roles.join(', ')} on this ${o.group === 'edge' ? 'ward box' : 'hub'}`);
      // read the password before opening the store: a prompt must not hold the db open
      const source = act === 'add' || act === 'passwd' ? await readNewPassword(values['password-file']) : undefined;

      return o.withAccounts(config, io, async ({ accounts, by, defaultWard }) => {
        try {
          switch (act) {
            case 'list': {
              const users = await accounts.list();
              if (values.json) io.out(JSON.stringify(users));
              else if (users.length) printTable(io, users);
              else io.out(`no users yet; add one with \`wardwatch ${o.group} user add\``);
              return EXIT.ok;
            }
            case 'add': {
              const ward = values.role === 'officer' ? (values.ward ?? defaultWard) : values.ward;
              const user = await accounts.addUser({ name, role: values.role!, ward, displayName: values['display-name'], password: source!.password }, by);
              io.out(`added ${user.name} (${user.role}${user.ward ? `, ward ${user.ward}` : ''}); the password must be changed at first login`);
              if (source!.generated) io.out(`initial password (shown once): ${source!.password}`);
              return EXIT.ok;
            }
            case 'passwd':
              await accounts.resetPassword(name, source!.password, by);
              io.out(`new password set for ${name}; it must be changed at next login, open sessions ended`);
              if (source!.generated) io.out(`initial password (shown once): ${source!.password}`);
              return EXIT.ok;
            case 'lock':
              await accounts.lock(name, by);
              io.out(`locked ${name}; open sessions ended`);
              return EXIT.ok;
            case 'unlock':
              await accounts.unlock(name, by);
              io.out(`unlocked ${name}`);
              return EXIT.ok;
          }
        } catch (err) {
          if (!(err instanceof AccountError)) throw err;
          // the message names the field as the API does; on the command line it is the flag
          io.err(err.field && FLAGS.has(err.field) ? `--${err.message}` : err.message);
          return err.code === 'BAD_INPUT' ? EXIT.usage : EXIT.failure;
        }
      });
    },
  };
}
