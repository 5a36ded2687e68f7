// The Sql interface over a pg.Pool: statements outside a transaction take any connection; a transaction holds one
// client, SERIALIZABLE, and is run again from the start on a serialization failure or a deadlock.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { numberPlaceholders } from './placeholders.js';
import { outerCallInTx, type AdvisoryLock, type Sql, type SqlDatabase, type SqlParam } from './sql.js';
import { asTxOf, inOpenTx } from './tx-scope.js';

export interface PostgresOptions {
  /** pg's connection settings (connectionString, host, port, user, password, database, ssl, max…) */
  connection: pg.PoolConfig;
  /** tries of a transaction that keeps failing to serialize, the first included (default 8) */
  maxAttempts?: number;
}

/** Opens a pool (connections are made on first use); close() ends it. */
export function postgresSql(options: PostgresOptions): SqlDatabase {
  return new PostgresDatabase(options);
}

/** BIGINT and NUMERIC to number, never a rounded one. */
export function parseInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new Error(`PostgreSQL returned the integer ${text}, beyond what a JS number holds exactly (±${Number.MAX_SAFE_INTEGER}): the column is not meant to hold it`);
  }
  return n;
}

function parseNumeric(text: string): number {
  if (/^-?\d+$/.test(text)) return parseInteger(text);
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`PostgreSQL returned the number ${text}, which a JS number cannot hold`);
  return n;
}

const types = new pg.TypeOverrides();
types.setTypeParser(pg.types.builtins.INT8, parseInteger);
types.setTypeParser(pg.types.builtins.NUMERIC, parseNumeric);

/** `?` → `$n`, once per distinct text (statements repeat a few shapes many times). */
const numbered = new Map<string, { text: string; count: number }>();
function toPostgres(sql: string, params: readonly SqlParam[]): pg.QueryConfig<SqlParam[]> {
  let n = numbered.get(sql);
  if (!n) numbered.set(sql, (n = numberPlaceholders(sql)));
  if (n.count !== params.length) throw new Error(`SQL has ${n.count} ? placeholder(s) but ${params.length} parameter(s) were given: ${sql.trim().slice(0, 120)}`);
  return { text: n.text, values: params as SqlParam[] };
}

/** SQLSTATEs after which the whole transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

/** The connection itself failed (server gone, shut down, network): the session's work is lost, not refused. */
function connectionLost(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code))) return true;
  return err instanceof Error && /Connection terminated|connection.*(closed|ended|terminated)|Client has encountered a connection error/i.test(err.message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A stable signed 64-bit key for a lock's name (the same in every process and PostgreSQL version). */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly config: pg.PoolConfig;
  private readonly maxAttempts: number;
  private readonly lockClients = new Set<pg.Client>();

  constructor({ connection, maxAttempts = 8 }: PostgresOptions) {
    this.config = { ...connection, types };
    this.maxAttempts = maxAttempts;
    this.pool = new pg.Pool(this.config);
    // an idle connection died (the server restarted): the pool drops it and the next query opens a new one
    this.pool.on('error', () => {});
  }

  private outside<T>(fn: () => Promise<T>): Promise<T> {
    return inOpenTx(this) ? Promise.reject(outerCallInTx()) : fn();
  }

  all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.outside(async () => (await this.pool.query(toPostgres(sql, params))).rows as T[]);
  }

  get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.outside(async () => (await this.pool.query(toPostgres(sql, params))).rows[0] as T | undefined);
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<{ changes: number }> {
    return this.outside(async () => ({ changes: (await this.pool.query(toPostgres(sql, params))).rowCount ?? 0 }));
  }

  exec(sql: string): Promise<void> {
    return this.outside(async () => void (await this.pool.query(sql)));
  }

  tx<T>(fn: (t: Sql) => Promise<T>): Promise<T> {
    return this.outside(async () => {
      for (let attempt = 1; ; attempt++) {
        const client = await this.pool.connect();
        let broken: Error | undefined;
        const onError = (err: Error) => (broken = err);
        client.on('error', onError);
        const state: TxState = {};
        const t = new PostgresTx(client, 1, state);
        let stage: 'begin' | 'body' | 'commit' = 'begin';
        try {
          await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
          stage = 'body';
          const result = await asTxOf(this, () => fn(t));
          t.end();
          // a savepoint's caller may have caught a serialization failure or a deadlock: the transaction is still lost
          if (state.doomed) throw state.doomed;
          stage = 'commit';
          await client.query('COMMIT');
          client.off('error', onError);
          client.release();
          return result;
        } catch (err) {
          t.end();
          client.off('error', onError);
          if (broken || connectionLost(err)) {
            client.release(true);
            const cause = broken ?? err;
            throw new Error(
              stage === 'commit'
                ? `the connection to PostgreSQL was lost during COMMIT: the transaction may or may not have been committed (${(cause as Error).message})`
                : `the connection to PostgreSQL was lost during a transaction: nothing of it was committed (${(cause as Error).message})`,
              { cause },
            );
          }
          const rolledBack = await client.query('ROLLBACK').then(
            () => true,
            () => false,
          );
          client.release(!rolledBack);
          // a doomed transaction is retried whatever error its callback ended with
          const code = ((state.doomed ?? err) as { code?: string }).code;
          if (!(code && RETRYABLE.has(code))) throw err;
          if (attempt >= this.maxAttempts) {
            throw new Error(`a transaction failed to serialize ${attempt} times in a row (SQLSTATE ${code}); gave up`, { cause: err });
          }
          // jitter spreads the retries of the transactions that collided
          await sleep(Math.random() * Math.min(500, 5 * 2 ** attempt));
        }
      }
    });
  }

  async tryAdvisoryLock(name: string): Promise<AdvisoryLock | null> {
    // a session lock lives as long as its connection: a client of its own, outside the pool, held until release
    const client = new pg.Client(this.config);
    let released = false;
    let markLost: (err: Error) => void = () => {};
    const lost = new Promise<Error>((resolve) => (markLost = resolve));
    const onGone = (err?: Error) => {
      this.lockClients.delete(client);
      if (!released) markLost(new Error(`lost the lock "${name}": its connection to PostgreSQL ended${err ? ` (${err.message})` : ''}; another process may hold it now`));
    };
    client.on('error', onGone);
    client.on('end', () => onGone());
    await client.connect();
    const key = advisoryKey(name);
    let got = false;
    try {
      got = (await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [key])).rows[0]!.got;
    } finally {
      if (!got) {
        released = true;
        await client.end().catch(() => {});
      }
    }
    if (!got) return null;
    this.lockClients.add(client);
    return {
      name,
      lost,
      release: async () => {
        if (released) return;
        released = true;
        this.lockClients.delete(client);
        // ending the session releases its locks; the unlock first makes it immediate even if the end is slow
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => {});
        await client.end().catch(() => {});
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.lockClients].map((c) => c.end().catch(() => {})));
    await this.pool.end();
  }
}

