import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

// int8 (bigint) stays a string: exact, and what the schema types say. Counts are cast explicitly.

export interface DbOptions {
  /** pool size; default 10 */
  max?: number;
  /** name shown in pg_stat_activity */
  applicationName?: string;
}

export function createPool(url: string, opts: DbOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? 'ddns',
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection (Postgres restarted) must not crash the process.
  pool.on('error', () => undefined);
  return pool;
}

export function createDb(url: string, opts: DbOptions = {}): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(url, opts) }) });
}

export type Db = Kysely<Database>;
