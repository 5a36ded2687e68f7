// Review tables in the edge db: exports (who made which, how far along, where the folder is).
import type { Migration } from '../../shared/db.js';

export const reviewMigrations: readonly Migration[] = [
  `CREATE TABLE exports (
     id TEXT PRIMARY KEY,
     state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
     cameras TEXT NOT NULL,          -- JSON array of camera ids asked for
     from_ms INTEGER NOT NULL,
     to_ms INTEGER NOT NULL,
     reason TEXT,
     created_by TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     finished_at INTEGER,
     error TEXT,
     bytes INTEGER
   ) STRICT`,
];
