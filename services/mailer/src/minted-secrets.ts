import { createHmac } from 'node:crypto';
import type { Db } from '@ddns/db';
import type { EmailJob } from '@ddns/jobs';
import { hashToken } from '@ddns/secrets';
import { EMAIL_LINK_PATHS } from '@ddns/v1-schema';

/**
 * Reclamation tokens and verification links are valid this long from the moment their mail is rendered
 * (account links: the expiry the API set when it asked for the mail).
 */
export const MINTED_SECRET_TTL_MS = 24 * 3600 * 1000;

/**
 * The secret of one mail, derived from SECRETS_KEY and the job id (HMAC-SHA256, shaped as a UUIDv4 as
 * gateways expect): a retry of the same job mints the same secret, and nothing but its hash is ever stored.
 */
export function mintedToken(secretsKey: string, jobId: string): string {
  const b = createHmac('sha256', `ddns-minted-secret-v1:${secretsKey}`).update(jobId, 'utf8').digest();
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface MintSettings {
  secretsKey: string;
  /** PUBLIC_URL: verification links point here */
  publicUrl: string;
  now?: Date;
}

/**
 * Whether a reclamation mail's domain still has its verified address `to` (the conditions mintEmailSecret
 * writes the token under, without writing): the mailer asks before it counts the mail against the recipient's
 * budget. Other secrets live in a row of their own and are minted (atomically) instead.
 */
export async function emailSecretIsLive(db: Db, job: EmailJob): Promise<boolean> {
  if (job.secret?.kind !== 'reclamation') return true;
  const r = await db
    .selectFrom('domains')
    .select('id')
    .where('id', '=', job.secret.domainId)
    .where('mode', 'is not', null)
    .where('email_verified', '=', true)
    .where((eb) => eb(eb.fn('lower', ['email']), '=', job.to.trim().toLowerCase()))
    .executeTakeFirst();
  return r !== undefined;
}

/**
 * Mints the secret a mail carries and stores its hash where the API looks for it: the domain's reclamation
 * token, or the pending verification's link secret. Returns the template variables to add (`token`, or
 * `link`), or null when the row is gone or changed meanwhile (the domain deleted, its address no longer the
 * verified recipient, the verification used or replaced): then the mail is not sent.
 */
export async function mintEmailSecret(
  db: Db,
  s: MintSettings,
  jobId: string,
  job: EmailJob,
): Promise<Record<string, string> | null> {
  if (!job.secret) return {};
  const token = mintedToken(s.secretsKey, jobId);
  const expires = new Date((s.now ?? new Date()).getTime() + MINTED_SECRET_TTL_MS);
  if (job.secret.kind === 'reclamation') {
    const r = await db
      .updateTable('domains')
      .set({ reclamation_token_hash: hashToken(token), reclamation_expires_at: expires })
      .where('id', '=', job.secret.domainId)
      .where('mode', 'is not', null)
      .where('email_verified', '=', true)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', job.to.trim().toLowerCase()))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1 ? { token } : null;
  }
  if (job.secret.kind === 'account-token') {
    // the row keeps the expiry the API gave it (a reset link works one hour, a sign-up link a day)
    const row = await db
      .updateTable('account_tokens')
      .set({ secret_hash: hashToken(token) })
      .where('id', '=', job.secret.tokenId)
      .where('used_at', 'is', null)
      .where('expires_at', '>', s.now ?? new Date())
      .returning('purpose')
      .executeTakeFirst();
    if (!row) return null;
    const path = EMAIL_LINK_PATHS[row.purpose];
    return { link: `${s.publicUrl.replace(/\/+$/, '')}${path}?token=${encodeURIComponent(token)}` };
  }
  const r = await db
    .updateTable('email_verifications')
    .set({ secret_hash: hashToken(token), expires_at: expires })
    .where('id', '=', job.secret.verificationId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return null;
  return { link: `${s.publicUrl.replace(/\/+$/, '')}/verifyemail?s=${token}` };
}
