import type { Account, ApiKeyRow, Db } from '@ddns/db';
import { normalizeName } from '@ddns/records';
import { hashToken, newToken } from '@ddns/secrets';
import { OpError } from './errors';

export const API_KEY_LIMITS = { maxPerAccount: 50, nameMax: 100, maxDomains: 100 } as const;

/** What a /v1 API key may do (deSEC's token policies): which domains, and whether it may write. */
export interface ApiKeyScope {
  /** null: every domain of the account, also later ones */
  domains: string[] | null;
  write: boolean;
}

export interface NewApiKey extends ApiKeyScope {
  name: string;
  expiresAt: Date | null;
}

/**
 * Creates a /v1 API key; returns it with its secret (shown once, stored as SHA-256). Scoped domains must be
 * the account's own, the expiry in the future.
 */
export async function createApiKey(
  db: Db,
  accountId: number,
  input: NewApiKey,
  now = new Date(),
): Promise<{ key: ApiKeyRow; secret: string }> {
  const name = input.name.trim();
  if (!name || name.length > API_KEY_LIMITS.nameMax)
    throw new OpError(`the name must be 1-${API_KEY_LIMITS.nameMax} characters`);
  if (input.expiresAt && input.expiresAt <= now) throw new OpError('the expiry must be in the future');
  let domains: string[] | null = null;
  if (input.domains) {
    domains = [...new Set(input.domains.map(normalizeName))];
    if (domains.length > API_KEY_LIMITS.maxDomains)
      throw new OpError(`at most ${API_KEY_LIMITS.maxDomains} domains`);
    const own =
      domains.length === 0
        ? []
        : await db
            .selectFrom('domains')
            .select('name')
            .where('account_id', '=', accountId)
            .where('name', 'in', domains)
            .execute();
    const missing = domains.filter((d) => !own.some((o) => o.name === d));
    if (missing.length) throw new OpError(`not your domain: ${missing.join(', ')}`);
  }
  const count = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  if (Number(count.n) >= API_KEY_LIMITS.maxPerAccount)
    throw new OpError(`an account may hold at most ${API_KEY_LIMITS.maxPerAccount} API keys`);
  const secret = newToken();
  const key = await db
    .insertInto('api_keys')
    .values({
      account_id: accountId,
      name,
      key_hash: hashToken(secret),
      domains,
      can_write: input.write,
      expires_at: input.expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, secret };
}

export function listApiKeys(db: Db, accountId: number): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId).orderBy('id').execute();
}

/** Revokes one of the account's keys; false when it has no such key. */
export async function deleteApiKey(db: Db, accountId: number, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom('api_keys')
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}

/** The live key with this secret and its enabled account (an expired key matches nothing). */
export async function apiKeyBySecret(
  db: Db,
  secret: string,
  now = new Date(),
): Promise<{ key: ApiKeyRow; account: Account } | undefined> {
  if (!secret || secret.length > 200) return undefined;
  const key = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('key_hash', '=', hashToken(secret))
    .executeTakeFirst();
  if (!key || (key.expires_at && key.expires_at <= now)) return undefined;
  const account = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', key.account_id)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (!account) return undefined;
  if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > 60_000)
    await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', key.id).execute();
  return { key, account };
}

/** May a key with this scope touch the domain called `name`? */
export function scopeAllowsDomain(scope: ApiKeyScope, name: string): boolean {
  return scope.domains === null || scope.domains.includes(normalizeName(name));
}
