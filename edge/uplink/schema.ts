// Outbox tables: every message for the hub is a row here before it is published, and leaves only on PUBACK.
export const uplinkMigrations = [
  `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     topic TEXT NOT NULL,
     payload BLOB NOT NULL,
     retain INTEGER NOT NULL DEFAULT 0,
     -- set on a clip manifest: its PUBACK lets that clip's chunks go
     clip_event_id TEXT,
     created_at INTEGER NOT NULL
   )`,
  `CREATE TABLE clip_uploads (
     event_id TEXT PRIMARY KEY,
     camera TEXT NOT NULL,
     path TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     sha256 TEXT NOT NULL,
     chunk_bytes INTEGER NOT NULL,
     chunks INTEGER NOT NULL,
     manifest_acked INTEGER NOT NULL DEFAULT 0,
     -- every chunk below this one has been acknowledged by the hub
     next_chunk INTEGER NOT NULL DEFAULT 0,
     state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
     error TEXT,
     created_at INTEGER NOT NULL
   )`,
];
