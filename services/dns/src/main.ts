import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfigOrExit } from '@ddns/config';
import { dbTimeouts } from '@ddns/db';
import { createLogger } from '@ddns/logging';
import { AggregatorRegistry } from 'prom-client';
import { dnsConfigSchema, listenHosts } from './config';
import { serveMetrics } from './metrics/metrics';
import { startDnsServer } from './server';
import { parseTsigKeys } from './wire/tsig';

/**
 * The dns service. With DNS_WORKERS > 1 the primary forks workers that share the sockets (Node's cluster
 * splits UDP and TCP load between them); each worker holds the whole data set and its own change feed.
 * The primary serves the workers' metrics aggregated; the first worker alone sends NOTIFY.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit(dnsConfigSchema);
  const logger = createLogger({ name: 'dns', level: config.LOG_LEVEL });

  if (config.DNS_WORKERS > 1 && cluster.isPrimary) {
    let stopping = false;
    for (let i = 0; i < config.DNS_WORKERS; i++) cluster.fork({ DNS_WORKER_INDEX: String(i) });
    cluster.on('exit', (w, code) => {
      if (stopping) {
        if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
        return;
      }
      logger.error({ pid: w.process.pid, code }, 'worker died; replacing it');
      cluster.fork({ DNS_WORKER_INDEX: String(w.id) });
    });
    const aggregated = new AggregatorRegistry();
    const metricsServer = await serveMetrics(
      config.DNS_METRICS_HOST,
      config.DNS_METRICS_PORT,
      () => aggregated.clusterMetrics(),
      aggregated.contentType,
    );
    const stop = () => {
      stopping = true;
      void metricsServer.close();
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }

  const first = (process.env.DNS_WORKER_INDEX ?? '0') === '0';
  const { hosts, optional } = listenHosts(config.DNS_HOST);
  const server = await startDnsServer({
    databaseUrl: config.DATABASE_URL,
    db: dbTimeouts(config),
    hosts,
    optionalHosts: optional,
    port: config.DNS_PORT,
    metricsPort: cluster.isWorker ? null : config.DNS_METRICS_PORT,
    metricsHost: config.DNS_METRICS_HOST,
    secondaries: config.DNS_SECONDARIES,
    tsigKeys: parseTsigKeys(config.DNS_TSIG_KEYS.join(',')),
    notify: first,
    tunnel: { ipv4: config.TUNNEL_IPV4, ipv6: config.TUNNEL_IPV6 },
    secretsKey: config.SECRETS_KEY,
    // every worker signs on its own (ECDSA signatures differ): IXFR deltas only when one process serves
    ixfr: config.DNS_WORKERS === 1,
    // the first worker bumps the serial of zones with signatures due for refresh (every worker re-signs then)
    signatureRefreshMs: first ? undefined : null,
    rrl: config.DNS_RRL ? { rate: config.DNS_RRL_RATE, slip: 2 } : null,
    udpMaxPayload: config.DNS_UDP_MAX_PAYLOAD,
    fastPath: config.DNS_FAST_PATH,
    // the addon sets SO_REUSEPORT only when it opens several sockets: workers sharing the port need it
    udpThreads:
      config.DNS_WORKERS > 1
        ? Math.max(2, config.DNS_UDP_THREADS ?? availableParallelism())
        : config.DNS_UDP_THREADS,
    cacheMb: config.DNS_CACHE_MB,
    tcpMaxConnections: config.DNS_TCP_MAX_CLIENTS,
    tcpMaxPerAddress: config.DNS_TCP_MAX_PER_ADDRESS,
    tcpMaxPerNetwork: config.DNS_TCP_MAX_PER_NETWORK,
    tcpIdleMs: config.DNS_TCP_IDLE_TIMEOUT_MS,
    tcpIoTimeoutMs: config.DNS_TCP_IO_TIMEOUT_MS,
    tcpMaxLifetimeMs: config.DNS_TCP_MAX_LIFETIME_MS,
    waitForDatabase: true,
    logger,
  });
  // under cluster, the primary asks each worker for this registry and aggregates (constructing an
  // AggregatorRegistry is what installs prom-client's worker-side listener)
  if (cluster.isWorker) {
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([server.metrics.registry]);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`dns: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
