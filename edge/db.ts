// The ward box's one SQLite database. Migrations of every edge module, in the order they were added:
// append only — a migration's number is its position in this list.
import { openDb, type Db, type Migration } from '../shared/db.js';
import { recordMigrations } from './record/schema.js';
import { uplinkMigrations } from './uplink/schema.js';

export const edgeMigrations: readonly Migration[] = [...uplinkMigrations, ...recordMigrations];

export function openEdgeDb(file: string): Db {
  return openDb(file, edgeMigrations);
}
