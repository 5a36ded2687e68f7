// The PostgreSQL schema against the SQLite one: the same tables with the same columns, so the two cannot drift
// apart silently; and the PL/pgSQL twins of SQLite's triggers doing what those do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../../testing/postgres.js';
import { openDb } from '../../shared/db.js';
import { migrateSql } from '../../shared/sql/migrate.js';
import { postgresSql } from '../../shared/sql/postgres.js';
import type { SqlDatabase } from '../../shared/sql/sql.js';
import { FOLDED_SQLITE_MIGRATIONS, hubPgMigrations } from './schema-pg.js';
import { hubMigrations } from './schema.js';

const noPostgres = skipWithoutPostgres('hub/store/schema-pg.test.ts');
let server: TestPostgres;
let db: SqlDatabase;
beforeAll(async () => {
  if (noPostgres) return;
  server = await startPostgres();
  db = postgresSql({ connection: await server.createDatabase() });
  await migrateSql(db, hubPgMigrations);
}, 30_000);
afterAll(async () => {
  await db?.close();
  await server?.close();
});

type Columns = Map<string, string[]>;

/** The SQLite migrations that have a PostgreSQL counterpart: the folded ones, then one for each later PG migration. */
const twinned = FOLDED_SQLITE_MIGRATIONS + hubPgMigrations.length - 1;

function sqliteColumns(migrationCount: number): Columns {
  const lite = openDb(':memory:', hubMigrations.slice(0, migrationCount));
  const tables = lite.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all();
  const columns: Columns = new Map(tables.map(({ name }) => [name, lite.prepare<[string], { name: string }>('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(name).map((c) => c.name)]));
  lite.close();
  return columns;
}

async function postgresColumns(): Promise<Columns> {
  const rows = await db.all<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position",
  );
  const columns: Columns = new Map();
  for (const r of rows) columns.set(r.table_name, [...(columns.get(r.table_name) ?? []), r.column_name]);
  return columns;
}

/** Each difference as a sentence naming the table, the columns and the fix. */
function differences(lite: Columns, pg: Columns): string[] {
  const out: string[] = [];
  for (const [table, cols] of lite) {
    const pgCols = pg.get(table);
    if (!pgCols) {
      out.push(`table ${table} (${cols.join(', ')}) is in SQLite only: create it in hub/store/schema-pg.ts`);
      continue;
    }
    const missing = cols.filter((c) => !pgCols.includes(c));
    const extra = pgCols.filter((c) => !cols.includes(c));
    if (missing.length) out.push(`${table}: PostgreSQL lacks ${missing.join(', ')}: add to hub/store/schema-pg.ts`);
    if (extra.length) out.push(`${table}: PostgreSQL has ${extra.join(', ')} that SQLite lacks: remove from hub/store/schema-pg.ts, or add to hub/store/schema.ts`);
  }
  for (const table of pg.keys()) if (!lite.has(table)) out.push(`table ${table} is in PostgreSQL only: drop it from hub/store/schema-pg.ts, or add it to hub/store/schema.ts`);
  return out;
}

describe.skipIf(noPostgres)('hub schema on PostgreSQL', () => {
  it('has the tables and columns SQLite has after the same migrations, table by table', async () => {
    const diff = differences(sqliteColumns(twinned), await postgresColumns());
    if (diff.length) console.log(`hub/store/schema-pg.ts differs from hub/store/schema.ts:\n  ${diff.join('\n  ')}`);
    expect(diff).toEqual([]);
  });

  it('has a PostgreSQL migration for every SQLite migration', async () => {
    let why = '';
    if (hubMigrations.length > twinned) {
      const diff = differences(sqliteColumns(hubMigrations.length), await postgresColumns());
      why = `hub/store/schema.ts has SQLite migrations ${twinned + 1}–${hubMigrations.length} with no PostgreSQL twin: append one to hubPgMigrations in hub/store/schema-pg.ts for each. It would need:\n  ${diff.join('\n  ') || '(no column change)'}`;
      console.log(why);
    }
    expect(hubMigrations.length, why).toBe(twinned);
  });

  it('keeps incident_zones from incidents.zones, as the SQLite triggers do', async () => {
    const insert =
      "INSERT INTO incidents (id, ward, camera, label, score, top_score, box, zones, start, state, last_msg_id, created_at, updated_at) VALUES (?, 'p07', 'cam1', 'person', 0.9, 0.9, '{}', ?, ?, 'open', 'm1', 1, 1)";
    const zones = () => db.all<{ zone: string; start: number }>('SELECT zone, start FROM incident_zones WHERE id = ? ORDER BY zone', ['i1']);
    await db.run(insert, ['i1', '["gate", "yard", 7]', 1_780_000_000_000]);
    expect(await zones()).toEqual([
      { zone: 'gate', start: 1_780_000_000_000 },
      { zone: 'yard', start: 1_780_000_000_000 },
    ]);
    await db.run('UPDATE incidents SET zones = ?, "end" = ? WHERE id = ?', ['["yard", "road"]', 1_780_000_060_000, 'i1']);
    expect((await zones()).map((z) => z.zone)).toEqual(['road', 'yard']);
    await db.run('DELETE FROM incidents WHERE id = ?', ['i1']);
    expect(await zones()).toEqual([]);
  });

  it('keeps sighting_lines from sightings.lines, as the SQLite triggers do', async () => {
    const lines = () => db.all('SELECT line, at, direction FROM sighting_lines WHERE id = ? ORDER BY at', ['s1']);
    await db.run(
      "INSERT INTO sightings (id, ward, camera, label, first, last, score, box, best_at, lines, zones, final, updated_at, thumbnail) VALUES ('s1', 'p07', 'cam1', 'car', 1, 2, 0.8, '{}', 1, ?, '[]', 0, 2, ?)",
      ['[{"line": "north", "direction": "forward", "at": 1780000000100}]', Buffer.from([0xff, 0xd8])],
    );
    expect(await lines()).toEqual([{ line: 'north', at: 1_780_000_000_100, direction: 'forward' }]);
    await db.run('UPDATE sightings SET lines = ?, final = 1 WHERE id = ?', [
      '[{"line": "north", "direction": "forward", "at": 1780000000100}, {"line": "south", "direction": "backward", "at": 1780000000900}]',
      's1',
    ]);
    expect(await lines()).toHaveLength(2);
    await db.run('DELETE FROM sightings WHERE id = ?', ['s1']);
    expect(await lines()).toEqual([]);
  });

  it('keeps the audit log append-only and starts its chain at the genesis hash', async () => {
    expect(await db.get('SELECT count, last_id FROM audit_head')).toEqual({ count: 0, last_id: 0 });
    await db.run("INSERT INTO audit (id, at, actor, action, prev_hash, hash) VALUES (1, 1, 'system', 'test', 'a', 'b')");
    await expect(db.run("UPDATE audit SET actor = 'x'")).rejects.toThrow('the audit log is append-only');
    await expect(db.run('DELETE FROM audit')).rejects.toThrow('the audit log is append-only');
  });

  it('takes the words PostgreSQL reserves quoted, in statements both engines accept', async () => {
    await db.run('INSERT INTO city_rtsp_credentials ("user", ha1, created_at) VALUES (?, ?, ?) ON CONFLICT ("user") DO UPDATE SET ha1 = excluded.ha1', ['city1', 'h', 1]);
    expect(await db.get('SELECT ha1 FROM city_rtsp_credentials WHERE "user" = ?', ['city1'])).toEqual({ ha1: 'h' });
  });
});
