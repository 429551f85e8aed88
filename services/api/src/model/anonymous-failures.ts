import type { Db } from '@ddns/db';
import { sql } from 'kysely';
import { sourceNetwork } from '../limits';

/**
 * Counts a failed request that belongs to nobody (no account, no domain: wrong or missing credentials) in
 * `anonymous_failures`, per hour, surface, source network (IPv4 /24, IPv6 /56) and result — one upsert, so a
 * flood of bad requests grows one counter instead of the update log.
 */
export async function countAnonymousFailure(
  db: Db,
  f: { surface: string; sourceIp: string; result: string },
): Promise<void> {
  await db
    .insertInto('anonymous_failures')
    .values({
      hour: sql<Date>`date_trunc('hour', now())`,
      surface: f.surface,
      source_network: sourceNetwork(f.sourceIp),
      result: f.result.slice(0, 100),
    })
    .onConflict((oc) =>
      oc.columns(['hour', 'surface', 'source_network', 'result']).doUpdateSet({
        count: sql<string>`anonymous_failures.count + 1`,
        last_at: sql<Date>`now()`,
      }),
    )
    .execute();
}
