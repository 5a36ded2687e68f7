// The audit log's tables, as migrations a host appends to its own db's list (hub store, edge db).
import type { Migration } from '../db.js';

/** sha256 hex that stands before row 1: the chain starts from it. */
export const GENESIS_HASH = '0'.repeat(64);

export const auditMigrations: readonly Migration[] = [
  `
  -- append-only: ids are 1, 2, 3… without gaps, each row carries the hash of the one before (shared/audit/chain.ts)
  CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,   -- ms since the epoch
    actor      TEXT NOT NULL,      -- user name, 'cli:<os user>', or 'system'
    action     TEXT NOT NULL,      -- e.g. login, clip.view (shared/audit/actions.ts)
    target     TEXT,               -- what it was done to: user name, incident id, setting key…
    detail     TEXT,               -- canonical JSON, or NULL
    ip         TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
  ) STRICT;
  CREATE INDEX audit_actor ON audit (actor, id);
  CREATE INDEX audit_target ON audit (target, id) WHERE target IS NOT NULL;

  -- the chain's end, updated with every row: deleting the last rows leaves it pointing past them
  CREATE TABLE audit_head (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    count      INTEGER NOT NULL,
    last_id    INTEGER NOT NULL,
    last_hash  TEXT NOT NULL
  ) STRICT;
  INSERT INTO audit_head (one, count, last_id, last_hash) VALUES (1, 0, 0, '${GENESIS_HASH}');

  -- a guard against mistakes, not against an attacker with the file (the chain is for that)
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
];
