// The ward box's retrievals table: every cmd/retrieve it received, so a repeated one does nothing new.
import type { Migration } from '../../shared/db.js';

export const remoteMigration: Migration = `CREATE TABLE retrievals (
  request_id   TEXT PRIMARY KEY,   -- the hub's request id (ULID), also the clip's event id
  camera       TEXT NOT NULL,
  from_ms      INTEGER NOT NULL,
  to_ms        INTEGER NOT NULL,
  requested_by TEXT NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('cutting', 'sent', 'failed')),
  reason       TEXT,
  path         TEXT,               -- the cut clip, until its upload is done
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT`;
