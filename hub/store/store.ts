// The hub's store: the incident index (SQLite under the storage root, or PostgreSQL) with the files it points to.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HubConfig } from '../../shared/config/load.js';
import type { AlertKind } from '../../shared/contract/index.js';
import { openDb, type Db } from '../../shared/db.js';
import { storePaths } from './paths.js';
import { boxesOf, type WardEntry } from '../../shared/config/boxes.js';
import { sqliteSql } from '../../shared/sql/sqlite.js';
import type { SqlDatabase } from '../../shared/sql/sql.js';
import { migrateSql } from '../../shared/sql/migrate.js';
import { postgresSql } from '../../shared/sql/postgres.js';
import { hubPgMigrations } from './schema-pg.js';
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
  /**
   * the index through the async interface both SQLite and PostgreSQL take (shared/sql/): every store of the hub uses
   * it; on SQLite it is one connection used as a pool of one, so its transactions stay whole
   */
  sql: SqlDatabase;
  /**
   * SQLite's synchronous handle (better-sqlite3) on the same file, for tests and benches that seed or inspect the
   * index directly; the product never uses it. On PostgreSQL reading it throws.
   */
  readonly db: Db;
  /** storage root (clips, snapshots, the link key); every path in the index is relative to it */
  root: string;
  /** absolute path of a stored relative path */
  resolve(relative: string): string;
  /**
   * makes the wards and boxes tables match the configuration (names, each box's ward; wards and boxes stay when
   * removed, their incidents too)
   */
  syncWards(wards: readonly WardEntry[]): Promise<void>;
  getIncident(id: string): Promise<IncidentRow | undefined>;
  /** waits for statements under way, then closes the index */
  close(): Promise<void>;
}

/** Where the index is: hub.yaml `store` with the password from the secrets file. */
export type IndexLocation = { type: 'sqlite' } | { type: 'postgres'; url: string; password?: string | undefined; ca?: string | undefined; maxConnections: number };

/** The index hub.yaml's `store` names, its password and CA read. */
export function openConfiguredIndex(config: Pick<HubConfig, 'storage' | 'store' | 'secrets'>): Promise<HubStore> {
  const pg = config.store.type === 'postgres' ? config.store.postgres : undefined;
  if (!pg) return openHubIndex(config.storage.root, { type: 'sqlite' });
  return openHubIndex(config.storage.root, {
    type: 'postgres',
    url: pg.url,
    password: pg.passwordSecret === undefined ? undefined : config.secrets.get(pg.passwordSecret),
    ca: pg.caFile === undefined ? undefined : readFileSync(pg.caFile, 'utf8'),
    maxConnections: pg.maxConnections,
  });
}

/** The index that hub.yaml names: SQLite under storage.root (the default) or PostgreSQL, migrated to this version. */
export async function openHubIndex(root: string, where: IndexLocation): Promise<HubStore> {
  if (where.type === 'sqlite') return openHubStore(root);
  const sql = postgresSql({
    connection: {
      connectionString: where.url,
      password: where.password,
      max: where.maxConnections,
      ...(where.ca !== undefined && { ssl: { ca: where.ca, rejectUnauthorized: true } }),
    },
  });
  try {
    await migrateSql(sql, hubPgMigrations);
  } catch (err) {
    await sql.close().catch(() => undefined);
    throw new Error(`store.postgres: cannot open the index at ${where.url}: ${(err as Error).message}`, { cause: err });
  }
  return indexOver(sql, path.resolve(root), () => {
    throw new Error('store.db is SQLite\'s synchronous handle; this index is on PostgreSQL (use store.sql)');
  });
}

/** The SQLite index under `root` (created and migrated when new). */
export function openHubStore(root: string): HubStore {
  const absRoot = path.resolve(root);
  const db = openDb(path.join(absRoot, storePaths.db), hubMigrations);
  return indexOver(sqliteSql(db), absRoot, () => db);
}

function indexOver(sql: SqlDatabase, root: string, db: () => Db): HubStore {
  return {
    sql,
    get db() {
      return db();
    },
    root,
    resolve: (relative) => path.join(root, relative),
    syncWards: (wards) =>
      sql.tx(async (t) => {
        for (const w of wards) await t.run('INSERT INTO wards (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name', [w.id, w.name]);
        for (const b of boxesOf(wards)) {
          await t.run('INSERT INTO boxes (id, ward, name) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET ward = excluded.ward, name = excluded.name', [b.id, b.ward, b.name]);
        }
      }),
    getIncident: (id) => sql.get<IncidentRow>('SELECT * FROM incidents WHERE id = ?', [id]),
    close: () => sql.close(),
  };
}
