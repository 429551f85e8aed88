import type { Db } from '@ddns/db';
import { bullConnection, RecipientBudget, type EmailJob } from '@ddns/jobs';
import { UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { emailSecretIsLive, mintEmailSecret, type MintSettings } from '../minted-secrets';
import { renderEmail } from '../templates';
import type { QueueContext, QueueDefinition } from './types';

/** What a sent e-mail job returns (and what a retry after a crash finds in its data). */
export interface EmailResult {
  /** empty when the mail was not sent (see `dropped`) */
  messageId: string;
  /** true when an earlier attempt had already sent it */
  alreadySent?: boolean;
  /** why the mail was not sent: its recipient's budget is used up, or its secret's row is gone */
  dropped?: 'recipient-limit' | 'stale';
}

/** What the processor checks before sending; each is optional so a bare SMTP test needs none. */
export interface EmailGuards {
  /** per-recipient budgets (all sources together) */
  budget?: RecipientBudget;
  /** where minted secrets are stored (jobs with `secret` need it) */
  mint?: { db: Db; settings: MintSettings };
  logger?: Logger;
}

type EmailJobData = EmailJob & { sentMessageId?: string };

/** An SMTP reply that retrying cannot fix (5xx: unknown mailbox, rejected sender, ...). */
function isPermanent(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * The `email` queue's processor: drops a mail whose secret's row is gone or replaced, admits the rest against
 * its recipient's budget (once per job), mints the secret it carries (only the hash is stored; job data never
 * holds it), renders the template and sends it.
 * Idempotent on retry: the job id is the Message-ID (receivers drop a duplicate), and once SMTP accepted the
 * message the job's data records it, so a retry after a failure later in the attempt does not send again.
 * 5xx SMTP replies fail the job at once; everything else (connection refused, 4xx, timeouts) is retried with
 * exponential backoff (attempts/backoff are set where the job is queued, see outbox-relay.ts).
 */
export function emailProcessor(transport: Transporter, from: string, guards: EmailGuards = {}) {
  return async (job: Job<EmailJobData>): Promise<EmailResult> => {
    const jobId = job.id ?? job.name;
    const messageId = `<${jobId}@ddns>`;
    if (job.data.sentMessageId) return { messageId: job.data.sentMessageId, alreadySent: true };
    const secret = job.data.secret;
    if (secret && !guards.mint)
      throw new UnrecoverableError('this mail carries a secret but no database is configured');
    // A mail whose secret's row was replaced or used meanwhile (e.g. the first nine of ten password resets in a
    // row) is dropped before it is counted, so stale mails never use up the budget the live one needs. A row
    // that belongs to this mail alone (account link, verification) is minted at once: atomic, and a minted but
    // unsent secret is known to nobody. A domain's reclamation token is shared by every /reclaim mail, so it is
    // only looked at here and minted once the budget admitted the mail (an earlier mailed token stays valid).
    const mint = () => mintEmailSecret(guards.mint!.db, guards.mint!.settings, jobId, job.data);
    let minted: Record<string, string> | null = null;
    if (secret && secret.kind !== 'reclamation') {
      minted = await mint();
      if (!minted) return { messageId: '', dropped: 'stale' };
    } else if (secret && !(await emailSecretIsLive(guards.mint!.db, job.data))) {
      return { messageId: '', dropped: 'stale' };
    }
    if (guards.budget && !(await guards.budget.admit('sent', job.data.to, job.data.template, jobId))) {
      guards.logger?.warn(
        { job: jobId, template: job.data.template },
        'recipient mail budget used up: not sent',
      );
      return { messageId: '', dropped: 'recipient-limit' };
    }
    if (secret && !minted) {
      minted = await mint();
      if (!minted) return { messageId: '', dropped: 'stale' };
    }
    const vars = minted ? { ...job.data.vars, ...minted } : job.data.vars;
    let mail;
    try {
      mail = renderEmail(job.data.template, vars);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    try {
      await transport.sendMail({
        from,
        to: job.data.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId,
      });
    } catch (err) {
      if (isPermanent(err)) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
    await job.updateData({ ...job.data, sentMessageId: messageId }).catch(() => undefined);
    return { messageId };
  };
}

/** An SMTP transport for SMTP_URL with bounded timeouts (a stalled server fails the attempt, it never hangs). */
export function smtpTransport(url: string): Transporter {
  return nodemailer.createTransport({
    url,
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
}

export function emailQueue(ctx: QueueContext): QueueDefinition {
  const transport = smtpTransport(ctx.config.SMTP_URL);
  // its own client for the budgets (BullMQ keeps its connections to itself); a command fails the attempt
  // (retried) rather than waiting while Redis is away
  const redis = new Redis({ ...bullConnection(ctx.config.REDIS_URL), maxRetriesPerRequest: 1 } as never);
  redis.on('error', (err: Error) => ctx.logger.warn({ err: err.message }, 'mail budget Redis problem'));
  const guards: EmailGuards = {
    budget: new RecipientBudget(redis, ctx.prefix),
    mint: { db: ctx.db, settings: { secretsKey: ctx.config.SECRETS_KEY, publicUrl: ctx.config.PUBLIC_URL } },
    logger: ctx.logger,
  };
  return {
    queue: 'email',
    processor: emailProcessor(transport, ctx.config.MAIL_FROM, guards) as QueueDefinition['processor'],
    concurrency: 4,
    close: () => {
      transport.close();
      redis.disconnect();
    },
  };
}
