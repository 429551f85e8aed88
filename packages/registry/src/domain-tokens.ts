import type { Db } from '@ddns/db';
import { normalizeName } from '@ddns/records';
import { hashToken, newToken, newUuidToken } from '@ddns/secrets';
import { OpError } from './errors';

/**
 * A new update token for one of the account's domains (shown once, stored as SHA-256); the old one stops
 * working at once. Gateways keep the UUID form their UI expects.
 */
export async function rotateDomainToken(db: Db, accountId: number, name: string): Promise<string> {
  const n = normalizeName(name);
  const d = await db
    .selectFrom('domains')
    .select(['id', 'mode'])
    .where('name', '=', n)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  if (!d) throw new OpError(`no domain ${n} in your account`);
  const token = d.mode !== null ? newUuidToken() : newToken();
  await db
    .updateTable('domains')
    .set({ token_hash: hashToken(token) })
    .where('id', '=', d.id)
    .execute();
  return token;
}
