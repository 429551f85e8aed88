import type { AccountToken, AccountTokenPurpose, Database, Db } from '@ddns/db';
import { enqueueInOutbox, type EmailTemplate } from '@ddns/jobs';
import { hashToken, newToken } from '@ddns/secrets';
import type { Kysely, Transaction } from 'kysely';
import { OpError } from './errors';

type Q = Kysely<Database> | Transaction<Database>;

/** How long a mailed secret works (from when it was asked for). */
export const ACCOUNT_TOKEN_TTL_SECONDS: Record<AccountTokenPurpose, number> = {
  signup: 24 * 3600,
  email_change: 24 * 3600,
  password_reset: 3600,
  invite: 72 * 3600,
};

const TEMPLATE: Record<AccountTokenPurpose, EmailTemplate> = {
  signup: 'account-verify',
  email_change: 'account-email-change',
  password_reset: 'password-reset',
  invite: 'account-invite',
};

/**
 * Queues the mail carrying a single-use secret for `purpose`, in the caller's transaction. The secret is minted
 * by the mailer as it renders the mail (only its hash lands in `account_tokens`); earlier unused secrets of the
 * same purpose and account stop working.
 */
export async function mailAccountToken(
  q: Q,
  input: {
    purpose: AccountTokenPurpose;
    accountId: number | null;
    email: string;
    createdBy?: number;
    ttlSeconds?: number;
    vars?: Record<string, string>;
    now?: Date;
  },
): Promise<AccountToken> {
  const now = input.now ?? new Date();
  if (input.accountId !== null)
    await q
      .updateTable('account_tokens')
      .set({ used_at: now })
      .where('account_id', '=', input.accountId)
      .where('purpose', '=', input.purpose)
      .where('used_at', 'is', null)
      .execute();
  const row = await q
    .insertInto('account_tokens')
    .values({
      purpose: input.purpose,
      account_id: input.accountId,
      email: input.email,
      expires_at: new Date(
        now.getTime() + (input.ttlSeconds ?? ACCOUNT_TOKEN_TTL_SECONDS[input.purpose]) * 1000,
      ),
      created_by: input.createdBy ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await enqueueInOutbox(q, {
    queue: 'email',
    name: TEMPLATE[input.purpose],
    jobId: `account-token-${row.id}`,
    data: {
      to: input.email,
      template: TEMPLATE[input.purpose],
      vars: { email: input.email, ...input.vars },
      secret: { kind: 'account-token', tokenId: row.id },
    },
  });
  return row;
}

/** An invite without an address: the secret is returned here (shown once to the admin); only its hash is kept. */
export async function createInviteToken(
  db: Db,
  input: { createdBy: number; ttlSeconds: number; now?: Date },
): Promise<{ row: AccountToken; secret: string }> {
  const now = input.now ?? new Date();
  const secret = newToken();
  const row = await db
    .insertInto('account_tokens')
    .values({
      purpose: 'invite',
      account_id: null,
      email: null,
      secret_hash: hashToken(secret),
      expires_at: new Date(now.getTime() + input.ttlSeconds * 1000),
      created_by: input.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, secret };
}

/**
 * Uses up a secret of one of `purposes`, inside the caller's transaction: the row when it is unused and not
 * expired (then marked used), otherwise an OpError (wrong, used and expired secrets read the same).
 */
export async function consumeAccountToken(
  trx: Transaction<Database>,
  purposes: readonly AccountTokenPurpose[],
  secret: string,
  now = new Date(),
): Promise<AccountToken> {
  const bad = new OpError('this link is not valid (wrong, already used or expired)');
  if (!secret || secret.length > 200) throw bad;
  const row = await trx
    .selectFrom('account_tokens')
    .selectAll()
    .where('secret_hash', '=', hashToken(secret))
    .where('purpose', 'in', purposes)
    .forUpdate()
    .executeTakeFirst();
  if (!row || row.used_at || row.expires_at <= now) throw bad;
  await trx.updateTable('account_tokens').set({ used_at: now }).where('id', '=', row.id).execute();
  return row;
}

/** Reads an invite without using it up (sign-up checks it before creating the account). */
export async function findInvite(db: Q, secret: string, now = new Date()): Promise<AccountToken | undefined> {
  if (!secret || secret.length > 200) return undefined;
  const row = await db
    .selectFrom('account_tokens')
    .selectAll()
    .where('secret_hash', '=', hashToken(secret))
    .where('purpose', '=', 'invite')
    .executeTakeFirst();
  return row && !row.used_at && row.expires_at > now ? row : undefined;
}
