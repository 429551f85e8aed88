import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { guardQueries } from './link-guard';
import type { Database } from './schema';

// int8 (bigint) stays a string: exact, and what the schema types say. Counts are cast explicitly.

/** Bounds on every Postgres link (DB_* in packages/config); 0 = no limit. */
export interface DbTimeouts {
  /** establishing a connection, and waiting for a free one in the pool; default 5000 */
  connectTimeoutMs?: number;
  /** server-side statement_timeout; default none (services set DB_STATEMENT_TIMEOUT_MS) */
  statementTimeoutMs?: number;
  /**
   * client side: a query without any answer after this long drops its connection (a black-holed link).
   * Default: statementTimeoutMs + 2000 when a statement timeout is set, else none.
   */
  queryTimeoutMs?: number;
  /** server-side idle_in_transaction_session_timeout; default none */
  idleInTransactionTimeoutMs?: number;
  /** TCP keepalive: first probe after this much idle time; default 10000 */
  keepAliveMs?: number;
}

export interface DbOptions extends DbTimeouts {
  /** pool size; default 10 */
  max?: number;
  /** name shown in pg_stat_activity */
  applicationName?: string;
  /** told about every connection error (logging); the process never dies of one */
  onConnectionError?: (err: Error) => void;
}

/** The validated DB_* variables as DbTimeouts. */
export function dbTimeouts(cfg: {
  DB_CONNECT_TIMEOUT_MS: number;
  DB_STATEMENT_TIMEOUT_MS: number;
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: number;
}): DbTimeouts {
  return {
    connectTimeoutMs: cfg.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: cfg.DB_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: cfg.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

/** The client-side deadline implied by `t` (see DbTimeouts.queryTimeoutMs). */
export function queryDeadline(t: DbTimeouts): number {
  if (t.queryTimeoutMs !== undefined) return t.queryTimeoutMs;
  return t.statementTimeoutMs ? t.statementTimeoutMs + 2000 : 0;
}

/** pg client settings for `t` (shared by pools and the change feed's own connection). */
export function clientSettings(t: DbTimeouts): pg.ClientConfig {
  return {
    connectionTimeoutMillis: t.connectTimeoutMs ?? 5000,
    keepAlive: true,
    keepAliveInitialDelayMillis: t.keepAliveMs ?? 10_000,
    ...(t.statementTimeoutMs ? { statement_timeout: t.statementTimeoutMs } : {}),
    ...(t.idleInTransactionTimeoutMs
      ? { idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs }
      : {}),
  };
}

/**
 * A pool whose connections can fail without taking the process with them: pg-pool only listens for errors
 * on idle clients, and a checked-out client losing its link emits an 'error' nobody handles (an uncaught
 * exception). Every client gets a permanent listener when it connects; the query in flight fails with the
 * error, and the broken client leaves the pool when released.
 */
export function createPool(url: string, opts: DbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'ddns',
    ...clientSettings(opts),
  });
  const report = (err: Error) => opts.onConnectionError?.(err);
  const deadline = queryDeadline(opts);
  pool.on('connect', (client) => {
    client.on('error', report);
    guardQueries(client, deadline);
  });
  // an idle client losing its connection (Postgres restarted)
  pool.on('error', report);
  return pool;
}

export function createDb(url: string, opts: DbOptions = {}): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(url, opts) }) });
}

export type Db = Kysely<Database>;
