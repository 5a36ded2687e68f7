// The accounts tables (users, failed logins, sessions), as migrations a host appends to its own db's list.
import type { Migration } from '../db.js';

export const accountMigrations: readonly Migration[] = [
  `
  CREATE TABLE users (
    name          TEXT PRIMARY KEY,          -- login name (USER_NAME_PATTERN)
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'operator', 'admin', 'city')),
    ward          TEXT,                      -- officers only: the one ward they may see
    password_hash TEXT NOT NULL,             -- shared/scrypt.ts format
    must_change   INTEGER NOT NULL DEFAULT 1, -- any initial password must be changed at first login
    locked        INTEGER NOT NULL DEFAULT 0, -- locked by an administrator until unlocked
    locked_until  INTEGER,                   -- unused: failed logins now lock a name per address, in memory (throttle.ts)
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((role = 'officer') = (ward IS NOT NULL))
  ) STRICT;

  -- unused: failed logins are counted in memory per (name, address) (login-throttle.ts); kept, as a migration
  -- of its own would have to be appended by every host
  CREATE TABLE login_failures (
    user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    ip            TEXT
  ) STRICT;
  CREATE INDEX login_failures_user ON login_failures (user_name, at);

  CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,          -- sha256 hex of the cookie value; the value itself is never stored
    user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,             -- sent back in x-csrf-token on every state-changing request
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    ip            TEXT
  ) STRICT;
  CREATE INDEX sessions_user ON sessions (user_name);
  `,
];
