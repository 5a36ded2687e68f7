// `wardwatch hub user add|passwd|lock|unlock|list --config hub.yaml`: the hub's accounts, from its console.
import { makeUserCommand } from '../../shared/accounts/user-command.js';
import { withHubAccounts } from './open.js';

export const userCommand = makeUserCommand({
  group: 'hub',
  summary: 'add, list, lock, unlock users; set a password (audited)',
  usage: 'wardwatch hub user add|passwd|lock|unlock|list [--name N --role officer|operator|admin|city --ward W --display-name D --password-file F --json] --config hub.yaml',
  roles: ['officer', 'operator', 'admin', 'city'],
  withAccounts: withHubAccounts,
});
