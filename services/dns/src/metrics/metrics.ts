import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { RCODE_NAME, TYPE_NAME } from '../wire/constants';

/** What the gauges read when scraped. */
export interface MetricsSources {
  storeNames(): number;
  storeZones(): number;
  cacheEntries(): number;
  /** seconds between the last applied change's commit and its application; 0 when none yet */
  feedLagSeconds(): number;
  feedConnected(): boolean;
  rrlLimited(): number;
}

/** Prometheus metrics of one responder (its own registry, so several can live in one process). */
export class DnsMetrics {
  readonly registry = new Registry();
  private readonly queries: Counter<'qtype' | 'rcode' | 'transport'>;
  private readonly dropped: Counter<'reason'>;
  private readonly tcpRejectedTotal: Counter<'reason'>;
  private readonly tcpClosedTotal: Counter<'reason'>;
  private readonly truncatedTotal: Counter<'transport'>;
  /** hot-path counts, folded into the Prometheus counter when scraped (a plain increment per query) */
  private readonly pending = new Map<
    string,
    { qtype: number; rcode: number; transport: string; n: number }
  >();

  constructor(src: MetricsSources) {
    const registers = [this.registry];
    const pending = this.pending;
    this.queries = new Counter({
      name: 'dns_queries_total',
      help: 'Answered queries by question type, response code and transport',
      labelNames: ['qtype', 'rcode', 'transport'],
      registers,
      collect() {
        for (const p of pending.values()) {
          if (p.n === 0) continue;
          this.labels(
            TYPE_NAME[p.qtype] ?? `TYPE${p.qtype}`,
            RCODE_NAME[p.rcode] ?? String(p.rcode),
            p.transport,
          ).inc(p.n);
          p.n = 0;
        }
      },
    });
    this.dropped = new Counter({
      name: 'dns_dropped_total',
      help: 'Packets not answered, by reason (malformed, response, rrl)',
      labelNames: ['reason'],
      registers,
    });
    this.tcpRejectedTotal = new Counter({
      name: 'dns_tcp_rejected_total',
      help: 'TCP connections refused by a cap (max_clients, per_address, per_network)',
      labelNames: ['reason'],
      registers,
    });
    this.tcpClosedTotal = new Counter({
      name: 'dns_tcp_closed_total',
      help: 'TCP connections closed by us (idle: no complete query in time, io_timeout: answers left unread, lifetime)',
      labelNames: ['reason'],
      registers,
    });
    this.truncatedTotal = new Counter({
      name: 'dns_truncated_total',
      help: 'Answers sent truncated (TC) because they did not fit the UDP size',
      labelNames: ['transport'],
      registers,
    });
    // `aggregator`: how the primary combines workers' values when DNS_WORKERS > 1 (each worker holds it all)
    const gauge = (name: string, help: string, aggregator: 'max' | 'min' | 'sum', read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        aggregator,
        collect() {
          this.set(read());
        },
      });
    gauge('dns_store_names', 'Owner names held in memory', 'max', () => src.storeNames());
    gauge('dns_store_zones', 'Zones held in memory', 'max', () => src.storeZones());
    gauge('dns_cache_entries', 'Packet cache entries', 'sum', () => src.cacheEntries());
    gauge('dns_feed_lag_seconds', 'Delay between a change commit and its application', 'max', () =>
      src.feedLagSeconds(),
    );
    gauge('dns_feed_connected', '1 while the change feed is connected to Postgres', 'min', () =>
      src.feedConnected() ? 1 : 0,
    );
    gauge('dns_rrl_limited', 'Responses limited by RRL since start', 'sum', () => src.rrlLimited());
  }

  query(qtype: number, rcode: number, transport: 'udp' | 'tcp'): void {
    const key = `${qtype}|${rcode}|${transport}`;
    const p = this.pending.get(key);
    if (p) p.n++;
    else this.pending.set(key, { qtype, rcode, transport, n: 1 });
  }

  drop(reason: 'malformed' | 'response' | 'rrl'): void {
    this.dropped.labels(reason).inc();
  }

  tcpRejected(reason: string): void {
    this.tcpRejectedTotal.labels(reason).inc();
  }

  tcpClosed(reason: string): void {
    this.tcpClosedTotal.labels(reason).inc();
  }

  truncated(transport: 'udp' | 'tcp'): void {
    this.truncatedTotal.labels(transport).inc();
  }

  /** Serves GET /metrics on host:port (0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<MetricsServer> {
    return serveMetrics(host, port, () => this.registry.metrics(), this.registry.contentType);
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** A tiny HTTP server for `GET /metrics` (also used by the cluster primary to serve aggregated metrics). */
export async function serveMetrics(
  host: string,
  port: number,
  text: () => Promise<string>,
  contentType: string,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    text().then(
      (body) => res.writeHead(200, { 'content-type': contentType }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
