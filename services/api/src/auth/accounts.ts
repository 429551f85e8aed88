import type { Account, Db, Domain } from '@ddns/db';
import { hashPassword, hashToken, tokenMatches, verifyPassword } from '@ddns/secrets';

/**
 * Token and password look-ups shared by every surface. A token is found by its SHA-256 (an index look-up),
 * then compared in constant time. A disabled account (`accounts.disabled_at`) matches nothing: neither its
 * own secrets nor its domains' tokens.
 */
export async function accountByApiKey(db: Db, key: string): Promise<Account | undefined> {
  if (!key) return undefined;
  const a = await db
    .selectFrom('accounts')
    .selectAll()
    .where('api_key_hash', '=', hashToken(key))
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  return a && tokenMatches(key, a.api_key_hash) ? a : undefined;
}

export async function accountByUpdateToken(db: Db, token: string): Promise<Account | undefined> {
  if (!token) return undefined;
  const a = await db
    .selectFrom('accounts')
    .selectAll()
    .where('update_token_hash', '=', hashToken(token))
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  return a && tokenMatches(token, a.update_token_hash) ? a : undefined;
}

export async function domainByToken(db: Db, token: string): Promise<Domain | undefined> {
  if (!token) return undefined;
  const d = await db
    .selectFrom('domains')
    .leftJoin('accounts', 'accounts.id', 'domains.account_id')
    .selectAll('domains')
    .where('domains.token_hash', '=', hashToken(token))
    .where('accounts.disabled_at', 'is', null)
    .executeTakeFirst();
  return d && tokenMatches(token, d.token_hash) ? d : undefined;
}

/** E-mail + password login (argon2id). Unknown e-mail and wrong password are indistinguishable. */
export async function accountByPassword(
  db: Db,
  email: string,
  password: string,
): Promise<Account | undefined> {
  // a NUL cannot be in a stored e-mail, and Postgres refuses it in a query
  if (!email || !password || email.includes('\u0000')) return undefined;
  const a = await db
    .selectFrom('accounts')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .executeTakeFirst();
  if (!a) {
    await verifyPassword(password, await dummyHash()); // same work either way
    return undefined;
  }
  const ok = await verifyPassword(password, a.password_hash);
  return ok && a.disabled_at === null ? a : undefined;
}

let dummy: Promise<string> | undefined;
function dummyHash(): Promise<string> {
  dummy ??= hashPassword('not-a-real-password');
  return dummy;
}

/** The client's address as express computed it (TRUST_PROXY-aware), without the IPv4-mapped prefix. */
export function clientIp(ip: string | undefined): string {
  const s = ip ?? '';
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}
