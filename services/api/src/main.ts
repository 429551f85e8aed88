import cluster from 'node:cluster';
import { loadConfigOrExit } from '@ddns/config';
import { createDb, dbTimeouts } from '@ddns/db';
import { DEFAULT_BULL_PREFIX } from '@ddns/jobs';
import { Redis } from 'ioredis';
import { AggregatorRegistry, collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from './app';
import { apiConfigSchema } from './config';
import { createLogger } from './logger';
import { startMetricsServer } from './metrics-server';
import { startServers } from './server';
import type { Logger } from 'pino';
import type { ApiConfig } from './config';

/**
 * The api service. With API_WORKERS > 1 the primary forks that many workers, each a whole API (its own
 * Postgres pool and Redis connection) sharing the listening ports through node:cluster; the primary only
 * replaces a worker that dies and serves the workers' metrics summed on API_METRICS_PORT. Everything that
 * must be shared (rate limits, quotas, lockouts) already lives in Redis.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(apiConfigSchema);
  const logger = createLogger(config.LOG_LEVEL, 'api');
  if (config.API_WORKERS > 1 && cluster.isPrimary) return primary(config, logger);
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
  // a worker's metrics go to the primary, which serves them summed (constructing an AggregatorRegistry is
  // what makes prom-client answer the primary's requests)
  if (cluster.isWorker) {
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([metrics]);
  }
  const metricsServer = cluster.isWorker
    ? null
    : await startMetricsServer(metrics, config.API_METRICS_HOST, config.API_METRICS_PORT);
  if (metricsServer)
    logger.info({ host: config.API_METRICS_HOST, port: metricsServer.port }, 'metrics listening');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    await Promise.all([servers.close(), metricsServer?.close()]);
    await db.destroy().catch(() => undefined);
    redis.disconnect();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

async function primary(config: ApiConfig, logger: Logger): Promise<void> {
  let stopping = false;
  for (let i = 0; i < config.API_WORKERS; i++) cluster.fork();
  cluster.on('exit', (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: w.process.pid, code, signal }, 'api worker died; replacing it');
    cluster.fork();
  });
  const aggregated = new AggregatorRegistry();
  const metricsServer = await startMetricsServer(
    { metrics: () => aggregated.clusterMetrics(), contentType: aggregated.contentType },
    config.API_METRICS_HOST,
    config.API_METRICS_PORT,
  );
  logger.info({ workers: config.API_WORKERS, port: metricsServer.port }, 'api workers started');
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the api workers');
    void metricsServer.close();
    // each worker finishes its in-flight requests, then exits; the last exit ends the primary
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
