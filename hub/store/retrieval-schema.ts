// The hub's retrievals table: recorded ranges operators asked the wards for (migrations of hub/store/schema.ts;
// hub/retrieval/ owns the statements on it and the policy).
import type { Migration } from '../../shared/db.js';

/**
 * What the hub stores; `transferring` is not stored: it is a `cutting`/`sent` request whose clip is on its way.
 * `cancelled` by an operator before it was ready; `expired`: a ready clip removed by retention (retention.clipDays).
 */
export const STORED_RETRIEVAL_STATES = ['requested', 'sent-to-ward', 'cutting', 'sent', 'ready', 'failed', 'cancelled', 'expired'] as const;
export type StoredRetrievalState = (typeof STORED_RETRIEVAL_STATES)[number];

export const retrievalMigration: Migration = `
  CREATE TABLE retrievals (
    id            TEXT PRIMARY KEY,  -- request id (ULID); the clip travels under it as its event id
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    from_ms       INTEGER NOT NULL,
    to_ms         INTEGER NOT NULL,
    requested_by  TEXT NOT NULL,     -- operator's user name
    state         TEXT NOT NULL CHECK (state IN ('requested', 'sent-to-ward', 'cutting', 'sent', 'ready', 'failed')),
    reason        TEXT,              -- why it failed
    bytes         INTEGER,           -- clip size the ward reported
    clip_path     TEXT,              -- relative to the storage root, once ready
    clip_sha256   TEXT,
    publishes     INTEGER NOT NULL DEFAULT 0,  -- times cmd/retrieve was published
    last_published_at INTEGER,
    created_at    INTEGER NOT NULL,  -- hub clock
    updated_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX retrievals_created ON retrievals (created_at, id);
  -- requests the ward has not answered yet, resent when it comes online
  CREATE INDEX retrievals_waiting ON retrievals (ward, state) WHERE state IN ('requested', 'sent-to-ward');
  CREATE INDEX retrievals_operator ON retrievals (requested_by, state);
`;

/**
 * Cancelling and retention: two more states. SQLite cannot change a CHECK constraint in place, so the table is
 * rebuilt (in the migration's transaction) with the same columns and indexes.
 */
export const retrievalEndStatesMigration: Migration = `
  CREATE TABLE retrievals_next (
    id            TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    from_ms       INTEGER NOT NULL,
    to_ms         INTEGER NOT NULL,
    requested_by  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('requested', 'sent-to-ward', 'cutting', 'sent', 'ready', 'failed', 'cancelled', 'expired')),
    reason        TEXT,              -- why it failed, who cancelled it
    bytes         INTEGER,
    clip_path     TEXT,
    clip_sha256   TEXT,
    publishes     INTEGER NOT NULL DEFAULT 0,
    last_published_at INTEGER,
    -- cancelled after the ward had it: cmd/retrieve-cancel still to be sent (when the ward is online)
    cancel_pending INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;
  INSERT INTO retrievals_next (id, ward, camera, from_ms, to_ms, requested_by, state, reason, bytes, clip_path,
    clip_sha256, publishes, last_published_at, created_at, updated_at)
    SELECT id, ward, camera, from_ms, to_ms, requested_by, state, reason, bytes, clip_path,
    clip_sha256, publishes, last_published_at, created_at, updated_at FROM retrievals;
  DROP TABLE retrievals;
  ALTER TABLE retrievals_next RENAME TO retrievals;
  CREATE INDEX retrievals_created ON retrievals (created_at, id);
  CREATE INDEX retrievals_waiting ON retrievals (ward, state) WHERE state IN ('requested', 'sent-to-ward');
  CREATE INDEX retrievals_operator ON retrievals (requested_by, state);
  -- retention: ready clips by age
  CREATE INDEX retrievals_ready ON retrievals (updated_at) WHERE state = 'ready';
  CREATE INDEX retrievals_cancel_pending ON retrievals (ward) WHERE cancel_pending = 1;
`;
