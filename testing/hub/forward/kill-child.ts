// A forwarder alone in a process, for the SIGKILL test: `tsx testing/hub/forward/kill-child.ts <json options>`.
import { silentLogger } from '../../../shared/log.js';
import { loadLinkKey } from '../../../hub/share/link-key.js';
import { openHubStore } from '../../../hub/store/store.js';
import { createForwarder } from '../../../hub/forward/forwarder.js';
import { retrievalStore } from '../test-support.js';
import { forwardConfig, rule, webhook } from './test-support.js';

const { root, url, timeoutSeconds } = JSON.parse(process.argv[2] ?? '{}') as { root: string; url: string; timeoutSeconds: number };
const store = openHubStore(root);
createForwarder({
  store,
  recordings: retrievalStore(store),
  config: forwardConfig([webhook(url, { timeoutSeconds })], [rule()]),
  linkKey: loadLinkKey(root),
  audit: async () => undefined,
  logger: silentLogger(),
});
process.stdout.write('ready\n');
// stays up until killed: the forwarder's sockets and timers keep the event loop busy
setInterval(() => undefined, 60_000);
