// The hub's schema in PostgreSQL dialect (store.type: postgres): migration 1 is the SQLite migrations 1–11 of
// hub/store/schema.ts folded into the shape they end with; each later SQLite migration N has its twin here as
// migration N − 10. hub/store/schema-pg.test.ts fails, naming the table and the columns, when the two drift apart.
//
// Translation rules (shared/sql/sql.ts): INTEGER → BIGINT, REAL → DOUBLE PRECISION, BLOB → BYTEA, TEXT stays;
// STRICT and WITHOUT ROWID have no equivalent (PostgreSQL types are strict; a table is a heap plus its primary key
// index); "end" and "user" are quoted; SQLite's json_each triggers are PL/pgSQL over jsonb_array_elements (the JSON
// columns stay TEXT, so every engine reads and writes the same strings).
import type { SqlMigration } from '../../shared/sql/migrate.js';
import { GENESIS_HASH } from '../../shared/audit/schema.js';

/** How many of hub/store/schema.ts's hubMigrations migration 1 folds; the test holds the two to it. */
export const FOLDED_SQLITE_MIGRATIONS = 11;

const folded = `
  CREATE TABLE wards (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    last_seen_at  BIGINT
  );

  CREATE TABLE cameras (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    lat           DOUBLE PRECISION,
    lon           DOUBLE PRECISION,
    PRIMARY KEY (ward, camera)
  );

  CREATE TABLE incidents (
    id            TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    label         TEXT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    top_score     DOUBLE PRECISION NOT NULL,
    box           TEXT NOT NULL,
    zones         TEXT NOT NULL,
    start         BIGINT NOT NULL,
    "end"         BIGINT,
    state         TEXT NOT NULL CHECK (state IN ('open', 'ended')),
    last_msg_id   TEXT NOT NULL,
    snapshot_path TEXT,
    snapshot_msg_id TEXT,
    clip_state    TEXT NOT NULL DEFAULT 'none' CHECK (clip_state IN ('none', 'receiving', 'present', 'failed', 'expired')),
    clip_path     TEXT,
    clip_sha256   TEXT,
    clip_error    TEXT,
    forwarded     BIGINT NOT NULL DEFAULT 0,
    held          BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    forward_checked BIGINT NOT NULL DEFAULT 0,
    rule_id       TEXT,
    rule_kind     TEXT
  );
  CREATE INDEX incidents_start ON incidents (start, id);
  CREATE INDEX incidents_ward_start ON incidents (ward, start, id);
  CREATE INDEX incidents_camera_start ON incidents (ward, camera, start, id);
  CREATE INDEX incidents_label_start ON incidents (label, start, id);
  CREATE INDEX incidents_held ON incidents (held) WHERE held = 1;
  CREATE INDEX incidents_forward_unchecked ON incidents (id) WHERE state = 'ended' AND forward_checked = 0;
  CREATE INDEX incidents_forwarded_start ON incidents (start, id) WHERE forwarded = 1;
  CREATE INDEX incidents_ward_label_start ON incidents (ward, label, start, id);

  CREATE TABLE clip_transfers (
    event_id      TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    msg_id        TEXT NOT NULL,
    manifest      TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    chunk_bytes   BIGINT NOT NULL,
    chunks        BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    received      BYTEA NOT NULL,
    received_count BIGINT NOT NULL,
    temp_path     TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('receiving', 'verifying', 'present', 'failed')),
    error         TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
  );
  CREATE INDEX clip_transfers_state ON clip_transfers (state, updated_at);

  CREATE TABLE seen_msgs (
    msg_id        TEXT PRIMARY KEY,
    seen_at       BIGINT NOT NULL
  );
  CREATE INDEX seen_msgs_seen_at ON seen_msgs (seen_at);

  CREATE TABLE ward_status (
    ward          TEXT PRIMARY KEY,
    state         TEXT NOT NULL,
    status        TEXT NOT NULL,
    at            BIGINT,
    updated_at    BIGINT NOT NULL
  );

  CREATE TABLE camera_status (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    state         TEXT NOT NULL,
    status        TEXT NOT NULL,
    at            BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (ward, camera)
  );

  CREATE TABLE invalid_messages (
    ward          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    count         BIGINT NOT NULL,
    last_reason   TEXT NOT NULL,
    last_at       BIGINT NOT NULL,
    PRIMARY KEY (ward, kind)
  );

  CREATE TABLE forward_outbox (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    target        TEXT NOT NULL,
    cause         TEXT NOT NULL CHECK (cause IN ('rule', 'share')),
    rules         TEXT,
    shared_by     TEXT,
    note          TEXT,
    unblurred     BIGINT NOT NULL DEFAULT 0,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    subject       TEXT NOT NULL DEFAULT 'incident' CHECK (subject IN ('incident', 'recording'))
  );
  CREATE INDEX forward_outbox_next ON forward_outbox (next_at);

  CREATE TABLE forward_delivered (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    target        TEXT NOT NULL,
    cause         TEXT NOT NULL,
    rules         TEXT,
    shared_by     TEXT,
    note          TEXT,
    unblurred     BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    status        BIGINT,
    created_at    BIGINT NOT NULL,
    delivered_at  BIGINT NOT NULL,
    subject       TEXT NOT NULL DEFAULT 'incident' CHECK (subject IN ('incident', 'recording'))
  );
  CREATE INDEX forward_delivered_incident ON forward_delivered (incident_id);

  CREATE TABLE forward_dead (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    target        TEXT NOT NULL,
    cause         TEXT NOT NULL,
    rules         TEXT,
    shared_by     TEXT,
    note          TEXT,
    unblurred     BIGINT NOT NULL,
    attempts      BIGINT NOT NULL,
    status        BIGINT,
    reason        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    dead_at       BIGINT NOT NULL,
    subject       TEXT NOT NULL DEFAULT 'incident' CHECK (subject IN ('incident', 'recording'))
  );
  CREATE INDEX forward_dead_at ON forward_dead (dead_at);

  -- shared/accounts/schema.ts
  CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'operator', 'admin', 'city')),
    ward          TEXT,
    password_hash TEXT NOT NULL,
    must_change   BIGINT NOT NULL DEFAULT 1,
    locked        BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CHECK ((role = 'officer') = (ward IS NOT NULL))
  );
  CREATE TABLE login_failures (
    user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    at            BIGINT NOT NULL,
    ip            TEXT
  );
  CREATE INDEX login_failures_user ON login_failures (user_name, at);
  CREATE TABLE sessions (
    id_hash       TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    ip            TEXT
  );
  CREATE INDEX sessions_user ON sessions (user_name);

  -- shared/audit/schema.ts: ids are given by the writer (1, 2, 3… without gaps), not by a sequence
  CREATE TABLE audit (
    id         BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT,
    detail     TEXT,
    ip         TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
  );
  CREATE INDEX audit_actor ON audit (actor, id);
  CREATE INDEX audit_target ON audit (target, id) WHERE target IS NOT NULL;
  CREATE TABLE audit_head (
    one        BIGINT PRIMARY KEY CHECK (one = 1),
    count      BIGINT NOT NULL,
    last_id    BIGINT NOT NULL,
    last_hash  TEXT NOT NULL
  );
  INSERT INTO audit_head (one, count, last_id, last_hash) VALUES (1, 0, 0, '${GENESIS_HASH}');
  CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
  END $f$;
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();

  -- one row per (zone, incident), kept by triggers from incidents.zones (a JSON array; its strings are zone ids)
  CREATE TABLE incident_zones (
    zone          TEXT NOT NULL,
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    start         BIGINT NOT NULL,
    id            TEXT NOT NULL,
    PRIMARY KEY (zone, ward, camera, start, id)
  );
  CREATE INDEX incident_zones_zone_start ON incident_zones (zone, start, id);
  CREATE INDEX incident_zones_ward_start ON incident_zones (zone, ward, start, id);
  CREATE FUNCTION incident_zones_sync() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      DELETE FROM incident_zones WHERE zone IN (
          SELECT e #>> '{}' FROM jsonb_array_elements(OLD.zones::jsonb) AS e WHERE jsonb_typeof(e) = 'string')
        AND ward = OLD.ward AND camera = OLD.camera AND start = OLD.start AND id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO incident_zones (zone, ward, camera, start, id)
        SELECT e #>> '{}', NEW.ward, NEW.camera, NEW.start, NEW.id
        FROM jsonb_array_elements(NEW.zones::jsonb) AS e WHERE jsonb_typeof(e) = 'string'
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END $f$;
  CREATE TRIGGER incident_zones_insert AFTER INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION incident_zones_sync();
  CREATE TRIGGER incident_zones_update AFTER UPDATE OF zones, start, ward, camera ON incidents FOR EACH ROW
    WHEN (OLD.zones IS DISTINCT FROM NEW.zones OR OLD.start IS DISTINCT FROM NEW.start
      OR OLD.ward IS DISTINCT FROM NEW.ward OR OLD.camera IS DISTINCT FROM NEW.camera)
    EXECUTE FUNCTION incident_zones_sync();
  CREATE TRIGGER incident_zones_delete AFTER DELETE ON incidents FOR EACH ROW EXECUTE FUNCTION incident_zones_sync();

  -- hub/store/retrieval-schema.ts, with its end states
  CREATE TABLE retrievals (
    id            TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    from_ms       BIGINT NOT NULL,
    to_ms         BIGINT NOT NULL,
    requested_by  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('requested', 'sent-to-ward', 'cutting', 'sent', 'ready', 'failed', 'cancelled', 'expired')),
    reason        TEXT,
    bytes         BIGINT,
    clip_path     TEXT,
    clip_sha256   TEXT,
    publishes     BIGINT NOT NULL DEFAULT 0,
    last_published_at BIGINT,
    cancel_pending BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
  );
  CREATE INDEX retrievals_created ON retrievals (created_at, id);
  CREATE INDEX retrievals_waiting ON retrievals (ward, state) WHERE state IN ('requested', 'sent-to-ward');
  CREATE INDEX retrievals_operator ON retrievals (requested_by, state);
  CREATE INDEX retrievals_ready ON retrievals (updated_at) WHERE state = 'ready';
  CREATE INDEX retrievals_cancel_pending ON retrievals (ward) WHERE cancel_pending = 1;

  CREATE TABLE sightings (
    id            TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    label         TEXT NOT NULL,
    first         BIGINT NOT NULL,
    last          BIGINT NOT NULL,
    score         DOUBLE PRECISION NOT NULL,
    box           TEXT NOT NULL,
    best_at       BIGINT NOT NULL,
    heading       DOUBLE PRECISION,
    lines         TEXT NOT NULL,
    zones         TEXT NOT NULL,
    colour        TEXT,
    riders        BIGINT,
    final         BIGINT NOT NULL CHECK (final IN (0, 1)),
    updated_at    BIGINT NOT NULL,
    thumbnail     BYTEA
  );
  CREATE INDEX sightings_first ON sightings (first, id);
  CREATE INDEX sightings_place ON sightings (ward, camera, first, label, colour, heading);
  CREATE INDEX sightings_kind ON sightings (label, colour, first, ward, camera, heading);

  -- one row per line crossing, kept by triggers from sightings.lines (JSON [{line, direction, at}])
  CREATE TABLE sighting_lines (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    line          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    id            TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
    PRIMARY KEY (ward, camera, line, at, id)
  );
  CREATE FUNCTION sighting_lines_sync() RETURNS trigger LANGUAGE plpgsql AS $f$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      DELETE FROM sighting_lines WHERE ward = OLD.ward AND camera = OLD.camera AND id = OLD.id
        AND (line, at) IN (SELECT e ->> 'line', (e ->> 'at')::bigint FROM jsonb_array_elements(OLD.lines::jsonb) AS e);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      INSERT INTO sighting_lines (ward, camera, line, at, id, direction)
        SELECT NEW.ward, NEW.camera, e ->> 'line', (e ->> 'at')::bigint, NEW.id, e ->> 'direction'
        FROM jsonb_array_elements(NEW.lines::jsonb) AS e
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
  END $f$;
  CREATE TRIGGER sighting_lines_insert AFTER INSERT ON sightings FOR EACH ROW EXECUTE FUNCTION sighting_lines_sync();
  CREATE TRIGGER sighting_lines_update AFTER UPDATE OF lines, ward, camera ON sightings FOR EACH ROW
    WHEN (OLD.lines IS DISTINCT FROM NEW.lines OR OLD.ward IS DISTINCT FROM NEW.ward OR OLD.camera IS DISTINCT FROM NEW.camera)
    EXECUTE FUNCTION sighting_lines_sync();
  CREATE TRIGGER sighting_lines_delete AFTER DELETE ON sightings FOR EACH ROW EXECUTE FUNCTION sighting_lines_sync();

  CREATE TABLE count_minutes (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    minute        BIGINT NOT NULL,
    msg_id        TEXT NOT NULL,
    PRIMARY KEY (ward, camera, minute)
  );

  CREATE TABLE counts (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    minute        BIGINT NOT NULL,
    line          TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
    label         TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (ward, camera, minute, line, direction, label)
  );

  CREATE TABLE count_quarters (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    quarter       BIGINT NOT NULL,
    line          TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
    label         TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (ward, camera, quarter, line, direction, label)
  );

  CREATE TABLE count_quarter_minutes (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    quarter       BIGINT NOT NULL,
    minutes       BIGINT NOT NULL,
    PRIMARY KEY (ward, camera, quarter)
  );

  CREATE TABLE indicator_pushes (
    target        TEXT PRIMARY KEY,
    quarter       BIGINT NOT NULL
  );

  CREATE TABLE city_grants (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('grant', 'emergency')),
    ward        TEXT,
    camera      TEXT,
    live        BIGINT NOT NULL,
    rec_from    BIGINT, rec_to BIGINT,
    starts_at   BIGINT NOT NULL, ends_at BIGINT NOT NULL,
    reason      TEXT NOT NULL, granted_by TEXT NOT NULL, created_at BIGINT NOT NULL,
    revoked_at  BIGINT, revoked_by TEXT
  );
  CREATE INDEX city_grants_ends ON city_grants (ends_at);
  CREATE TABLE city_rtsp_credentials (
    "user"      TEXT PRIMARY KEY,
    ha1         TEXT NOT NULL,
    created_at  BIGINT NOT NULL
  );
`;

export const hubPgMigrations: readonly SqlMigration[] = [
  { name: 'the SQLite migrations 1–11 folded', up: folded },
  {
    // SQLite migration 12: boxes apart from wards (docs/wards-and-boxes.md); the new columns start equal to the ward
    name: 'boxes apart from wards',
    up: `
    CREATE TABLE boxes (
      id            TEXT PRIMARY KEY,
      ward          TEXT NOT NULL,
      name          TEXT NOT NULL,
      last_seen_at  BIGINT
    );
    INSERT INTO boxes (id, ward, name, last_seen_at) SELECT id, id, name, last_seen_at FROM wards;
    ALTER TABLE ward_status RENAME TO box_status;
    ALTER TABLE box_status RENAME COLUMN ward TO box_id;
    ALTER TABLE cameras ADD COLUMN box_id TEXT;
    UPDATE cameras SET box_id = ward;
    ALTER TABLE incidents ADD COLUMN box_id TEXT;
    UPDATE incidents SET box_id = ward;
    ALTER TABLE clip_transfers ADD COLUMN box_id TEXT;
    UPDATE clip_transfers SET box_id = ward;
    ALTER TABLE invalid_messages RENAME COLUMN ward TO box_id;
    `,
  },
];
