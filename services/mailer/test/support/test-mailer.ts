import { parseConfig } from '@ddns/config';
import type { Db } from '@ddns/db';
import { testEnv } from '@ddns/testkit';
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

/** The whole mailer (relay + workers) in-process, with short stall detection for crash tests. */
export function startTestMailer(o: TestMailerOptions): Promise<RunningMailer> {
  const config = parseConfig(
    mailerConfigSchema,
    testEnv({
      DATABASE_URL: o.databaseUrl,
      SMTP_URL: o.smtpUrl,
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
      ...o.env,
    }),
  );
  return startMailer({
    config,
    db: o.db,
    logger: pino({ level: 'silent' }),
    prefix: o.prefix,
    relayPollMs: 200,
    workerOptions: { lockDuration: 2000, stalledInterval: 500 },
  });
}