/** What every handle of one transaction shares. */
interface TxState {
  /**
   * A serialization failure or deadlock met inside a savepoint. PostgreSQL lets the savepoint roll back and the
   * transaction go on, but its snapshot can no longer commit as one (or the other transaction of the deadlock keeps
   * meeting it, one second a statement): the whole transaction is run again instead. Set, every later statement fails
   * with it and tx() retries, even when the savepoint's caller caught the error.
   */
  doomed?: Error;
}

/** The handle a transaction's callback gets: every statement on the transaction's client; tx() is a savepoint. */
class PostgresTx implements Sql {
  readonly dialect = 'postgres' as const;
  private ended = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly depth: number,
    private readonly state: TxState,
  ) {}

  end(): void {
    this.ended = true;
  }

  private query(config: pg.QueryConfig<SqlParam[]> | string): Promise<pg.QueryResult> {
    if (this.ended) return Promise.reject(new Error('this transaction is over: its handle was used after sql.tx() returned'));
    if (inOpenTx(this)) return Promise.reject(outerCallInTx());
    if (this.state.doomed) return Promise.reject(this.state.doomed);
    return this.client.query(config).catch((err: unknown) => {
      const code = (err as { code?: string }).code;
      if (code && RETRYABLE.has(code)) this.state.doomed ??= err as Error;
      throw err;
    });
  }

  async all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return (await this.query(toPostgres(sql, params))).rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return (await this.query(toPostgres(sql, params))).rows[0] as T | undefined;
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(toPostgres(sql, params))).rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.query(sql);
  }

  async tx<T>(fn: (t: Sql) => Promise<T>): Promise<T> {
    const name = `sp${this.depth}`;
    await this.query(`SAVEPOINT ${name}`);
    const inner = new PostgresTx(this.client, this.depth + 1, this.state);
    try {
      const result = await asTxOf(this, () => fn(inner));
      inner.end();
      await this.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      inner.end();
      // after a serialization failure or a deadlock the transaction is doomed (TxState): tx() runs it again whatever
      // this savepoint's caller does with the error; after a lost connection the ROLLBACK TO fails and tx() reports it
      await this.client.query(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`).catch(() => {});
      throw err;
    }
  }
}
