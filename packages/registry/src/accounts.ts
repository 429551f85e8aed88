import type { Db } from '@ddns/db';
import { hashPassword, hashToken, newToken } from '@ddns/secrets';
import { OpError } from './errors';

export interface CreatedAccount {
  id: number;
  email: string;
  /** shown once: only its hash is stored */
  apiKey: string;
  /** shown once: only its hash is stored */
  updateToken: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createAccount(
  db: Db,
  input: { email: string; password?: string; admin?: boolean; class?: string },
): Promise<CreatedAccount> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new OpError(`"${input.email}" is not an e-mail address`);
  if (input.password !== undefined && input.password.length < 8)
    throw new OpError('the password must be at least 8 characters');
  const taken = await db
    .selectFrom('accounts')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  if (taken) throw new OpError(`an account with e-mail ${email} already exists`);
  const apiKey = newToken();
  const updateToken = newToken();
  const row = await db
    .insertInto('accounts')
    .values({
      email,
      password_hash: input.password ? await hashPassword(input.password) : null,
      api_key_hash: hashToken(apiKey),
      update_token_hash: hashToken(updateToken),
      class: input.class ?? 'default',
      is_admin: input.admin ?? false,
    })
    .returning(['id', 'email'])
    .executeTakeFirstOrThrow();
  return { id: row.id, email: row.email, apiKey, updateToken };
}

export interface AccountSummary {
  id: number;
  email: string;
  class: string;
  admin: boolean;
  domains: number;
  createdAt: string;
}

export async function listAccounts(db: Db): Promise<AccountSummary[]> {
  const rows = await db
    .selectFrom('accounts')
    .leftJoin('domains', 'domains.account_id', 'accounts.id')
    .select((eb) => [
      'accounts.id',
      'accounts.email',
      'accounts.class',
      'accounts.is_admin',
      'accounts.created_at',
      eb.fn.count<string>('domains.id').as('domains'),
    ])
    .groupBy('accounts.id')
    .orderBy('accounts.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    class: r.class,
    admin: r.is_admin,
    domains: Number(r.domains),
    createdAt: r.created_at.toISOString(),
  }));
}

/** Replaces an account's API key and update token; the old ones stop working at once. */
export async function rotateKeys(db: Db, email: string): Promise<CreatedAccount> {
  const apiKey = newToken();
  const updateToken = newToken();
  const row = await db
    .updateTable('accounts')
    .set({ api_key_hash: hashToken(apiKey), update_token_hash: hashToken(updateToken) })
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .returning(['id', 'email'])
    .executeTakeFirst();
  if (!row) throw new OpError(`no account with e-mail ${email}`);
  return { id: row.id, email: row.email, apiKey, updateToken };
}

export async function findAccountId(db: Db, email: string): Promise<number> {
  const row = await db
    .selectFrom('accounts')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .executeTakeFirst();
  if (!row) throw new OpError(`no account with e-mail ${email}`);
  return row.id;
}
