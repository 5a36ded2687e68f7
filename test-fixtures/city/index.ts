// The city receiver's public face for tests and the demo; run directly (`npx tsx test-fixtures/city`) it is the CLI.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export {
  ALERTS_PATH,
  startCityReceiver,
  type CityReceiver,
  type CityReceiverOptions,
  type CityStats,
  type FaultMode,
  type ReceivedAlert,
} from './receiver.js';
export {
  IDEMPOTENCY_HEADER,
  MAX_SKEW_SECONDS,
  SIGNATURE_HEADER,
  signAlert,
  signature,
  TIMESTAMP_HEADER,
  verifySignature,
} from './signature.js';

// tsx resolves the folder to this file, so argv[1] is the folder (or this file when named in full).
const here = fileURLToPath(import.meta.url);
const entry = process.argv[1] ? path.resolve(process.argv[1]) : '';
if (entry === here || entry === path.dirname(here)) await import('./cli.js');
