// Outbox tables: every message for the hub is a row here before it is published, and leaves only when the hub confirms it.
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

/**
 * 0.3, end-to-end acknowledgement: each row's `msgId` (a message leaves when the hub acks that id, `cmd/ack`) and what
 * the hub said about how it confirms delivery (`cmd/delivery`). Rows queued before keep their id from the payload.
 */
export const outboxMsgIdMigration = `ALTER TABLE outbox ADD COLUMN msg_id TEXT;
  UPDATE outbox SET msg_id = CASE WHEN json_valid(CAST(payload AS TEXT)) THEN json_extract(CAST(payload AS TEXT), '$.msgId') END;
  CREATE INDEX outbox_msg_id ON outbox (msg_id) WHERE msg_id IS NOT NULL;
  CREATE TABLE uplink_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)`;

/** Every uplink migration in order: the tables of a db that holds only the outbox (tests). */
export const uplinkTables = [...uplinkMigrations, outboxMsgIdMigration];
