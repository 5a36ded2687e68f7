// A hub index on a throwaway PostgreSQL for tests: the server (testing/postgres.ts), a database of its own, and the
// hub's schema (hub/store/schema-pg.ts) migrated into it. Tests that compare a store on both engines start with it.
import { migrateSql } from '../../shared/sql/migrate.js';
import { postgresSql } from '../../shared/sql/postgres.js';
import type { SqlDatabase } from '../../shared/sql/sql.js';
import { hubPgMigrations } from '../../hub/store/schema-pg.js';
import { afterAll, beforeAll } from 'vitest';
import { openHubStore, type HubStore } from '../../hub/store/store.js';
import { skipWithoutPostgres, startPostgres, type TestPostgres } from '../postgres.js';
import { tempDir } from './test-support.js';

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

export interface BothIndexes {
  /** true when no PostgreSQL is installed: the file's comparisons skip (the reason is printed) */
  noPostgres: boolean;
  /** the SQLite hub store, open during the file's tests */
  lite(): HubStore;
  /** the PostgreSQL hub index, open during the file's tests */
  pg(): SqlDatabase;
}

/**
 * For a test file that compares a store on the two engines: registers the hooks that open a SQLite hub store and a
 * PostgreSQL hub index before the file's tests, and close both after them. Hooks the file registers afterwards (a
 * seed) run after these.
 */
export function bothIndexes(file: string): BothIndexes {
  const noPostgres = skipWithoutPostgres(file);
  let lite: HubStore | undefined;
  let index: PostgresIndex | undefined;
  beforeAll(async () => {
    lite = openHubStore(tempDir('ww-both-'));
    if (!noPostgres) index = await postgresIndex();
  }, 60_000);
  afterAll(async () => {
    await lite?.close();
    await index?.close();
  });
  return {
    noPostgres,
    lite: () => lite ?? fail('the SQLite store'),
    pg: () => index?.sql ?? fail('the PostgreSQL index'),
  };
}

function fail(what: string): never {
  throw new Error(`${what} is not open: use it inside the file's tests or hooks`);
}
