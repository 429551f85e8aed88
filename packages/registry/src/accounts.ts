import type { Db } from '@ddns/db';
import { hashPassword, hashToken, newToken } from '@ddns/secrets';
import { accountClass } from './classes';
import { OpError } from './errors';
import { checkPassword } from './passwords';

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
  input: {
    email: string;
    password?: string;
    admin?: boolean;
    class?: string;
    /** false: the address still needs its verification link (self sign-up); default true */
    verified?: boolean;
  },
): Promise<CreatedAccount> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new OpError(`"${input.email}" is not an e-mail address`);
  if (input.password !== undefined) checkPassword(input.password);
  const cls = accountClass(input.class ?? 'default');
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
      class: cls,
      is_admin: input.admin ?? false,
      email_verified_at: input.verified === false ? null : new Date(),
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
  /** when the account was disabled; null while it is enabled */
  disabledAt: string | null;
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
      'accounts.disabled_at',
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
    disabledAt: r.disabled_at?.toISOString() ?? null,
    domains: Number(r.domains),
    createdAt: r.created_at.toISOString(),
  }));
}

/** The account with this e-mail address (any case), or an OpError naming it. */
export async function findAccount(db: Db, email: string): Promise<{ id: number; email: string }> {
  const row = await db
    .selectFrom('accounts')
    .select(['id', 'email'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .executeTakeFirst();
  if (!row) throw new OpError(`no account with e-mail ${email}`);
  return row;
}

export async function findAccountId(db: Db, email: string): Promise<number> {
  return (await findAccount(db, email)).id;
}
