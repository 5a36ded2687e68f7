// The hub's store: the SQLite incident index under the storage root, with the files it points to.
import path from 'node:path';
import type { AlertKind } from '../../shared/contract/index.js';
import { openDb, type Db } from '../../shared/db.js';
import { storePaths } from './paths.js';
import { boxesOf, type WardEntry } from '../../shared/config/boxes.js';
import { sqliteSql } from '../../shared/sql/sqlite.js';
import type { SqlDatabase } from '../../shared/sql/sql.js';
import { hubMigrations, type ClipState } from './schema.js';

export interface IncidentRow {
  id: string;
  ward: string;
  camera: string;
  label: string;
  score: number;
  top_score: number;
  /** the object's bounding box (JSON) */
  box: string;
  zones: string;
  start: number;
  end: number | null;
  state: 'open' | 'ended';
  last_msg_id: string;
  snapshot_path: string | null;
  snapshot_msg_id: string | null;
  clip_state: ClipState;
  clip_path: string | null;
  clip_sha256: string | null;
  clip_error: string | null;
  forwarded: number;
  held: number;
  /** event.rule; NULL from boxes before 0.2 */
  rule_id: string | null;
  rule_kind: AlertKind | null;
  /** the box that sent it (NULL never after migration 12) */
  box_id: string;
  created_at: number;
  updated_at: number;
}

/** The incident's alert rule as the API and the merge see it, from its two columns. */
export function incidentRule(row: Pick<IncidentRow, 'rule_id' | 'rule_kind'>): { id: string; kind: AlertKind } | null {
  return row.rule_id !== null && row.rule_kind !== null ? { id: row.rule_id, kind: row.rule_kind } : null;
}

export interface HubStore {
  /** the index, synchronous (better-sqlite3): what the stores not yet moved onto `sql` use */
  db: Db;
  /**
   * the same index through the async interface both SQLite and PostgreSQL take (shared/sql/): the stores move onto
   * it one by one (#20); on SQLite it is one connection used as a pool of one, so its transactions stay whole
   */
  sql: SqlDatabase;
  /** storage root; every path in the db is relative to it */
  root: string;
  /** absolute path of a stored relative path */
  resolve(relative: string): string;
  /**
   * makes the wards and boxes tables match the configuration (names, each box's ward; wards and boxes stay when
   * removed, their incidents too)
   */
  syncWards(wards: readonly WardEntry[]): void;
  getIncident(id: string): Promise<IncidentRow | undefined>;
  close(): void;
}

export function openHubStore(root: string): HubStore {
  const absRoot = path.resolve(root);
  const db = openDb(path.join(absRoot, storePaths.db), hubMigrations);
  const upsertWard = db.prepare('INSERT INTO wards (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name');
  const upsertBox = db.prepare('INSERT INTO boxes (id, ward, name) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET ward = excluded.ward, name = excluded.name');
  const sql = sqliteSql(db);
  return {
    db,
    sql,
    root: absRoot,
    resolve: (relative) => path.join(absRoot, relative),
    syncWards: db.transaction((wards: readonly WardEntry[]) => {
      for (const w of wards) upsertWard.run(w.id, w.name);
      for (const b of boxesOf(wards)) upsertBox.run(b.id, b.ward, b.name);
    }),
    getIncident: (id) => sql.get<IncidentRow>('SELECT * FROM incidents WHERE id = ?', [id]),
    close: () => db.close(),
  };
}
