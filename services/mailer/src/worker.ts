import type { Db } from '@ddns/db';
import { bullConnection } from '@ddns/jobs';
import { Queue, Worker, type WorkerOptions } from 'bullmq';
import type { Logger } from 'pino';
import type { MailerConfig } from './config';
import { OutboxRelay } from './outbox-relay';
import { certificatesQueue } from './queues/certificates';
import { emailQueue } from './queues/email';
import { ownershipQueue } from './queues/ownership';
import { sweepsQueue } from './queues/sweeps';
import type { QueueContext, QueueDefinition } from './queues/types';

/** Every queue this service consumes: one processor per file in ./queues. Add a queue here. */
export const QUEUE_FACTORIES: ReadonlyArray<(ctx: QueueContext) => QueueDefinition> = [
  emailQueue,
  sweepsQueue,
  certificatesQueue,
  ownershipQueue,
];

export interface MailerOptions {
  config: MailerConfig;
  db: Db;
  logger: Logger;
  /** BullMQ key prefix (tests use a unique one) */
  prefix: string;
  /** BullMQ worker tuning (tests shorten lockDuration / stalledInterval) */
  workerOptions?: Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>;
  /** outbox poll interval (ms) */
  relayPollMs?: number;
  /** overrides for the certificates queue (tests: how to wait for our DNS) */
  certificates?: QueueContext['certificates'];
}

export interface RunningMailer {
  relay: OutboxRelay;
  workers: Worker[];
  stop(): Promise<void>;
}

/** Starts the outbox relay, one worker per queue, and the queues' repeatable schedules. */
export async function startMailer(o: MailerOptions): Promise<RunningMailer> {
  const ctx: QueueContext = {
    config: o.config,
    db: o.db,
    logger: o.logger,
    prefix: o.prefix,
    certificates: o.certificates,
  };
  const definitions = QUEUE_FACTORIES.map((f) => f(ctx));
  const workers = definitions.map((d) => {
    const w = new Worker(d.queue, d.processor, {
      connection: bullConnection(o.config.REDIS_URL),
      prefix: o.prefix,
      concurrency: d.concurrency,
      // a job held by a mailer that died is retried, not failed: BullMQ's default (1) failed for good a mail in
      // flight at two crashes in a row; 10 still ends a job that kills every worker that takes it
      maxStalledCount: 10,
      ...o.workerOptions,
    });
    w.on('failed', (job, err) =>
      o.logger.warn(
        { queue: d.queue, job: job?.id, attempt: job?.attemptsMade, err: err.message },
        'job failed',
      ),
    );
    w.on('completed', (job) => o.logger.info({ queue: d.queue, job: job.id }, 'job done'));
    w.on('error', (err) => o.logger.warn({ queue: d.queue, err: err.message }, 'worker problem'));
    return w;
  });

  const schedulers = new Scheduler(o, definitions);
  schedulers.start();

  const relay = new OutboxRelay({
    db: o.db,
    databaseUrl: o.config.DATABASE_URL,
    redisUrl: o.config.REDIS_URL,
    prefix: o.prefix,
    logger: o.logger,
    pollMs: o.relayPollMs,
  });
  await relay.start();
  return {
    relay,
    workers,
    async stop() {
      await relay.stop();
      await schedulers.stop();
      await Promise.all(workers.map((w) => w.close()));
      for (const d of definitions) await d.close?.();
    },
  };
}

/** Upserts each queue's repeatable jobs; retries until Redis answers (the mailer may start before Redis). */
class Scheduler {
  private readonly queues: Queue[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly o: MailerOptions,
    private readonly definitions: QueueDefinition[],
  ) {}

  start(): void {
    this.pending = this.attempt();
  }

  private async attempt(): Promise<void> {
    const todo = this.definitions.filter((d) => d.schedules?.length);
    if (todo.length === 0 || this.stopped) return;
    try {
      for (const d of todo) {
        const q = new Queue(d.queue, {
          connection: {
            ...bullConnection(this.o.config.REDIS_URL),
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
          },
          prefix: this.o.prefix,
        });
        q.on('error', () => undefined);
        this.queues.push(q);
        for (const s of d.schedules ?? []) {
          await q.upsertJobScheduler(
            s.id,
            { every: s.everyMs },
            { name: s.jobName, opts: { removeOnComplete: 50, removeOnFail: 50 } },
          );
        }
      }
      await this.closeQueues();
    } catch (err) {
      await this.closeQueues();
      if (this.stopped) return;
      this.o.logger.warn({ err: (err as Error).message }, 'cannot schedule repeatable jobs yet; retrying');
      this.timer = setTimeout(() => {
        this.pending = this.attempt();
      }, 5000);
      this.timer.unref();
    }
  }

  private async closeQueues(): Promise<void> {
    const qs = this.queues.splice(0);
    await Promise.all(qs.map((q) => q.close().catch(() => undefined)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.closeQueues(); // unblocks an upsert waiting for Redis
    await this.pending;
  }
}
