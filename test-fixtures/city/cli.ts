// The city receiver's command line, for the demo: `npx tsx test-fixtures/city --secret S [--port P] [--file alerts.jsonl] [--slow-ms N]`.
import { parseArgs } from 'node:util';
import { createLogger } from '../../shared/log.js';
import { startCityReceiver } from './receiver.js';

const USAGE = 'usage: tsx test-fixtures/city --secret <secret> [--port <port>] [--file <alerts.jsonl>] [--slow-ms <ms>]';

const { values } = parseArgs({
  options: {
    secret: { type: 'string' },
    port: { type: 'string', default: '0' },
    file: { type: 'string' },
    'slow-ms': { type: 'string', default: '3000' },
  },
});
// The secret may come from the environment so that it stays out of `ps` output.
const secret = values.secret ?? process.env.WARDWATCH_CITY_SECRET;
const port = Number(values.port);
const slowMs = Number(values['slow-ms']);
if (!secret || !Number.isInteger(port) || port < 0 || port > 65535 || !Number.isFinite(slowMs)) {
  console.error(USAGE);
  process.exit(64);
}

const log = createLogger({ name: 'city' });
const receiver = await startCityReceiver({ secret, port, file: values.file, slowMs, logger: log });
log.info({ url: receiver.url, file: values.file ?? null }, 'city receiver listening');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info(receiver.stats(), 'city receiver stopping');
    void receiver.stop().then(() => process.exit(0));
  });
}
