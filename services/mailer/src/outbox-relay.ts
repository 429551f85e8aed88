import type { Db } from '@ddns/db';
import { bullConnection, type QueueName } from '@ddns/jobs';
import { Queue } from 'bullmq';
import pg from 'pg';
import type { Logger } from 'pino';

export interface OutboxRelayOptions {
  db: Db;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  logger: Logger;
  /** poll interval when no notification arrives (ms) */
  pollMs?: number;
  /** how long one BullMQ add may take before the pass gives up and retries later (ms) */
  addTimeoutMs?: number;
}

/** Retries with exponential backoff: 2 s, 4 s, 8 s, ... ~4 min for the 8th attempt. */
export const JOB_DEFAULTS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000 },
  // a sent mail's job carries no secret (minted at render time); its data goes after an hour anyway
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Moves outbox rows to their BullMQ queues. A row is marked relayed only after BullMQ accepted the job, and
 * the job id is the row's idempotency key, so a crash between the two re-adds a job BullMQ already has
 * (a no-op) instead of losing or duplicating it. While Redis is down rows simply wait.
 */
export class OutboxRelay {
  private readonly queues = new Map<string, Queue>();
  private timer: NodeJS.Timeout | null = null;
  private listener: pg.Client | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly o: OutboxRelayOptions) {}

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      // fail fast while Redis is down (the row just waits) instead of queueing commands in memory
      q = new Queue(name, {
        connection: {
          ...bullConnection(this.o.redisUrl),
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
        },
        prefix: this.o.prefix,
      });
      q.on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => this.kick(), this.o.pollMs ?? 1000);
    await this.listen();
    this.kick();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const c = new pg.Client({ connectionString: this.o.databaseUrl, application_name: 'ddns-outbox-relay' });
    c.on('error', () => {
      this.listener = null;
      c.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(), 1000).unref();
    });
    try {
      await c.connect();
      await c.query('LISTEN outbox');
      c.on('notification', () => this.kick());
      this.listener = c;
    } catch {
      await c.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.listen(), 1000).unref();
    }
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.relayPending()
      .then(() => undefined)
      .catch((err: unknown) =>
        this.o.logger.warn({ err: (err as Error).message }, 'outbox relay pass failed'),
      )
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** One pass: relays every pending row in id order; stops at the first Redis failure. Returns rows moved. */
  async relayPending(): Promise<number> {
    let moved = 0;
    for (;;) {
      const rows = await this.o.db
        .selectFrom('outbox')
        .selectAll()
        .where('relayed_at', 'is', null)
        .orderBy('id')
        .limit(100)
        .execute();
      if (rows.length === 0) return moved;
      for (const row of rows) {
        try {
          await withTimeout(
            this.queue(row.queue as QueueName).add(row.job_name, row.payload, {
              ...JOB_DEFAULTS,
              jobId: row.job_id,
            }),
            this.o.addTimeoutMs ?? 5000,
          );
        } catch (err) {
          // start over with a fresh connection next pass
          const q = this.queues.get(row.queue);
          this.queues.delete(row.queue);
          void q?.close().catch(() => undefined);
          await this.o.db
            .updateTable('outbox')
            .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: (err as Error).message }))
            .where('id', '=', row.id)
            .execute();
          return moved;
        }
        await this.o.db
          .updateTable('outbox')
          .set({ relayed_at: new Date() })
          .where('id', '=', row.id)
          .execute();
        moved++;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => undefined);
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}
