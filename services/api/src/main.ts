import { loadConfigOrExit } from '@ddns/config';
import { createDb, dbTimeouts } from '@ddns/db';
import { DEFAULT_BULL_PREFIX } from '@ddns/jobs';
import { Redis } from 'ioredis';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from './app';
import { apiConfigSchema } from './config';
import { createLogger } from './logger';
import { startMetricsServer } from './metrics-server';
import { startServers } from './server';

async function main(): Promise<void> {
  const config = loadConfigOrExit(apiConfigSchema);
  const logger = createLogger(config.LOG_LEVEL, 'api');
  const db = createDb(config.DATABASE_URL, {
    applicationName: 'ddns-api',
    ...dbTimeouts(config),
    onConnectionError: (err) => logger.warn({ err: err.message }, 'postgres connection lost'),
  });
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection problem'));
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  // UPDATER_RATE_LIMIT=off lifts the DynDNS2 per-key call limit for benchmarks (bench/update); never in production
  const updaterRateLimit = process.env.UPDATER_RATE_LIMIT !== 'off';
  const app = createApp({
    config,
    db,
    redis,
    redisPrefix: DEFAULT_BULL_PREFIX,
    logger,
    updaterRateLimit,
    // WEB_DIST_DIR: another dashboard build (tests); WEB_DEV_URL: pnpm dev's Vite server (hot reload)
    web: { dir: process.env.WEB_DIST_DIR || undefined, devUrl: process.env.WEB_DEV_URL || undefined },
  });
  const servers = await startServers(app, config, logger);
  const metricsServer = await startMetricsServer(metrics, config.API_METRICS_HOST, config.API_METRICS_PORT);
  logger.info({ host: config.API_METRICS_HOST, port: metricsServer.port }, 'metrics listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    await Promise.all([servers.close(), metricsServer.close()]);
    await db.destroy().catch(() => undefined);
    redis.disconnect();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
