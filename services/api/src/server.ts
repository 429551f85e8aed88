import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { isPlainHttpPath } from './app';
import type { ApiConfig } from './config';

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
  if (!certFile || !keyFile) {
    const main = http.createServer(app);
    await listen(main, config.API_PORT, config.API_HOST);
    logger.info({ port: config.API_PORT, host: config.API_HOST }, 'api listening (http)');
    return { main, plain: null, close: () => closeServer(main, 10_000) };
  }
  const load = () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
  const main = https.createServer(load(), app);
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
  const plain = http.createServer((req, res) => {
    if (isPlainHttpPath(req.url)) return app(req, res);
    res
      .writeHead(404, { 'content-type': 'text/plain' })
      .end('only the updater paths answer over plain HTTP; use HTTPS\n');
  });
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
