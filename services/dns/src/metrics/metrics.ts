import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { RCODE_NAME, TYPE_NAME } from '../wire/constants';

/** /readyz turns 503 when the served data may be older than this. */
export const READY_MAX_LAG_SECONDS = 30;

export interface Readiness {
  ready: boolean;
  feedConnected: boolean;
  lagSeconds: number;
  openSeqs: number;
}

/** What the gauges read when scraped. */
export interface MetricsSources {
  storeNames(): number;
  storeZones(): number;
  cacheEntries(): number;
  /** seconds since the change feed last read Postgres to its end (how stale answers may be) */
  feedLagSeconds(): number;
  feedConnected(): boolean;
  /** feed sequence numbers still waited for (writers that took one and have not committed) */
  feedOpenSeqs(): number;
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

  constructor(private readonly src: MetricsSources) {
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
    gauge(
      'dns_feed_lag_seconds',
      'Seconds since the change feed last read Postgres to its end: how far behind answers may be',
      'max',
      () => src.feedLagSeconds(),
    );
    gauge('dns_feed_connected', '1 while the change feed is connected to Postgres', 'min', () =>
      src.feedConnected() ? 1 : 0,
    );
    gauge(
      'dns_feed_open_seqs',
      'Change-feed sequence numbers taken by writers that have not committed yet (re-read until they do)',
      'max',
      () => src.feedOpenSeqs(),
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

  /**
   * Serving fresh data? Not ready once the change feed has not read Postgres to its end for
   * READY_MAX_LAG_SECONDS (answers still come, from memory, but may be that stale).
   */
  readiness(): Readiness {
    const lagSeconds = Math.round(this.src.feedLagSeconds() * 10) / 10;
    return {
      ready: lagSeconds <= READY_MAX_LAG_SECONDS,
      feedConnected: this.src.feedConnected(),
      lagSeconds,
      openSeqs: this.src.feedOpenSeqs(),
    };
  }

  /** Serves GET /metrics and GET /readyz on host:port (0 = any free port); resolves with the bound port. */
  listen(host: string, port: number): Promise<MetricsServer> {
    return serveMetrics(
      host,
      port,
      () => this.registry.metrics(),
      this.registry.contentType,
      () => this.readiness(),
    );
  }
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * A tiny HTTP server for `GET /metrics` (also used by the cluster primary to serve aggregated metrics) and,
 * given `ready`, `GET /readyz` (200/503 JSON: `{"status":"ready"|"not ready","feedConnected",...}`).
 */
export async function serveMetrics(
  host: string,
  port: number,
  text: () => Promise<string>,
  contentType: string,
  ready?: () => Readiness,
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/readyz' && ready) {
      const { ready: ok, ...rest } = ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not ready', ...rest }));
      return;
    }
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
