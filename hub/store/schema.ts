// The hub's SQLite schema (incident index, clip transfers, statuses, counters, sightings and counts), as numbered migrations.
import type { Migration } from '../../shared/db.js';
import { accountMigrations } from '../../shared/accounts/schema.js';
import { auditMigrations } from '../../shared/audit/schema.js';
import { retrievalEndStatesMigration, retrievalMigration } from './retrieval-schema.js';

/** Clip state of an incident. `expired`: retention deleted the file after clipDays. */
export const CLIP_STATES = ['none', 'receiving', 'present', 'failed', 'expired'] as const;
export type ClipState = (typeof CLIP_STATES)[number];

export const hubMigrations: readonly Migration[] = [
  `
  CREATE TABLE wards (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    last_seen_at  INTEGER            -- hub clock, last message from the ward
  ) STRICT;

  CREATE TABLE cameras (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (ward, camera)
  ) STRICT, WITHOUT ROWID;

  -- one row per event id; merged monotonically from start/update/end messages (hub/ingest/incident-merge.ts)
  CREATE TABLE incidents (
    id            TEXT PRIMARY KEY,  -- event id (ULID)
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    label         TEXT NOT NULL,
    score         REAL NOT NULL,
    top_score     REAL NOT NULL,
    box           TEXT NOT NULL,     -- JSON {x,y,w,h}, normalised
    zones         TEXT NOT NULL,     -- JSON array of zone ids
    start         INTEGER NOT NULL,  -- ms, edge clock
    end           INTEGER,           -- ms, set once by an end message
    state         TEXT NOT NULL CHECK (state IN ('open', 'ended')),
    last_msg_id   TEXT NOT NULL,     -- newest message merged (ULIDs sort by time)
    snapshot_path TEXT,              -- relative to the storage root
    snapshot_msg_id TEXT,            -- message the snapshot came from
    clip_state    TEXT NOT NULL DEFAULT 'none' CHECK (clip_state IN ('none', 'receiving', 'present', 'failed', 'expired')),
    clip_path     TEXT,              -- relative to the storage root
    clip_sha256   TEXT,
    clip_error    TEXT,
    forwarded     INTEGER NOT NULL DEFAULT 0,
    held          INTEGER NOT NULL DEFAULT 0,  -- evidence hold: retention never deletes it
    created_at    INTEGER NOT NULL,  -- hub clock
    updated_at    INTEGER NOT NULL
  ) STRICT;
  -- keyset paging by time, optionally per ward / camera / label
  CREATE INDEX incidents_start ON incidents (start, id);
  CREATE INDEX incidents_ward_start ON incidents (ward, start, id);
  CREATE INDEX incidents_camera_start ON incidents (ward, camera, start, id);
  CREATE INDEX incidents_label_start ON incidents (label, start, id);
  CREATE INDEX incidents_held ON incidents (held) WHERE held = 1;

  -- a clip on its way in: chunks land at their offsets in temp_path; one row per event
  CREATE TABLE clip_transfers (
    event_id      TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    msg_id        TEXT NOT NULL,     -- of the manifest
    manifest      TEXT NOT NULL,     -- JSON, as received
    bytes         INTEGER NOT NULL,
    chunk_bytes   INTEGER NOT NULL,
    chunks        INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    received      BLOB NOT NULL,     -- bitmap, bit n = chunk n written and fsynced
    received_count INTEGER NOT NULL,
    temp_path     TEXT NOT NULL,     -- relative to the storage root
    state         TEXT NOT NULL CHECK (state IN ('receiving', 'verifying', 'present', 'failed')),
    error         TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX clip_transfers_state ON clip_transfers (state, updated_at);

  -- msgIds already applied: a message the edge sends twice counts once
  CREATE TABLE seen_msgs (
    msg_id        TEXT PRIMARY KEY,
    seen_at       INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX seen_msgs_seen_at ON seen_msgs (seen_at);

  CREATE TABLE ward_status (
    ward          TEXT PRIMARY KEY,
    state         TEXT NOT NULL,     -- online | offline
    status        TEXT NOT NULL,     -- JSON payload as received
    at            INTEGER,           -- the payload's own time (online only)
    updated_at    INTEGER NOT NULL   -- hub clock
  ) STRICT;

  CREATE TABLE camera_status (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    state         TEXT NOT NULL,
    status        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (ward, camera)
  ) STRICT, WITHOUT ROWID;

  -- refused messages by ward and kind of reason; the last reason in full for the operator
  CREATE TABLE invalid_messages (
    ward          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    count         INTEGER NOT NULL,
    last_reason   TEXT NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (ward, kind)
  ) STRICT, WITHOUT ROWID;
  `,
  // 2: the city forwarder (hub/forward/). Rules are evaluated once per incident, when it ends.
  `
  ALTER TABLE incidents ADD COLUMN forward_checked INTEGER NOT NULL DEFAULT 0;  -- forward rules evaluated
  -- incidents that ended before the forwarder existed are not sent to the city after the fact
  UPDATE incidents SET forward_checked = 1 WHERE state = 'ended';
  CREATE INDEX incidents_forward_unchecked ON incidents (id) WHERE state = 'ended' AND forward_checked = 0;

  -- alerts on their way to a target; a row leaves only on the target's 2xx / PUBACK (then forward_delivered)
  -- or on a permanent refusal (then forward_dead)
  CREATE TABLE forward_outbox (
    key           TEXT PRIMARY KEY,  -- idempotency key: <incident>:<target>, or <incident>:<target>:unblurred
    incident_id   TEXT NOT NULL,
    target        TEXT NOT NULL,
    cause         TEXT NOT NULL CHECK (cause IN ('rule', 'share')),
    rules         TEXT,              -- JSON array of the matching rule ids (cause rule)
    shared_by     TEXT,              -- operator (cause share)
    note          TEXT,
    unblurred     INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL,  -- hub clock, ms
    last_error    TEXT,
    created_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX forward_outbox_next ON forward_outbox (next_at);

  CREATE TABLE forward_delivered (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    target        TEXT NOT NULL,
    cause         TEXT NOT NULL,
    rules         TEXT,
    shared_by     TEXT,
    note          TEXT,
    unblurred     INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    status        INTEGER,           -- HTTP status; NULL for an MQTT PUBACK
    created_at    INTEGER NOT NULL,
    delivered_at  INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX forward_delivered_incident ON forward_delivered (incident_id);

  -- refused for good (a 4xx other than 408/429): kept for the operators, with the reason
  CREATE TABLE forward_dead (
    key           TEXT PRIMARY KEY,
    incident_id   TEXT NOT NULL,
    target        TEXT NOT NULL,
    cause         TEXT NOT NULL,
    rules         TEXT,
    shared_by     TEXT,
    note          TEXT,
    unblurred     INTEGER NOT NULL,
    attempts      INTEGER NOT NULL,
    status        INTEGER,
    reason        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    dead_at       INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX forward_dead_at ON forward_dead (dead_at);
  `,
  // 3: users, failed logins, sessions (shared/accounts/); 4: the hash-chained audit log (shared/audit/).
  // Taken one by one: a later migration of either module is appended here as its own entry.
  accountMigrations[0]!,
  auditMigrations[0]!,
  // 5: the operator API's incident list (hub/api/incident-query.ts). Zones are a JSON array in incidents, which
  // no index can search: incident_zones holds one row per (zone, incident), kept by triggers, with the ward and
  // camera, so that a zone filter (alone, with a ward, with a camera) walks an index newest first and stops after
  // one page. Forwarded incidents are few: a partial index finds them without walking the rest. Which index
  // serves which filter is chosen in incident-query.ts (driverFor) and measured by bench/query.ts.
  `
  CREATE TABLE incident_zones (
    zone          TEXT NOT NULL,
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    start         INTEGER NOT NULL,
    id            TEXT NOT NULL,
    PRIMARY KEY (zone, ward, camera, start, id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX incident_zones_zone_start ON incident_zones (zone, start, id);
  CREATE INDEX incident_zones_ward_start ON incident_zones (zone, ward, start, id);
  INSERT OR IGNORE INTO incident_zones (zone, ward, camera, start, id)
    SELECT j.value, i.ward, i.camera, i.start, i.id FROM incidents i, json_each(i.zones) j WHERE j.type = 'text';
  CREATE TRIGGER incident_zones_insert AFTER INSERT ON incidents BEGIN
    INSERT OR IGNORE INTO incident_zones (zone, ward, camera, start, id)
      SELECT value, NEW.ward, NEW.camera, NEW.start, NEW.id FROM json_each(NEW.zones) WHERE type = 'text';
  END;
  CREATE TRIGGER incident_zones_update AFTER UPDATE OF zones, start, ward, camera ON incidents
    WHEN OLD.zones IS NOT NEW.zones OR OLD.start IS NOT NEW.start OR OLD.ward IS NOT NEW.ward OR OLD.camera IS NOT NEW.camera BEGIN
    DELETE FROM incident_zones WHERE zone IN (SELECT value FROM json_each(OLD.zones) WHERE type = 'text')
      AND ward = OLD.ward AND camera = OLD.camera AND start = OLD.start AND id = OLD.id;
    INSERT OR IGNORE INTO incident_zones (zone, ward, camera, start, id)
      SELECT value, NEW.ward, NEW.camera, NEW.start, NEW.id FROM json_each(NEW.zones) WHERE type = 'text';
  END;
  CREATE TRIGGER incident_zones_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM incident_zones WHERE zone IN (SELECT value FROM json_each(OLD.zones) WHERE type = 'text')
      AND ward = OLD.ward AND camera = OLD.camera AND start = OLD.start AND id = OLD.id;
  END;
  CREATE INDEX incidents_forwarded_start ON incidents (start, id) WHERE forwarded = 1;
  -- a ward's incidents of one label (e.g. the trucks of p07): the ward index alone walks every other label too
  CREATE INDEX incidents_ward_label_start ON incidents (ward, label, start, id);
  `,
  // 6: operators' retrievals of recorded ranges from the wards (hub/retrieval/)
  retrievalMigration,
  // 7: retrievals can be cancelled, and their clips expire; forward rows name their subject: an incident (the
  // id in incident_id) or a retrieved recording shared with the city (the retrieval id in incident_id)
  retrievalEndStatesMigration,
  `
  ALTER TABLE forward_outbox ADD COLUMN subject TEXT NOT NULL DEFAULT 'incident' CHECK (subject IN ('incident', 'recording'));
  ALTER TABLE forward_delivered ADD COLUMN subject TEXT NOT NULL DEFAULT 'incident' CHECK (subject IN ('incident', 'recording'));
  ALTER TABLE forward_dead ADD COLUMN subject TEXT NOT NULL DEFAULT 'incident' CHECK (subject IN ('incident', 'recording'));
  `,
  // 9: real streets (DESIGN §8): what passed each camera (sightings), counting lines per minute (counts), and the
  // alert rule behind an incident. Written by hub/ingest/sightings.ts and counts.ts, read by hub/api, pruned by
  // hub/store/retention-run.ts (retention.sightingDays, retention.countDays).
  `
  -- the rule that raised the event (event.rule); NULL for boxes before 0.2, which raise one per object
  ALTER TABLE incidents ADD COLUMN rule_id TEXT;
  ALTER TABLE incidents ADD COLUMN rule_kind TEXT;

  -- one row per sighting id: a final sighting replaces the partial ones of a long stay, never the other way round
  -- (hub/ingest/sighting-merge.ts). The thumbnail is the last column: a row read without it never touches the
  -- overflow pages that hold it.
  CREATE TABLE sightings (
    id            TEXT PRIMARY KEY,  -- ULID, stable per object
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    label         TEXT NOT NULL,
    first         INTEGER NOT NULL,  -- ms, edge clock
    last          INTEGER NOT NULL,
    score         REAL NOT NULL,     -- best score
    box           TEXT NOT NULL,     -- JSON {x,y,w,h} at best_at, normalised
    best_at       INTEGER NOT NULL,
    heading       REAL,              -- degrees clockwise from up the picture; NULL when it barely moved
    lines         TEXT NOT NULL,     -- JSON [{line, direction, at}]
    zones         TEXT NOT NULL,     -- JSON [{zone, seconds}]
    colour        TEXT,              -- vehicles only
    riders        INTEGER,
    final         INTEGER NOT NULL CHECK (final IN (0, 1)),
    updated_at    INTEGER NOT NULL,  -- hub clock
    thumbnail     BLOB               -- JPEG bytes (vehicles only), or NULL
  ) STRICT;
  -- keyset paging by (first, id), newest first: over everything, one camera, one label, one colour
  CREATE INDEX sightings_first ON sightings (first, id);
  CREATE INDEX sightings_camera_first ON sightings (ward, camera, first, id);
  CREATE INDEX sightings_label_first ON sightings (label, first, id);
  CREATE INDEX sightings_colour_first ON sightings (colour, first, id) WHERE colour IS NOT NULL;

  -- one row per line crossing, kept by triggers from sightings.lines: "what crossed line X between t1 and t2"
  -- walks (ward, camera, line, at) and stops after a page, where the JSON column would mean reading every
  -- sighting of the camera in the range
  CREATE TABLE sighting_lines (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    line          TEXT NOT NULL,
    at            INTEGER NOT NULL,  -- ms, when it crossed
    id            TEXT NOT NULL,     -- the sighting
    direction     TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
    PRIMARY KEY (ward, camera, line, at, id)
  ) STRICT, WITHOUT ROWID;
  CREATE TRIGGER sighting_lines_insert AFTER INSERT ON sightings BEGIN
    INSERT OR IGNORE INTO sighting_lines (ward, camera, line, at, id, direction)
      SELECT NEW.ward, NEW.camera, value ->> 'line', value ->> 'at', NEW.id, value ->> 'direction' FROM json_each(NEW.lines);
  END;
  CREATE TRIGGER sighting_lines_update AFTER UPDATE OF lines, ward, camera ON sightings
    WHEN OLD.lines IS NOT NEW.lines OR OLD.ward IS NOT NEW.ward OR OLD.camera IS NOT NEW.camera BEGIN
    DELETE FROM sighting_lines WHERE ward = OLD.ward AND camera = OLD.camera AND id = OLD.id
      AND (line, at) IN (SELECT value ->> 'line', value ->> 'at' FROM json_each(OLD.lines));
    INSERT OR IGNORE INTO sighting_lines (ward, camera, line, at, id, direction)
      SELECT NEW.ward, NEW.camera, value ->> 'line', value ->> 'at', NEW.id, value ->> 'direction' FROM json_each(NEW.lines);
  END;
  CREATE TRIGGER sighting_lines_delete AFTER DELETE ON sightings BEGIN
    DELETE FROM sighting_lines WHERE ward = OLD.ward AND camera = OLD.camera AND id = OLD.id
      AND (line, at) IN (SELECT value ->> 'line', value ->> 'at' FROM json_each(OLD.lines));
  END;

  -- camera-minutes a box reported, an empty one included ("watched, none counted"); msg_id is the message that
  -- holds the minute now: a newer one (ULIDs sort by time) replaces the minute's counts, a repeat or an older one
  -- changes nothing (hub/ingest/counts.ts)
  CREATE TABLE count_minutes (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    minute        INTEGER NOT NULL,  -- ms, start of the minute
    msg_id        TEXT NOT NULL,
    PRIMARY KEY (ward, camera, minute)
  ) STRICT, WITHOUT ROWID;

  -- objects counted crossing a line in one minute, per direction and label. Keyed camera, then minute: replacing a
  -- minute and reading a camera over a time range (every line, or one) are each one contiguous range of the key
  CREATE TABLE counts (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    minute        INTEGER NOT NULL,
    line          TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
    label         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (ward, camera, minute, line, direction, label)
  ) STRICT, WITHOUT ROWID;
  `,
  // 10: the district's analysis (hub/search/, hub/indicators/). Sightings are searched by a time window with a
  // place (cameras) or a kind (label, colour): two covering indexes let the filters and the total count be read from
  // the index alone, each (place or kind) prefix in time order, so a page stops early and the count never reads the
  // table. They replace the three narrower ones. Cameras get the position their box reports (camera status
  // `location`). Counts are rolled up per 15 minutes at ingest (every real UTC offset is a multiple of 15 minutes,
  // so a local hour or day is a union of quarters): a week of a camera is ~5 000 rows instead of ~80 000.
  `
  ALTER TABLE cameras ADD COLUMN lat REAL;
  ALTER TABLE cameras ADD COLUMN lon REAL;
  DROP INDEX sightings_camera_first;
  DROP INDEX sightings_label_first;
  DROP INDEX sightings_colour_first;
  CREATE INDEX sightings_place ON sightings (ward, camera, first, label, colour, heading);
  CREATE INDEX sightings_kind ON sightings (label, colour, first, ward, camera, heading);

  CREATE TABLE count_quarters (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    quarter       INTEGER NOT NULL,  -- ms, start of the 15 minutes (UTC)
    line          TEXT NOT NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('forward', 'backward')),
    label         TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (ward, camera, quarter, line, direction, label)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO count_quarters (ward, camera, quarter, line, direction, label, n)
    SELECT ward, camera, minute / 900000 * 900000, line, direction, label, sum(n) FROM counts GROUP BY 1, 2, 3, 4, 5, 6;

  -- minutes of each quarter the camera reported (an empty report included): a quarter with 15 was fully watched
  CREATE TABLE count_quarter_minutes (
    ward          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    quarter       INTEGER NOT NULL,
    minutes       INTEGER NOT NULL,
    PRIMARY KEY (ward, camera, quarter)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO count_quarter_minutes (ward, camera, quarter, minutes)
    SELECT ward, camera, minute / 900000 * 900000, count(*) FROM count_minutes GROUP BY 1, 2, 3;

  -- the last quarter of indicators pushed to each forward target (hub/forward/indicator-push.ts)
  CREATE TABLE indicator_pushes (
    target        TEXT PRIMARY KEY,
    quarter       INTEGER NOT NULL
  ) STRICT;
  `,
  // 11: the city's access (hub/city/): grants of wards or cameras to the city (every `city` account) for a time
  // window, live and/or recordings within a range, and the admin's city-wide emergency access; the city accounts'
  // RTSP Digest credentials (hub/city-rtsp/).
  `
  CREATE TABLE city_grants (
    id          TEXT PRIMARY KEY,                 -- ULID
    kind        TEXT NOT NULL CHECK (kind IN ('grant', 'emergency')),
    ward        TEXT,                             -- NULL: every ward (emergency)
    camera      TEXT,                             -- NULL: every camera of the ward (or of every ward)
    live        INTEGER NOT NULL,                 -- 1: live view (hub page relay and RTSP) allowed
    rec_from    INTEGER, rec_to INTEGER,          -- recordings retrievable in this range (ms); NULL: none (emergency: any)
    starts_at   INTEGER NOT NULL, ends_at INTEGER NOT NULL,
    reason      TEXT NOT NULL, granted_by TEXT NOT NULL, created_at INTEGER NOT NULL,
    revoked_at  INTEGER, revoked_by TEXT
  ) STRICT;
  CREATE INDEX city_grants_ends ON city_grants (ends_at);
  CREATE TABLE city_rtsp_credentials (
    user        TEXT PRIMARY KEY,                 -- a city account's name
    ha1         TEXT NOT NULL,                    -- MD5(user:realm:password), realm "wardwatch" (RTSP Digest)
    created_at  INTEGER NOT NULL
  ) STRICT;
  `,
  // 12: boxes apart from wards (docs/wards-and-boxes.md). A ward has any number of boxes; a box is the sender of
  // messages (the id in its topics). Until now every ward was one box of the same id, so the new columns start equal
  // to the ward. The status a box publishes is the box's; a camera belongs to the box that sends its data. (`box_id`
  // names a box, the machine; `incidents.box` is the object's bounding box, as it always was.)
  `
  CREATE TABLE boxes (
    id            TEXT PRIMARY KEY,
    ward          TEXT NOT NULL,
    name          TEXT NOT NULL,
    last_seen_at  INTEGER            -- hub clock, last message from the box
  ) STRICT;
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
];
