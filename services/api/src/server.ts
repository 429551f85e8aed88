import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { isPlainHttpPath } from './app';
import type { ApiConfig } from './config';
import { hardenServer, serverOptions, type HttpLimits } from './http/harden';

export interface RunningServers {
  /** the main server: HTTPS when TLS files are set, else HTTP */
  main: http.Server | https.Server;
  /** plain HTTP for the updater paths only, when TLS is on */
  plain: http.Server | null;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting, lets in-flight requests finish (up to graceMs), then closes the rest. */
function closeServer(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), graceMs).unref();
  });
}

/** The HTTP limits of API_* settings; connections from trusted proxies (TRUST_PROXY) are not capped. */
export function httpLimits(app: Express, config: ApiConfig): HttpLimits {
  const trusted = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  return {
    headersTimeoutMs: config.API_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: config.API_REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: config.API_KEEPALIVE_TIMEOUT_SECONDS * 1000,
    caps: {
      perAddress: config.API_MAX_CONNECTIONS_PER_ADDRESS,
      perNetwork: config.API_MAX_CONNECTIONS_PER_NETWORK,
    },
    exempt: (address) => trusted(address, 0),
  };
}

/**
 * Serves the app. With TLS_CERT_FILE and TLS_KEY_FILE: HTTPS on API_PORT (the files are reloaded when they
 * change, e.g. after a renewal) and plain HTTP on API_HTTP_PORT answering only the updater paths.
 * Without them: plain HTTP on API_PORT for everything (put a TLS-terminating reverse proxy in front).
 */
export async function startServers(
  app: Express,
  config: ApiConfig,
  logger: Logger,
  opts: { tlsReloadIntervalMs?: number } = {},
): Promise<RunningServers> {
  const certFile = config.TLS_CERT_FILE;
  const keyFile = config.TLS_KEY_FILE;
  const limits = httpLimits(app, config);
  const options = serverOptions(limits);
  if (!certFile || !keyFile) {
    const main = http.createServer(options, app);
    hardenServer(main, limits);
    await listen(main, config.API_PORT, config.API_HOST);
    logger.info({ port: config.API_PORT, host: config.API_HOST }, 'api listening (http)');
    return { main, plain: null, close: () => closeServer(main, 10_000) };
  }
  const load = () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
  const main = https.createServer({ ...options, ...load() }, app);
  hardenServer(main, limits);
  const reload = () => {
    try {
      main.setSecureContext(load());
      logger.info('TLS certificate reloaded');
    } catch (err) {
      logger.error({ err }, 'TLS certificate reload failed; keeping the previous one');
    }
  };
  const interval = opts.tlsReloadIntervalMs ?? 2000;
  watchFile(certFile, { interval }, reload);
  watchFile(keyFile, { interval }, reload);
  const plain = http.createServer(options, (req, res) => {
    if (isPlainHttpPath(req.url)) return app(req, res);
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('only the updater paths answer over plain HTTP; use HTTPS\n');
  });
  hardenServer(plain, limits);
  await listen(main, config.API_PORT, config.API_HOST);
  await listen(plain, config.API_HTTP_PORT, config.API_HOST);
  logger.info(
    { https: config.API_PORT, http: config.API_HTTP_PORT },
    'api listening (https + plain http for updaters)',
  );
  return {
    main,
    plain,
    async close() {
      unwatchFile(certFile);
      unwatchFile(keyFile);
      await Promise.all([closeServer(main, 10_000), closeServer(plain, 10_000)]);
    },
  };
}
