import type { EmailJob } from '@ddns/jobs';
import type { Job } from 'bullmq';
import type { Transporter } from 'nodemailer';
import { renderEmail } from '../templates';

/**
 * The `email` queue's processor: renders the template and sends it. The job id doubles as the Message-ID, so a
 * retry after a crash mid-send carries the same Message-ID and receiving systems can drop the duplicate.
 */
export function emailProcessor(transport: Transporter, from: string) {
  return async (job: Job<EmailJob>): Promise<{ messageId: string }> => {
    const mail = renderEmail(job.data.template, job.data.vars);
    const messageId = `<${job.id ?? job.name}@ddns>`;
    await transport.sendMail({
      from,
      to: job.data.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      messageId,
    });
    return { messageId };
  };
}
