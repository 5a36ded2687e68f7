// Opens the hub's accounts and audit log from hub.yaml for the administrator's commands.
import { EXIT, printProblems, type Output } from '../../shared/command.js';
import { cliActor } from '../../shared/accounts/user-command.js';
import { createAccounts, type Accounts } from '../../shared/accounts/index.js';
import { createAudit, type Audit, type AuditContext } from '../../shared/audit/index.js';
import { loadHubConfig } from '../../shared/config/load.js';
import { openConfiguredIndex } from '../store/store.js';

export interface HubAccounts {
  accounts: Accounts;
  audit: Audit;
  /** who runs the command, as the audit log names them */
  by: AuditContext;
}


/** Runs `fn` with the hub's accounts open, closing the store after; a bad hub.yaml is exit 78 with every problem. */
export async function withHubAccounts(configFile: string, io: Output, fn: (hub: HubAccounts) => Promise<number>): Promise<number> {
  const loaded = loadHubConfig(configFile);
  if (!loaded.ok) {
    printProblems(io, configFile, loaded.problems);
    return EXIT.config;
  }
  const store = await openConfiguredIndex(loaded.config);
  try {
    const audit = createAudit(store.sql);
    const accounts = createAccounts(store.sql, { audit, wards: loaded.config.wards.map((w) => w.id) });
    return await fn({ accounts, audit, by: { actor: cliActor(), ip: null } });
  } finally {
    await store.close();
  }
}
