import type pg from 'pg';
import { QueryTimeoutError } from './errors';

/**
 * Client-side guards for one Postgres connection. Server-side timeouts (statement_timeout) do nothing for a
 * link that silently stopped forwarding (a black-holed NAT entry, a frozen proxy): the query is sent and no
 * answer ever comes, and TCP keepalive does not fire while data is unacknowledged. So every query gets a
 * deadline; past it the connection is destroyed, which fails the query (and whatever was queued behind it)
 * with QueryTimeoutError and takes the connection out of its pool.
 */

type AnyQuery = (...args: unknown[]) => unknown;

/** Destroys the connection's socket at once (end() would wait for an answer that never comes). */
export function destroyLink(client: pg.Client | pg.PoolClient, err?: Error): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy(e?: Error): void } } }).connection
    ?.stream;
  if (stream) stream.destroy(err);
  else void client.end().catch(() => undefined);
}

/** Gives every query on `client` a deadline of `timeoutMs` (0 = none); a missed deadline drops the link. */
export function guardQueries(client: pg.Client | pg.PoolClient, timeoutMs: number): void {
  if (!timeoutMs) return;
  const target = client as unknown as { query: AnyQuery };
  const query = target.query.bind(client) as AnyQuery;
  target.query = (...args: unknown[]): unknown => {
    const first = args[0] as { submit?: unknown } | undefined;
    // cursors and streams (submittables) run for as long as their reader wants: not guarded
    if (first && typeof first.submit === 'function') return query(...args);
    let timer: NodeJS.Timeout | undefined = setTimeout(() => {
      timer = undefined;
      destroyLink(client, new QueryTimeoutError(timeoutMs));
    }, timeoutMs);
    const done = () => {
      if (timer) clearTimeout(timer);
      timer = undefined;
    };
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      args[args.length - 1] = (...r: unknown[]) => {
        done();
        return (last as AnyQuery)(...r);
      };
      return query(...args);
    }
    const out = query(...args);
    if (out && typeof (out as Promise<unknown>).then === 'function')
      (out as Promise<unknown>).then(done, done);
    else done();
    return out;
  };
}
