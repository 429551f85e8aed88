import { loadConfigOrExit } from '@ddns/config';
import { createDb, dbTimeouts } from '@ddns/db';
import { createLogger } from '@ddns/logging';
import { DEFAULT_BULL_PREFIX } from '@ddns/jobs';
import { mailerConfigSchema } from './config';
import { startHeartbeat } from './heartbeat';
import { startMailer } from './worker';

async function main(): Promise<void> {
  const config = loadConfigOrExit(mailerConfigSchema);
  const logger = createLogger({ name: 'mailer', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, {
    max: 4,
    applicationName: 'ddns-mailer',
    ...dbTimeouts(config),
    onConnectionError: (err) => logger.warn({ err: err.message }, 'postgres connection lost'),
  });
  const mailer = await startMailer({ config, db, logger, prefix: DEFAULT_BULL_PREFIX });
  const heartbeat = config.MAILER_HEARTBEAT_FILE
    ? startHeartbeat({ file: config.MAILER_HEARTBEAT_FILE, workers: mailer.workers, db, logger })
    : null;
  logger.info('mailer consuming queues');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing running jobs');
    heartbeat?.stop();
    await mailer.stop();
    await db.destroy();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`mailer: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
