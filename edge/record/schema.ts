// Recording tables: the segment index, gaps, protections (event clips and evidence holds), camera status.
export const recordMigrations = [
  `CREATE TABLE segments (
     id INTEGER PRIMARY KEY,
     camera TEXT NOT NULL,
     path TEXT NOT NULL UNIQUE,
     start_ms INTEGER NOT NULL,
     end_ms INTEGER NOT NULL,
     bytes INTEGER NOT NULL
   )`,
  'CREATE INDEX segments_camera_start ON segments (camera, start_ms)',
  'CREATE INDEX segments_start ON segments (start_ms)',
  `CREATE TABLE gaps (
     id INTEGER PRIMARY KEY,
     camera TEXT NOT NULL,
     from_ms INTEGER NOT NULL,
     -- NULL while the gap is still open (the camera is not recording now)
     to_ms INTEGER,
     reason TEXT NOT NULL CHECK (reason IN ('offline', 'stalled', 'restarted', 'disk', 'shutdown'))
   )`,
  'CREATE INDEX gaps_camera_from ON gaps (camera, from_ms)',
  `CREATE TABLE protections (
     id INTEGER PRIMARY KEY,
     camera TEXT NOT NULL,
     from_ms INTEGER NOT NULL,
     to_ms INTEGER NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('event', 'hold')),
     ref TEXT,
     -- an event clip keeps its segments until then; a hold (NULL) keeps them until it is released
     keep_until_ms INTEGER,
     released_at INTEGER,
     created_by TEXT,
     created_at INTEGER NOT NULL
   )`,
  'CREATE INDEX protections_camera ON protections (camera, from_ms)',
  `CREATE TABLE camera_status (
     camera TEXT PRIMARY KEY,
     state TEXT NOT NULL,
     last_segment_at INTEGER,
     bytes_per_second REAL NOT NULL DEFAULT 0,
     updated_at INTEGER NOT NULL
   )`,
];

/**
 * An event clip is its own file (cut by copy): its segments need keeping only until it is cut. Protections that
 * older boxes made for 90 days after each clip would make a busy camera's recording undeletable.
 */
export const releaseClipProtections = "UPDATE protections SET released_at = created_at WHERE kind = 'event' AND released_at IS NULL";
