// The ward box's one SQLite database. Migrations of every edge module, in the order they were added:
// append only — a migration's number is its position in this list. The module lists spread here are frozen;
// a module's next migration is appended at the END of this list as its own entry, never to its module's list.
import { accountMigrations } from '../shared/accounts/index.js';
import { auditMigrations } from '../shared/audit/index.js';
import { openDb, type Db, type Migration } from '../shared/db.js';
import { alertRuleColumns, eventMigrations, lineCountsMigrations } from './events/schema.js';
import { recordMigrations, releaseClipProtections } from './record/schema.js';
import { remoteMigration } from './remote/schema.js';
import { reviewMigrations } from './review/schema.js';
import { outboxMsgIdMigration, uplinkMigrations } from './uplink/schema.js';

export const edgeMigrations: readonly Migration[] = [...uplinkMigrations, ...recordMigrations, ...eventMigrations, accountMigrations[0]!, auditMigrations[0]!, reviewMigrations[0]!, remoteMigration,
  // 0.2, the street: alerts carry their rule, counts are kept, clips no longer pin their segments for 90 days
  ...alertRuleColumns, ...lineCountsMigrations, releaseClipProtections,
  // 0.3, end-to-end acknowledgement: a message leaves the outbox when the hub says it committed it
  outboxMsgIdMigration];

export function openEdgeDb(file: string): Db {
  return openDb(file, edgeMigrations);
}
