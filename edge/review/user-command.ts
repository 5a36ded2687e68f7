// `wardwatch edge user add|passwd|lock|unlock|list --config edge.yaml`: the ward box's own accounts (officers of
// this ward, administrators) for the review page, from the box's console; every change audited in the edge db.
import { userInfo } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, printProblems, UsageError, type Command } from '../../cli/command.js';
import { AccountError, createAccounts, generatePassword } from '../../shared/accounts/index.js';
import { createAudit } from '../../shared/audit/index.js';
import { loadEdgeConfig } from '../../shared/config/load.js';
import { openEdgeDb } from '../db.js';

const ACTIONS = ['add', 'passwd', 'lock', 'unlock', 'list'] as const;
type Action = (typeof ACTIONS)[number];
const ALLOWED: Record<Action, string[]> = {
  add: ['name', 'role', 'ward', 'display-name', 'password-file'],
  passwd: ['name', 'password-file'],
  lock: ['name'],
  unlock: ['name'],
  list: ['json'],
};

function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** `--password-file` (its first line), else a generated password printed once. */
function newPassword(file: string | undefined): { password: string; generated: boolean } {
  if (file === undefined) return { password: generatePassword(), generated: true };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--password-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (!password) throw new UsageError(`--password-file: ${file} is empty; put the password on its first line`);
  return { password, generated: false };
}

export const edgeUserCommand: Command = {
  name: 'user',
  summary: 'review page accounts on this box: add, list, lock, unlock, set a password (audited)',
  usage: 'wardwatch edge user add|passwd|lock|unlock|list [--name N --role officer|admin --ward W --display-name D --password-file F --json] --config edge.yaml',
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
    if (!values.config) throw new UsageError('missing --config edge.yaml');
    for (const key of Object.keys(values)) if (key !== 'config' && !ALLOWED[act].includes(key)) throw new UsageError(`user ${act} takes no --${key}`);
    if (act !== 'list' && !values.name) throw new UsageError('missing --name');
    if (act === 'add' && values.role !== 'officer' && values.role !== 'admin') throw new UsageError('--role: a ward box has officer and admin accounts');
    const source = act === 'add' || act === 'passwd' ? newPassword(values['password-file']) : undefined;

    const loaded = loadEdgeConfig(values.config, { requireSecrets: false });
    if (!loaded.ok) {
      printProblems(io, values.config, loaded.problems);
      return EXIT.config;
    }
    const ward = loaded.config.ward.id;
    const db = openEdgeDb(path.join(loaded.config.storage.root, 'edge.db'));
    try {
      const audit = createAudit(db);
      const accounts = createAccounts(db, { audit, wards: [ward] });
      const by = { actor: cliActor(), ip: null };
      const name = values.name ?? '';
      switch (act) {
        case 'list': {
          const users = accounts.list();
          if (values.json) io.out(JSON.stringify(users));
          else if (!users.length) io.out('no users yet; add one with `wardwatch edge user add`');
          else for (const u of users) io.out(`${u.name}\t${u.role}\t${u.ward ?? '-'}\t${u.locked ? 'locked' : u.mustChange ? 'must change password' : 'active'}\t${u.displayName}`);
          return EXIT.ok;
        }
        case 'add': {
          // an officer on this box belongs to its ward unless told otherwise (and then it must be this ward)
          const user = await accounts.addUser({ name, role: values.role!, ward: values.role === 'officer' ? (values.ward ?? ward) : values.ward, displayName: values['display-name'], password: source!.password }, by);
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
          accounts.lock(name, by);
          io.out(`locked ${name}; open sessions ended`);
          return EXIT.ok;
        case 'unlock':
          accounts.unlock(name, by);
          io.out(`unlocked ${name}`);
          return EXIT.ok;
      }
    } catch (err) {
      if (!(err instanceof AccountError)) throw err;
      io.err(err.field && ['name', 'role', 'ward'].includes(err.field) ? `--${err.message}` : err.message);
      return err.code === 'BAD_INPUT' ? EXIT.usage : EXIT.failure;
    } finally {
      db.close();
    }
  },
};
