import type { Db } from '@ddns/db';
import { hashPassword, hashToken, newToken } from '@ddns/secrets';
import { OpError } from './errors';
import { checkPassword } from './passwords';

const byEmail = (email: string) => email.trim().toLowerCase();

/**
 * Replaces an account's API key (account API, /api, lego httpreq); the old one stops working at once. The
 * update token is untouched, so updaters keep running.
 */
export async function rotateApiKey(
  db: Db,
  email: string,
): Promise<{ id: number; email: string; apiKey: string }> {
  const apiKey = newToken();
  const row = await db
    .updateTable('accounts')
    .set({ api_key_hash: hashToken(apiKey) })
    .where((eb) => eb(eb.fn('lower', ['email']), '=', byEmail(email)))
    .returning(['id', 'email'])
    .executeTakeFirst();
  if (!row) throw new OpError(`no account with e-mail ${email}`);
  return { ...row, apiKey };
}

/**
 * Replaces an account's update token (DynDNS2 updaters of all its domains); the old one stops working at once.
 * The API key and the domains' own tokens are untouched.
 */
export async function rotateUpdateToken(
  db: Db,
  email: string,
): Promise<{ id: number; email: string; updateToken: string }> {
  const updateToken = newToken();
  const row = await db
    .updateTable('accounts')
    .set({ update_token_hash: hashToken(updateToken) })
    .where((eb) => eb(eb.fn('lower', ['email']), '=', byEmail(email)))
    .returning(['id', 'email'])
    .executeTakeFirst();
  if (!row) throw new OpError(`no account with e-mail ${email}`);
  return { ...row, updateToken };
}

/**
 * Sets an account's login password (argon2id). The records-API tokens issued by earlier logins and the
 * browser sessions (all but `keepSessionId`, the one that made the change) are revoked: whoever knew the old
 * password keeps nothing from it.
 */
export async function setAccountPassword(
  db: Db,
  email: string,
  password: string,
  opts: { keepSessionId?: number } = {},
): Promise<{ id: number; email: string; revokedTokens: number }> {
  checkPassword(password);
  const hash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('accounts')
      .set({ password_hash: hash })
      .where((eb) => eb(eb.fn('lower', ['email']), '=', byEmail(email)))
      .returning(['id', 'email'])
      .executeTakeFirst();
    if (!row) throw new OpError(`no account with e-mail ${email}`);
    const r = await trx.deleteFrom('api_tokens').where('account_id', '=', row.id).executeTakeFirst();
    await trx
      .deleteFrom('sessions')
      .where('account_id', '=', row.id)
      .$if(opts.keepSessionId !== undefined, (q) => q.where('id', '<>', opts.keepSessionId!))
      .execute();
    return { ...row, revokedTokens: Number(r.numDeletedRows) };
  });
}
