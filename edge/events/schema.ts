// Events table: one row per event, its lifecycle state, and where its snapshot and clip are.
export const eventMigrations = [
  `CREATE TABLE events (
     id TEXT PRIMARY KEY,
     camera TEXT NOT NULL,
     label TEXT NOT NULL,
     score REAL NOT NULL,
     top_score REAL NOT NULL,
     -- best box so far, normalised {x, y, w, h}, JSON
     box TEXT NOT NULL,
     -- zone ids entered, JSON array
     zones TEXT NOT NULL,
     start_ms INTEGER NOT NULL,
     last_seen_ms INTEGER NOT NULL,
     best_at_ms INTEGER NOT NULL,
     -- set when the event has ended (and its end message is queued)
     end_ms INTEGER,
     state TEXT NOT NULL CHECK (state IN ('open', 'ended')),
     snapshot_path TEXT,
     -- pending: waiting for the post-roll to be recorded; missing: no recording covers it
     clip_state TEXT NOT NULL DEFAULT 'pending' CHECK (clip_state IN ('pending', 'done', 'missing')),
     clip_path TEXT,
     clip_bytes INTEGER,
     clip_start_ms INTEGER,
     clip_end_ms INTEGER,
     updated_at INTEGER NOT NULL
   )`,
  'CREATE INDEX events_camera_start ON events (camera, start_ms)',
  "CREATE INDEX events_unfinished ON events (state, clip_state) WHERE state = 'open' OR clip_state = 'pending'",
];

/** Alerts: the rule that raised the event (NULL for the per-object events of older versions). */
export const alertRuleColumns = ['ALTER TABLE events ADD COLUMN rule_id TEXT', 'ALTER TABLE events ADD COLUMN rule_kind TEXT'];

/** Counting lines: one row per camera-minute, line, direction and label (minutes with no crossing have none). */
export const lineCountsMigrations = [
  `CREATE TABLE line_counts (
     camera TEXT NOT NULL,
     minute INTEGER NOT NULL,
     line TEXT NOT NULL,
     direction TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
     label TEXT NOT NULL,
     n INTEGER NOT NULL,
     PRIMARY KEY (camera, minute, line, direction, label)
   ) WITHOUT ROWID`,
  'CREATE INDEX line_counts_minute ON line_counts (minute)',
];
