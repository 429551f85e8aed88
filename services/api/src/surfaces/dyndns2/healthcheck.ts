import type { Database } from '@ddns/db';
import { hashToken } from '@ddns/secrets';
import { sql, type Kysely } from 'kysely';

/**
 * `healthcheck=<ping token>` on an update: marks the account's health check as pinged now and up, in the
 * update's transaction. Only the authenticated account's checks match. Returns whether one matched.
 */
export async function pingHealthCheck(
  db: Kysely<Database>,
  accountId: number,
  token: string,
): Promise<boolean> {
  if (!token) return false;
  const row = await db
    .updateTable('health_checks')
    .set({
      last_ping_at: sql<Date>`now()`,
      state: 'up',
      state_changed_at: sql<Date | null>`CASE WHEN state <> 'up' THEN now() ELSE state_changed_at END`,
    })
    .where('ping_token_hash', '=', hashToken(token))
    .where('account_id', '=', accountId)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
