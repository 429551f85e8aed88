import type { Db } from '@ddns/db';
import type { QueueName } from '@ddns/jobs';
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { MailerConfig } from '../config';

/** What every queue processor may use. */
export interface QueueContext {
  config: MailerConfig;
  db: Db;
  logger: Logger;
  /** BullMQ key prefix */
  prefix: string;
  /** certificates queue: how to wait until our DNS answers a challenge TXT (tests) */
  certificates?: { waitForDns?: (fqdn: string, value: string) => Promise<void> };
}

/** A repeatable job the mailer keeps scheduled on its queue (BullMQ job scheduler, upserted at start). */
export interface QueueSchedule {
  id: string;
  jobName: string;
  everyMs: number;
}

/**
 * One queue the mailer consumes: `queues/<queue>.ts` exports a factory of this, and worker.ts lists the
 * factories. Adding a queue = one new file + one line in worker.ts.
 */
export interface QueueDefinition {
  queue: QueueName;
  processor: (job: Job) => Promise<unknown>;
  concurrency: number;
  schedules?: QueueSchedule[];
  /** releases what the processor holds (SMTP pools, clients) after the worker closed */
  close?: () => Promise<void> | void;
}
