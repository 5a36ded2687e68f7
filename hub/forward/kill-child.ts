// A forwarder alone in a process, for the SIGKILL test: `tsx hub/forward/kill-child.ts <json options>`.
import { silentLogger } from '../../shared/log.js';
import { loadLinkKey } from '../share/link-key.js';
import { openHubStore } from '../store/store.js';
import { createForwarder } from './forwarder.js';
import { forwardConfig, rule, webhook } from './test-support.js';

const { root, url, timeoutSeconds } = JSON.parse(process.argv[2] ?? '{}') as { root: string; url: string; timeoutSeconds: number };
const store = openHubStore(root);
createForwarder({
  store,
  config: forwardConfig([webhook(url, { timeoutSeconds })], [rule()]),
  linkKey: loadLinkKey(root),
  audit: () => undefined,
  logger: silentLogger(),
});
process.stdout.write('ready\n');
// stays up until killed: the forwarder's sockets and timers keep the event loop busy
setInterval(() => undefined, 60_000);
