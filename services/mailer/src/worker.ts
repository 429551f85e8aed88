import type { Db } from '@ddns/db';
import { bullConnection, QUEUES } from '@ddns/jobs';
import { Worker } from 'bullmq';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import type { MailerConfig } from './config';
import { OutboxRelay } from './outbox-relay';
import { startCertificates, type CertificatesDeps } from './queues/certificates';
import { emailProcessor } from './queues/email';

export interface MailerOptions {
  config: MailerConfig;
  db: Db;
  logger: Logger;
  /** BullMQ key prefix (tests use a unique one) */
  prefix: string;
  /** overrides for the certificates queue (tests: how to wait for our DNS) */
  certificates?: Pick<CertificatesDeps, 'waitForDns'>;
}

export interface RunningMailer {
  relay: OutboxRelay;
  workers: Worker[];
  stop(): Promise<void>;
}

/** Starts the outbox relay and one worker per queue. */
export async function startMailer(o: MailerOptions): Promise<RunningMailer> {
  const connection = bullConnection(o.config.REDIS_URL);
  const transport = nodemailer.createTransport(o.config.SMTP_URL);
  const email = new Worker(QUEUES.email, emailProcessor(transport, o.config.MAIL_FROM), {
    connection,
    prefix: o.prefix,
    concurrency: 4,
  });
  email.on('failed', (job, err) => o.logger.warn({ job: job?.id, err: err.message }, 'email job failed'));
  email.on('completed', (job) => o.logger.info({ job: job.id }, 'email sent'));
  email.on('error', (err) => o.logger.warn({ err: err.message }, 'email worker problem'));
  const relay = new OutboxRelay({
    db: o.db,
    databaseUrl: o.config.DATABASE_URL,
    redisUrl: o.config.REDIS_URL,
    prefix: o.prefix,
    logger: o.logger,
  });
  await relay.start();
  const workers = [email];
  // certificates queue: ACME DNS-01 issuance through our DNS + the repeatable renewal sweep
  workers.push(
    await startCertificates(
      {
        db: o.db,
        secretsKey: o.config.SECRETS_KEY,
        directoryUrl: o.config.ACME_DIRECTORY_URL,
        caFile: o.config.ACME_CA_FILE,
        logger: o.logger,
        ...o.certificates,
      },
      { connection, prefix: o.prefix },
    ),
  );
  return {
    relay,
    workers,
    async stop() {
      await relay.stop();
      await Promise.all(workers.map((w) => w.close()));
      transport.close();
    },
  };
}
