/**
 * Errors that mean "the database is unreachable, too slow or restarting right now", as opposed to a bug or a
 * refused write: surfaces answer them with their "try again later" reply (DynDNS2 `911`, 503 + Retry-After)
 * and the next request simply tries again.
 */

/** A query that got no answer from Postgres within the client-side limit (its connection is dropped). */
export class QueryTimeoutError extends Error {
  readonly code = 'DDNS_QUERY_TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`Postgres did not answer within ${timeoutMs} ms`);
    this.name = 'QueryTimeoutError';
  }
}

/** Node socket errors on a link to Postgres. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs of a server that is going away, overloaded, or cancelled a statement for taking too long. */
const TRANSIENT_SQLSTATES = new Set([
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovery)
  '57P05', // idle_session_timeout
  '25P03', // idle_in_transaction_session_timeout
  '53300', // too_many_connections
  '55P03', // lock_not_available (lock_timeout)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/** Messages of node-postgres and pg-pool for a lost or never-established connection. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Query read timeout/,
  /^Cannot use a pool after calling end/,
];

/** True for a database error worth "try again later" rather than "internal error". */
export function isTransientDbError(err: unknown): boolean {
  if (err instanceof QueryTimeoutError) return true;
  if (!err || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.code === 'string') {
    if (SOCKET_CODES.has(e.code) || TRANSIENT_SQLSTATES.has(e.code) || e.code.startsWith('08')) return true;
  }
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((re) => re.test(e.message as string))) {
    return true;
  }
  return e.cause !== undefined && e.cause !== err ? isTransientDbError(e.cause) : false;
}
