// The query-planner hints the hub's reads give SQLite, and what each becomes on PostgreSQL (pure). SQLite's planner
// has no statistics on a hub (no ANALYZE), so the reads pin their index and join order; PostgreSQL has statistics
// and no such syntax (INDEXED BY and `+col` are errors there, CROSS JOIN takes no ON), so there its planner decides.
import type { Sql } from '../../shared/sql/sql.js';

type Dialect = Sql['dialect'];

/** ` INDEXED BY index` after a table on SQLite; nothing on PostgreSQL. */
export function indexedBy(dialect: Dialect, index: string): string {
  return dialect === 'sqlite' ? ` INDEXED BY ${index}` : '';
}

/** A join whose left table SQLite keeps outside (CROSS JOIN … ON); a plain JOIN … ON on PostgreSQL. */
export function joinLeftFirst(dialect: Dialect): string {
  return dialect === 'sqlite' ? 'CROSS JOIN' : 'JOIN';
}

/** A column SQLite may filter on but never pick an index for (`+col`); the column itself on PostgreSQL. */
export function notForIndex(dialect: Dialect, column: string): string {
  return dialect === 'sqlite' ? `+${column}` : column;
}
