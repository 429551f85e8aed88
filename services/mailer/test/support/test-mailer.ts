import { parseConfig } from '@ddns/config';
import type { Db } from '@ddns/db';
import { bullConnection, QUEUES } from '@ddns/jobs';
import { testEnv } from '@ddns/testkit';
import { Queue } from 'bullmq';
import pino from 'pino';
import { mailerConfigSchema } from '../../src/config';
import { startMailer, type RunningMailer } from '../../src/worker';

export interface TestMailerOptions {
  db: Db;
  databaseUrl: string;
  smtpUrl: string;
  prefix: string;
  redisUrl?: string;
  env?: Record<string, string>;
}

/** Removes every queue's keys under `prefix` (the shared Redis is not left to fill up with test jobs). */
export async function obliterateQueues(redisUrl: string, prefix: string): Promise<void> {
  for (const name of Object.values(QUEUES)) {
    const q = new Queue(name, {
      connection: { ...bullConnection(redisUrl), enableOfflineQueue: false, maxRetriesPerRequest: 1 },
      prefix,
    });
    q.on('error', () => undefined);
    try {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis unreachable')), 5000);
      });
      await Promise.race([q.waitUntilReady().then(() => q.obliterate({ force: true })), gaveUp]).finally(() =>
        clearTimeout(timer),
      );
    } catch {
      // Redis is gone: nothing to clean
    }
    await q.close().catch(() => undefined);
  }
}

/**
 * The whole mailer (relay + workers) in-process, with short stall detection for crash tests.
 * `stop()` also removes the queues' keys.
 */
export async function startTestMailer(o: TestMailerOptions): Promise<RunningMailer> {
  const config = parseConfig(
    mailerConfigSchema,
    testEnv({
      DATABASE_URL: o.databaseUrl,
      SMTP_URL: o.smtpUrl,
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
      ...o.env,
    }),
  );
  const mailer = await startMailer({
    config,
    db: o.db,
    logger: pino({ level: 'silent' }),
    prefix: o.prefix,
    relayPollMs: 200,
    workerOptions: { lockDuration: 2000, stalledInterval: 500 },
  });
  return {
    ...mailer,
    async stop() {
      await mailer.stop();
      await obliterateQueues(config.REDIS_URL, o.prefix);
    },
  };
}
