import { sql, type Account, type Db, type RecordType } from '@ddns/db';
import { hashToken, newToken, tokenMatches } from '@ddns/secrets';
import { ownRecord, updateRecord } from '../../model/records';
import { formatRecord, type RecordJson } from './format';

/** Tokens kept per account: a new login beyond this drops the oldest. */
export const MAX_TOKENS_PER_ACCOUNT = 20;

/** A new records-API token for the account (shown once; stored as SHA-256); older ones beyond the limit go. */
export async function issueToken(db: Db, accountId: number): Promise<string> {
  const token = newToken();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({ account_id: accountId, token_hash: hashToken(token) })
      .execute();
    const keep = trx
      .selectFrom('api_tokens')
      .select('id')
      .where('account_id', '=', accountId)
      .orderBy('id', 'desc')
      .limit(MAX_TOKENS_PER_ACCOUNT);
    await trx
      .deleteFrom('api_tokens')
      .where('account_id', '=', accountId)
      .where('id', 'not in', keep)
      .execute();
  });
  return token;
}

/** The account a records-API token belongs to (and notes its use), if any. */
export async function accountByRecordsToken(db: Db, token: string): Promise<Account | undefined> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
    .selectAll('accounts')
    .select(['api_tokens.id as token_id', 'api_tokens.token_hash'])
    .where('api_tokens.token_hash', '=', hashToken(token))
    .where('accounts.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row || !tokenMatches(token, row.token_hash)) return undefined;
  const { token_id, token_hash: _h, ...account } = row;
  await db.updateTable('api_tokens').set({ last_used_at: new Date() }).where('id', '=', token_id).execute();
  return account;
}

/**
 * The account's records (those of its domains), optionally of some types only, in id order. With `name`, only
 * the records at that name, addresses (A, AAAA) first: enlightns-cli takes the first one as the record to
 * update.
 */
export async function listRecords(
  db: Db,
  account: Account,
  types: RecordType[] | null,
  name?: string,
): Promise<RecordJson[]> {
  let q = db
    .selectFrom('records')
    .innerJoin('domains', 'domains.id', 'records.domain_id')
    .innerJoin('zones', 'zones.id', 'records.zone_id')
    .select(['records.id', 'records.name', 'records.type', 'records.content', 'records.ttl', 'zones.kind'])
    .where('domains.account_id', '=', account.id);
  if (types) q = q.where('records.type', 'in', types);
  if (name !== undefined)
    q = q
      .where('records.name', '=', name)
      .orderBy(sql`CASE records.type WHEN 'A' THEN 0 WHEN 'AAAA' THEN 1 ELSE 2 END`);
  const rows = await q.orderBy('records.id').execute();
  return rows.map((x) => formatRecord(x, { shared: x.kind === 'shared', owner: account.email }));
}

/** One of the account's records; with `change`, its content (canonical) and TTL are replaced first. */
export async function getOrUpdateRecord(
  db: Db,
  account: Account,
  id: number,
  change?: { content: string; ttl?: number },
): Promise<RecordJson> {
  const rec = change ? await updateRecord(db, account.id, id, change) : await ownRecord(db, account.id, id);
  const zone = await db
    .selectFrom('zones')
    .select('kind')
    .where('id', '=', rec.zone_id)
    .executeTakeFirstOrThrow();
  return formatRecord(rec, { shared: zone.kind === 'shared', owner: account.email });
}
