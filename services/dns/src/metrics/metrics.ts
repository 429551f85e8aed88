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
  /** the native UDP fast path's cumulative counts, null when UDP is answered by the TypeScript path */
  native?(): NativeCounts | null;
}

/** What the native engine counted since it started (cumulative: folded into the counters as deltas). */
export interface NativeCounts {
  /** answers sent from the native packet cache: [qtype, rcode, count] */
  answered: ReadonlyArray<readonly [number, number, number]>;
  /** misses dropped because too many waited for JavaScript */
  missesDropped: number;
  /** cache hits dropped by RRL on the native side (JS replies' drops are counted by the responder) */
  rrlDropped: number;
  cacheEntries: number;
}

/** Prometheus metrics of one responder (its own registry, so several can live in one process). */
export class DnsMetrics {
  readonly registry = new Registry();
  private readonly queries: Counter<'qtype' | 'rcode' | 'transport'>;
  private readonly dropped: Counter<'reason'>;
  private readonly tcpRejectedTotal: Counter<'reason'>;
  private readonly tcpClosedTotal: Counter<'reason'>;
  private readonly truncatedTotal: Counter<'transport'>;
  private readonly feedResyncsTotal: Counter;
  /** UDP answers sent by the TypeScript responder (plain increment, folded in at scrape) */
  private udpTypescript = 0;
  /** hot-path counts, folded into the Prometheus counter when scraped (a plain increment per query) */
  private readonly pending = new Map<
    string,
    { qtype: number; rcode: number; transport: string; n: number }
  >();

  constructor(private readonly src: MetricsSources) {
    const registers = [this.registry];
    const pending = this.pending;
    const native = new NativeFolding(() => src.native?.() ?? null);
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
        for (const [qtype, rcode, n] of native.answered())
          this.labels(TYPE_NAME[qtype] ?? `TYPE${qtype}`, RCODE_NAME[rcode] ?? String(rcode), 'udp').inc(n);
      },
    });
    const udpAnswers = (): { native: number; typescript: number } => {
      const ts = this.udpTypescript;
      this.udpTypescript = 0;
      return { native: native.answeredTotal(), typescript: ts };
    };
    new Counter({
      name: 'dns_udp_answers_total',
      help: 'UDP answers by the path that sent them: native (the addon, from its packet cache) or typescript',
      labelNames: ['path'],
      registers,
      collect() {
        const d = udpAnswers();
        this.labels('native').inc(d.native);
        this.labels('typescript').inc(d.typescript);
      },
    });
    this.dropped = new Counter({
      name: 'dns_dropped_total',
      help: 'Packets not answered, by reason (malformed, response, rrl, overload: the native path had too many misses waiting for JavaScript)',
      labelNames: ['reason'],
      registers,
      collect() {
        const d = native.drops();
        if (d.overload) this.labels('overload').inc(d.overload);
        if (d.rrl) this.labels('rrl').inc(d.rrl);
      },
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
    this.feedResyncsTotal = new Counter({
      name: 'dns_feed_resyncs_total',
      help: 'Whole reloads from Postgres because change-feed rows were pruned before the feed read them (a long outage)',
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
    gauge(
      'dns_cache_entries',
      'Packet cache entries (the native cache and the JavaScript one)',
      'sum',
      () => src.cacheEntries() + (src.native?.()?.cacheEntries ?? 0),
    );
    gauge('dns_udp_native', '1 when UDP is answered through the native fast path', 'min', () =>
      src.native?.() ? 1 : 0,
    );
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
    if (transport === 'udp') this.udpTypescript++;
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

  feedResync(): void {
    this.feedResyncsTotal.inc();
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

/**
 * Turns the engine's cumulative counts into increments: each scrape folds in what happened since the
 * previous one (each metric keeps its own cursor, so they agree whatever order they are collected in).
 */
class NativeFolding {
  private readonly seenAnswered = new Map<number, number>();
  private seenTotal = 0;
  private seenOverload = 0;
  private seenRrl = 0;

  constructor(private readonly read: () => NativeCounts | null) {}

  /** [qtype, rcode, new answers] since the last call */
  answered(): Array<[number, number, number]> {
    const s = this.read();
    if (!s) return [];
    const out: Array<[number, number, number]> = [];
    for (const [qtype, rcode, n] of s.answered) {
      const key = qtype * 65536 + rcode;
      const d = n - (this.seenAnswered.get(key) ?? 0);
      if (d <= 0) continue;
      this.seenAnswered.set(key, n);
      out.push([qtype, rcode, d]);
    }
    return out;
  }

  /** native answers since the last call */
  answeredTotal(): number {
    const s = this.read();
    if (!s) return 0;
    let total = 0;
    for (const [, , n] of s.answered) total += n;
    const d = total - this.seenTotal;
    this.seenTotal = total;
    return Math.max(0, d);
  }

  drops(): { overload: number; rrl: number } {
    const s = this.read();
    if (!s) return { overload: 0, rrl: 0 };
    const d = { overload: s.missesDropped - this.seenOverload, rrl: s.rrlDropped - this.seenRrl };
    this.seenOverload = s.missesDropped;
    this.seenRrl = s.rrlDropped;
    return { overload: Math.max(0, d.overload), rrl: Math.max(0, d.rrl) };
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
