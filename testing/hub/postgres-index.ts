// A hub index on a throwaway PostgreSQL for tests: the server (testing/postgres.ts), a database of its own, and the
// hub's schema (hub/store/schema-pg.ts) migrated into it. Tests that compare a store on both engines start with it.
import { migrateSql } from '../../shared/sql/migrate.js';
import { postgresSql } from '../../shared/sql/postgres.js';
import type { SqlDatabase } from '../../shared/sql/sql.js';
import { hubPgMigrations } from '../../hub/store/schema-pg.js';
import { startPostgres, type TestPostgres } from '../postgres.js';

export interface PostgresIndex {
  sql: SqlDatabase;
  server: TestPostgres;
  /** closes the pool, then stops the server and removes its folder */
  close(): Promise<void>;
}

export async function postgresIndex(): Promise<PostgresIndex> {
  const server = await startPostgres();
  try {
    const sql = postgresSql({ connection: await server.createDatabase() });
    await migrateSql(sql, hubPgMigrations);
    return {
      sql,
      server,
      async close() {
        await sql.close().catch(() => undefined);
        await server.close();
      },
    };
  } catch (err) {
    await server.close();
    throw err;
  }
}
