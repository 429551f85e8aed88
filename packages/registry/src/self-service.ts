import type { Db } from '@ddns/db';
import { hashPassword, verifyPassword } from '@ddns/secrets';
import { deleteAccount, type DeletedAccount } from './account-admin';
import { setAccountPassword } from './account-secrets';
import { consumeAccountToken, findInvite, mailAccountToken } from './account-tokens';
import { createAccount } from './accounts';
import { OpError } from './errors';
import { checkPassword } from './passwords';

/**
 * How people get accounts without the operator (`SIGNUP_MODE`): `closed` (only admins and the CLI make
 * accounts), `invite` (a link from an admin), `open` (anyone, with a proof of work checked by the API).
 */
export type SignupMode = 'closed' | 'invite' | 'open';

/** Sign-up is not possible this way (closed, or an invite missing, wrong or for another address). */
export class SignupRefused extends OpError {}

const lower = (s: string) => s.trim().toLowerCase();
const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * Self sign-up. The account exists at once but logs in only after its address is verified (a link is mailed),
 * unless it came with an invite made for this very address. An address that already has an account gets the
 * same answer and no new account (no enumeration); an unverified one gets a fresh link.
 */
export async function signUp(
  db: Db,
  input: { email: string; password: string; mode: SignupMode; invite?: string; now?: Date },
): Promise<{ verified: boolean; accountId: number | null }> {
  const now = input.now ?? new Date();
  if (input.mode === 'closed') throw new SignupRefused('sign-up is closed on this server: ask its operator');
  checkPassword(input.password);
  const invite = input.invite ? await findInvite(db, input.invite, now) : undefined;
  if (input.invite && !invite) throw new SignupRefused('this invite is not valid (used, expired or wrong)');
  if (input.mode === 'invite' && !invite) throw new SignupRefused('sign-up needs an invite on this server');
  if (invite?.email && lower(invite.email) !== lower(input.email))
    throw new SignupRefused('this invite is for another e-mail address');
  const existing = await db
    .selectFrom('accounts')
    .select(['id', 'email_verified_at', 'disabled_at'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', lower(input.email)))
    .executeTakeFirst();
  if (existing) {
    if (!existing.email_verified_at && !existing.disabled_at)
      await mailAccountToken(db, {
        purpose: 'signup',
        accountId: existing.id,
        email: input.email.trim(),
        now,
      });
    return { verified: false, accountId: null };
  }
  const verified = Boolean(invite?.email);
  try {
    return await db.transaction().execute(async (trx) => {
      if (invite) await consumeAccountToken(trx, ['invite'], input.invite!, now);
      const created = await createAccount(trx, {
        email: input.email,
        password: input.password,
        verified,
      });
      if (!verified)
        await mailAccountToken(trx, { purpose: 'signup', accountId: created.id, email: created.email, now });
      return { verified, accountId: created.id };
    });
  } catch (err) {
    // the same address signed up concurrently: answer as for an existing account
    if (isUniqueViolation(err) || (err instanceof OpError && /already exists/.test(err.message)))
      return { verified: false, accountId: null };
    throw err;
  }
}

/** Opens a verification link: a sign-up's address, or an address change (which then applies). */
export async function verifyAccountEmail(
  db: Db,
  secret: string,
  now = new Date(),
): Promise<{ email: string; purpose: 'signup' | 'email_change'; accountId: number }> {
  return db.transaction().execute(async (trx) => {
    const row = await consumeAccountToken(trx, ['signup', 'email_change'], secret, now);
    const email = row.email ?? '';
    const accountId = row.account_id!;
    if (row.purpose === 'signup') {
      await trx.updateTable('accounts').set({ email_verified_at: now }).where('id', '=', accountId).execute();
      return { email, purpose: 'signup' as const, accountId };
    }
    const taken = await trx
      .selectFrom('accounts')
      .select('id')
      .where((eb) => eb(eb.fn('lower', ['email']), '=', lower(email)))
      .where('id', '<>', accountId)
      .executeTakeFirst();
    if (taken) throw new OpError('another account uses this address now');
    await trx
      .updateTable('accounts')
      .set({ email, pending_email: null, email_verified_at: now })
      .where('id', '=', accountId)
      .execute();
    return { email, purpose: 'email_change' as const, accountId };
  });
}

/** Mails a reset link when the address has an enabled account; silently nothing otherwise. */
export async function requestPasswordReset(db: Db, email: string, now = new Date()): Promise<void> {
  const a = await db
    .selectFrom('accounts')
    .select(['id', 'email'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', lower(email)))
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (a) await mailAccountToken(db, { purpose: 'password_reset', accountId: a.id, email: a.email, now });
}

/**
 * Sets a new password with a reset link (single-use, one hour). Every session and records-API token of the
 * account ends; the address counts as verified (the link reached it).
 */
export async function resetPassword(
  db: Db,
  secret: string,
  password: string,
  now = new Date(),
): Promise<{ accountId: number }> {
  checkPassword(password);
  const hash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const row = await consumeAccountToken(trx, ['password_reset'], secret, now);
    const accountId = row.account_id!;
    await trx
      .updateTable('accounts')
      .set({ password_hash: hash })
      .set((eb) => ({ email_verified_at: eb.fn.coalesce('email_verified_at', eb.val(now)) }))
      .where('id', '=', accountId)
      .execute();
    await trx.deleteFrom('sessions').where('account_id', '=', accountId).execute();
    await trx.deleteFrom('api_tokens').where('account_id', '=', accountId).execute();
    return { accountId };
  });
}

async function checkCurrentPassword(db: Db, accountId: number, password: string) {
  const a = await db.selectFrom('accounts').selectAll().where('id', '=', accountId).executeTakeFirstOrThrow();
  if (!(await verifyPassword(password, a.password_hash)))
    throw new WrongPassword('the current password is wrong');
  return a;
}

/** The password given to confirm a change is wrong. */
export class WrongPassword extends OpError {}

/** Changes the password (the current one confirms it); other sessions end, `keepSessionId` stays. */
export async function changePassword(
  db: Db,
  input: { accountId: number; current: string; next: string; keepSessionId?: number },
): Promise<void> {
  checkPassword(input.next);
  const a = await checkCurrentPassword(db, input.accountId, input.current);
  await setAccountPassword(db, a.email, input.next, { keepSessionId: input.keepSessionId });
}

/** Starts an address change: the new address gets a link; the change applies when it is opened. */
export async function requestEmailChange(
  db: Db,
  input: { accountId: number; password: string; email: string; now?: Date },
): Promise<void> {
  await checkCurrentPassword(db, input.accountId, input.password);
  const email = input.email.trim();
  const taken = await db
    .selectFrom('accounts')
    .select('id')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', lower(email)))
    .executeTakeFirst();
  if (taken) throw new OpError(`an account with e-mail ${email} already exists`);
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('accounts')
      .set({ pending_email: email })
      .where('id', '=', input.accountId)
      .execute();
    await mailAccountToken(trx, {
      purpose: 'email_change',
      accountId: input.accountId,
      email,
      now: input.now,
    });
  });
}

/** Deletes the caller's own account (password confirms it) and releases its names. */
export async function deleteOwnAccount(
  db: Db,
  input: { accountId: number; password: string },
): Promise<DeletedAccount> {
  const a = await checkCurrentPassword(db, input.accountId, input.password);
  return deleteAccount(db, a.email);
}
