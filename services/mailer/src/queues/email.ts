import type { EmailJob } from '@ddns/jobs';
import { UnrecoverableError, type Job } from 'bullmq';
import nodemailer, { type Transporter } from 'nodemailer';
import { renderEmail } from '../templates';
import type { QueueContext, QueueDefinition } from './types';

/** What a sent e-mail job returns (and what a retry after a crash finds in its data). */
export interface EmailResult {
  messageId: string;
  /** true when an earlier attempt had already sent it */
  alreadySent?: boolean;
}

type EmailJobData = EmailJob & { sentMessageId?: string };

/** An SMTP reply that retrying cannot fix (5xx: unknown mailbox, rejected sender, ...). */
function isPermanent(err: unknown): boolean {
  const code = (err as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * The `email` queue's processor: renders the template and sends it.
 * Idempotent on retry: the job id is the Message-ID (receivers drop a duplicate), and once SMTP accepted the
 * message the job's data records it, so a retry after a failure later in the attempt does not send again.
 * 5xx SMTP replies fail the job at once; everything else (connection refused, 4xx, timeouts) is retried with
 * exponential backoff (attempts/backoff are set where the job is queued, see outbox-relay.ts).
 */
export function emailProcessor(transport: Transporter, from: string) {
  return async (job: Job<EmailJobData>): Promise<EmailResult> => {
    const messageId = `<${job.id ?? job.name}@ddns>`;
    if (job.data.sentMessageId) return { messageId: job.data.sentMessageId, alreadySent: true };
    let mail;
    try {
      mail = renderEmail(job.data.template, job.data.vars);
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
  return {
    queue: 'email',
    processor: emailProcessor(transport, ctx.config.MAIL_FROM) as QueueDefinition['processor'],
    concurrency: 4,
    close: () => transport.close(),
  };
}
