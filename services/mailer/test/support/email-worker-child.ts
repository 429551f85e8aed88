/**
 * A stand-alone e-mail worker in its own process, for the test that kills a worker mid-job (SIGKILL).
 * env: REDIS_URL, BULL_PREFIX, SMTP_URL, DATABASE_URL + SECRETS_KEY (mails that carry a minted secret).
 * Prints `ready` once it consumes the queue.
 */
import { createDb } from '@ddns/db';
import { bullConnection, QUEUES } from '@ddns/jobs';
import { Worker } from 'bullmq';
import { emailProcessor, smtpTransport } from '../../src/queues/email';

async function main(): Promise<void> {
  const db = createDb(process.env.DATABASE_URL!);
  const worker = new Worker(
    QUEUES.email,
    emailProcessor(smtpTransport(process.env.SMTP_URL!), 'ddns test <noreply@test>', {
      mint: { db, settings: { secretsKey: process.env.SECRETS_KEY!, publicUrl: 'http://gw.test' } },
    }),
    {
      connection: bullConnection(process.env.REDIS_URL!),
      prefix: process.env.BULL_PREFIX!,
      lockDuration: 2000,
      stalledInterval: 1000,
    },
  );
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  process.stdout.write('ready\n');
}

void main();
