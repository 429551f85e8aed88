import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server serves: a prom-client Registry, or a cluster primary's summed view of its workers. */
export interface MetricsSource {
  metrics(): Promise<string>;
  contentType: string;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Prometheus `GET /metrics` on its own address (API_METRICS_HOST:API_METRICS_PORT, loopback by default), apart
 * from the public API port: the numbers describe the deployment and are nobody else's business.
 */
export async function startMetricsServer(
  registry: MetricsSource,
  host: string,
  port: number,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
