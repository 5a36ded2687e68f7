// `wardwatch edge user add|passwd|lock|unlock|list --config edge.yaml`: the ward box's own accounts (officers of
// this ward, administrators) for the review page, from the box's console; every change audited in the edge db.
import path from 'node:path';
import { EXIT, printProblems, type Output } from '../shared/command.js';
import { cliActor, makeUserCommand, type OpenAccounts } from '../shared/accounts/user-command.js';
import { createAccounts } from '../shared/accounts/index.js';
import { createAudit } from '../shared/audit/index.js';
import { loadEdgeConfig } from '../shared/config/load.js';
import { sqliteSql } from '../shared/sql/sqlite.js';
import { openEdgeDb } from './db.js';

async function withEdgeAccounts(configFile: string, io: Output, fn: (open: OpenAccounts) => Promise<number>): Promise<number> {
  const loaded = loadEdgeConfig(configFile, { requireSecrets: false });
  if (!loaded.ok) {
    printProblems(io, configFile, loaded.problems);
    return EXIT.config;
  }
  const ward = loaded.config.ward.id;
  const db = openEdgeDb(path.join(loaded.config.storage.root, 'edge.db'));
  try {
    const sql = sqliteSql(db);
    const accounts = createAccounts(sql, { audit: createAudit(sql), wards: [ward] });
    // an officer on this box belongs to its ward unless told otherwise (and then it must be this ward)
    return await fn({ accounts, by: { actor: cliActor(), ip: null }, defaultWard: ward });
  } finally {
    db.close();
  }
}

export const edgeUserCommand = makeUserCommand({
  group: 'edge',
  summary: 'review page accounts on this box: add, list, lock, unlock, set a password (audited)',
  usage: 'wardwatch edge user add|passwd|lock|unlock|list [--name N --role officer|admin --ward W --display-name D --password-file F --json] --config edge.yaml',
  roles: ['officer', 'admin'],
  withAccounts: withEdgeAccounts,
});
