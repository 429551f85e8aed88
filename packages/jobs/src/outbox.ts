import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '@ddns/db';
import type { JobPayloads, QueueName } from './queues';

export interface OutboxJob<Q extends QueueName> {
  queue: Q;
  name: string;
  data: JobPayloads[Q];
  /** idempotency key (also the BullMQ jobId): the same key is queued and sent once */
  jobId: string;
}

/**
 * Writes a job into the outbox. Call it inside the transaction of the change that causes the job:
 * then the job exists exactly when the change does, whether or not Redis is up right now.
 */
export async function enqueueInOutbox<Q extends QueueName>(
  trx: Transaction<Database> | Kysely<Database>,
  job: OutboxJob<Q>,
): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({ queue: job.queue, job_name: job.name, payload: JSON.stringify(job.data), job_id: job.jobId })
    .onConflict((oc) => oc.column('job_id').doNothing())
    .execute();
  // wake the relay at once (it also polls)
  await sql`SELECT pg_notify('outbox', '')`.execute(trx);
}
