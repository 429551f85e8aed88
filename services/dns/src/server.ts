import {
  ChangeFeed,
  createPool,
  queryDeadline,
  type DbTimeouts,
  type FeedChange,
  type FeedGap,
  type FeedStart,
} from '@ddns/db';
import pino, { type Logger } from 'pino';
import { availableParallelism } from 'node:os';
import { RateLimiter, type RrlOptions } from './limits/rrl';
import { DEFAULT_CACHE_MB } from './cache';
import { DnsMetrics, type MetricsServer } from './metrics/metrics';
import { Responder } from './responder';
import {
  chooseUdpPath,
  FastPath,
  logUdpPath,
  parseFastPathMode,
  type FastPathMode,
} from './transport/fast-path';
import { listen } from './transport/listeners';
import { axfrHandler, parseSecondary } from './xfr/axfr';
import { UDP_CLASSIC, UDP_DEFAULT_PAYLOAD } from './wire/constants';
import type { TsigKey } from './wire/tsig';
import { Notifier } from './xfr/notify';
import { applyChanges, loadStore, type SqlPool } from './zone/loader';
import type { TunnelConfig, ZoneStore } from './zone/store';

export interface DnsServerOptions {
  databaseUrl: string;
  /** bounds on the Postgres links (DB_* variables); the feed's stall deadline follows them (default 5 s) */
  db?: DbTimeouts;
  /** addresses to listen on; default `0.0.0.0` and `::` (the latter skipped where IPv6 is unavailable) */
  hosts?: readonly string[];
  /** hosts whose bind may fail without failing the start */
  optionalHosts?: readonly string[];
  /** 0 = any free port */
  port: number;
  /** Prometheus endpoint; null/undefined = none, 0 = any free port */
  metricsPort?: number | null;
  /** address of the Prometheus endpoint (default 127.0.0.1: not reachable from outside) */
  metricsHost?: string;
  /** `ip`, `ip:port`, `[v6]:port`, each optionally `keyname@…`: allowed to AXFR, sent NOTIFY */
  secondaries?: readonly string[];
  /** TSIG keys (DNS_TSIG_KEYS): required of the secondaries that name one, used to sign NOTIFY and answers */
  tsigKeys?: readonly TsigKey[];
  tunnel?: TunnelConfig;
  /** SECRETS_KEY: decrypts the zones' DNSSEC keys; absent = every zone served unsigned */
  secretsKey?: string;
  /** signature clock in seconds (tests); default the system clock */
  signingClock?: () => number;
  /** answer IXFR from the journal (default true); false = always the whole zone */
  ixfr?: boolean;
  /**
   * how often to look for signatures due for refresh (ms, default 15 min); a zone with some gets its serial
   * bumped (a change of its apex in the feed), and that publish re-signs them for answers and secondaries.
   * null = never (the service's other workers: the first one bumps for all).
   */
  signatureRefreshMs?: number | null;
  /** response rate limiting; null = off. Default: 50 responses/s per prefix. */
  rrl?: RrlOptions | null;
  cache?: boolean;
  /**
   * UDP through the native addon (DNS_FAST_PATH): auto = when it loads (else the TypeScript path, logged
   * once), on = throw when it cannot be loaded, off = TypeScript only. Default: the environment's
   * DNS_FAST_PATH, else auto (so the same test suites run on either path).
   */
  fastPath?: FastPathMode;
  /** native UDP threads per host (DNS_UDP_THREADS); default the available parallelism */
  udpThreads?: number;
  /** memory budget of each packet cache in MiB (DNS_CACHE_MB); default 128 */
  cacheMb?: number;
  /** largest UDP reply whatever the requestor advertises (DNS_UDP_MAX_PAYLOAD); default 1232 */
  udpMaxPayload?: number;
  /** TCP limits (see transport/listeners.ts for each one's default) */
  tcpIdleMs?: number;
  tcpIoTimeoutMs?: number;
  tcpMaxLifetimeMs?: number;
  tcpMaxUnread?: number;
  tcpMaxConnections?: number;
  tcpMaxPerAddress?: number;
  tcpMaxPerNetwork?: number;
  /** send NOTIFY on serial changes (default true) */
  notify?: boolean;
  feed?: { pollMs?: number; minBackoffMs?: number; maxBackoffMs?: number; queryTimeoutMs?: number };
  /** keep retrying the initial load while Postgres is unreachable (the service); default false (tests) */
  waitForDatabase?: boolean;
  logger?: Logger;
}

export interface DnsServer {
  port: number;
  metricsPort: number | null;
  store: ZoneStore;
  feed: ChangeFeed;
  responder: Responder;
  metrics: DnsMetrics;
  /** which path answers UDP (DNS_FAST_PATH and whether the addon loaded) */
  udpPath: 'native' | 'typescript';
  stop(): Promise<void>;
}

export const DEFAULT_RRL: RrlOptions = { rate: 50, slip: 2 };

/** Signs every zone ahead, 20 ms at a time between other work, zone after zone (a reloaded zone starts over). */
function presignZones(store: ZoneStore, stopped: () => boolean): void {
  const pending = [...store.zones.values()];
  const step = () => {
    if (stopped()) return;
    const zone = pending[0];
    if (!zone) return;
    if (store.byId.get(zone.id) !== zone || !zone.signer || zone.signer.presign(20)) pending.shift();
    setImmediate(step);
  };
  setImmediate(step);
}

/**
 * Wires the responder: load every zone in one snapshot → start the change feed from that snapshot's position
 * → listen. Answers only ever read memory; the feed applies changes (retrying an apply until it succeeds, so
 * a Postgres hiccup delays a change but never skips it) and NOTIFYs secondaries when a serial moves.
 */
export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const log = opts.logger ?? pino({ level: 'silent' });
  // before anything else: under DNS_FAST_PATH=on a missing addon is a configuration error
  const udpPath = chooseUdpPath(opts.fastPath ?? parseFastPathMode(process.env.DNS_FAST_PATH));
  const pool: SqlPool = createPool(opts.databaseUrl, {
    max: 2,
    applicationName: 'ddns-dns',
    ...opts.db,
    onConnectionError: (err) => log.warn({ err: err.message }, 'postgres connection lost'),
  });
  const started = Date.now();
  const signing = opts.secretsKey ? { secretsKey: opts.secretsKey, clock: opts.signingClock } : null;
  const load = async () => {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      try {
        return await loadStore(pool, opts.tunnel ?? {}, signing);
      } catch (err) {
        if (!opts.waitForDatabase) throw err;
        log.warn({ err: String(err), retryInMs: delay }, 'cannot load zones yet; retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  const { store, seq, start, stats } = await load().catch(async (err: unknown) => {
    await pool.end();
    throw err;
  });
  log.info({ ...stats, ms: Date.now() - started, seq: seq.toString() }, 'zones loaded');

  const secondaries = (opts.secondaries ?? []).map(parseSecondary);
  const tsigKeys = new Map((opts.tsigKeys ?? []).map((k) => [k.name, k]));
  const unknownKey = secondaries.find((s) => s.key && !tsigKeys.has(s.key));
  if (unknownKey) {
    await pool.end();
    throw new Error(`secondary ${unknownKey.host} names TSIG key "${unknownKey.key}", not in DNS_TSIG_KEYS`);
  }
  const notifier =
    opts.notify === false || secondaries.length === 0
      ? null
      : new Notifier(
          secondaries,
          { failed: (zone, to) => log.warn({ zone, to }, 'NOTIFY not acknowledged') },
          tsigKeys,
        );
  const base = opts.rrl === undefined ? DEFAULT_RRL : opts.rrl;
  const rrlOpts = base
    ? { ...base, exempt: [...(base.exempt ?? []), ...secondaries.map((s) => s.host)] }
    : null;
  const cacheBytes = (opts.cacheMb ?? DEFAULT_CACHE_MB) * 1024 * 1024;
  const udpMaxPayload = Math.max(UDP_CLASSIC, opts.udpMaxPayload ?? UDP_DEFAULT_PAYLOAD);
  // with the native engine, its RRL buckets limit both paths' UDP replies; else the JS limiter
  const fastPath =
    udpPath.path === 'native'
      ? new FastPath(udpPath.native, {
          cacheBytes,
          udpMaxPayload,
          rrl: rrlOpts,
          threads: opts.udpThreads ?? availableParallelism(),
        })
      : null;
  const rrl = rrlOpts && !fastPath ? new RateLimiter(rrlOpts) : null;
  if (fastPath) store.onVersion((v) => fastPath.setVersion(v));
  logUdpPath(log, udpPath, fastPath?.threads ?? 0);

  let stopped = false;
  const apply = async (changes: FeedChange[]): Promise<void> => {
    for (let delay = 100; !stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        const res = await applyChanges(pool, store, changes);
        for (const z of res.changedZones) notifier?.notify(z);
        return;
      } catch (err) {
        log.warn(
          { err: String(err), delay, lagSeconds: Math.round(feed.lagSeconds()) },
          'applying feed changes failed; retrying',
        );
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  };
  /**
   * The feed lost rows it had not read (pruned during a long outage): load every zone again in one snapshot
   * while answering from the old data, swap it in at once, NOTIFY the zones whose serial moved, and go on
   * from that snapshot. A failed load throws: the feed retries on its next round.
   */
  const resync = async (gap: FeedGap): Promise<FeedStart> => {
    const t0 = Date.now();
    log.warn(
      {
        head: gap.head.toString(),
        floor: gap.floor.toString(),
        missing: gap.missing.toString(),
        lostOpen: gap.lostOpen.length,
      },
      'change feed rows were pruned before they were read; reloading every zone',
    );
    const fresh = await loadStore(pool, opts.tunnel ?? {}, signing);
    if (stopped) return fresh.start;
    metrics.feedResync();
    const changed = store.replaceAll(fresh.store);
    for (const z of changed) notifier?.notify(z);
    if (signing && secondaries.length) presignZones(store, () => stopped);
    log.info(
      { ...fresh.stats, changedZones: changed.length, ms: Date.now() - t0, seq: fresh.seq.toString() },
      'zones reloaded after a change-feed gap',
    );
    return fresh.start;
  };
  const feed = new ChangeFeed({
    url: opts.databaseUrl,
    afterSeq: seq,
    openAtStart: { seqs: start.open, xmax: start.xmax, floor: start.floor },
    onChanges: apply,
    onResync: resync,
    timeouts: opts.db,
    queryTimeoutMs: queryDeadline(opts.db ?? {}) || 5000,
    ...opts.feed,
  });
  feed.on('connected', () =>
    log.info({ lagSeconds: Math.round(feed.lagSeconds()) }, 'change feed connected; catching up'),
  );
  feed.on('disconnected', (err: unknown) =>
    log.warn(
      { err: String(err), lagSeconds: Math.round(feed.lagSeconds()), position: feed.position.toString() },
      'change feed disconnected; answering from memory',
    ),
  );
  feed.on('error', (err: unknown) => log.error({ err }, 'change feed handler failed'));

  let responder: Responder | null = null;
  const metrics = new DnsMetrics({
    storeNames: () => store.size,
    storeZones: () => store.zones.size,
    cacheEntries: () => responder?.cache.size ?? 0,
    feedLagSeconds: () => feed.lagSeconds(),
    feedConnected: () => feed.connected,
    feedOpenSeqs: () => feed.openSeqs,
    rrlLimited: () => {
      const s = fastPath?.stats();
      return s ? s.rrlDropped + s.rrlSlipped + fastPath!.limitedInJs : (rrl?.limitedTotal ?? 0);
    },
    native: () => fastPath?.stats() ?? null,
  });
  responder = new Responder(() => store, {
    rrl: fastPath && rrlOpts ? fastPath.rrl : rrl,
    cacheSink: fastPath,
    cacheBytes,
    metrics,
    cache: opts.cache,
    udpMaxPayload,
    tsigKeys: opts.tsigKeys,
    xfr: secondaries.length ? axfrHandler(secondaries, { ixfr: opts.ixfr ?? true }) : null,
  });
  const rrlPrune = rrl ? setInterval(() => rrl.prune(), 30_000).unref() : null;
  const refreshMs = opts.signatureRefreshMs === undefined ? 15 * 60_000 : opts.signatureRefreshMs;
  const refreshTimer =
    signing && refreshMs !== null ? setInterval(() => void bumpDueZones(), refreshMs).unref() : null;
  const bumpDueZones = async () => {
    const now = (signing?.clock ?? (() => Date.now() / 1000))();
    for (const z of store.zones.values()) {
      const due = z.signer?.nextRefresh();
      if (due === undefined || due === null || due > now) continue;
      // an apex "change" (its records re-read, unchanged): the next serial is published, re-signing what is due
      await pool
        .query(`SELECT ddns_log_change($1, $2, 'records', 'UPDATE')`, [z.id, z.name])
        .catch((err: unknown) =>
          log.warn({ err: String(err), zone: z.name }, 'signature refresh bump failed'),
        );
    }
  };

  // secondaries will transfer the whole signed zone: sign ahead in slices rather than during their first AXFR
  if (signing && secondaries.length) presignZones(store, () => stopped);
  await feed.start();
  const hosts = opts.hosts?.length ? opts.hosts : ['0.0.0.0', '::'];
  const release = async () => {
    stopped = true;
    if (rrlPrune) clearInterval(rrlPrune);
    if (refreshTimer) clearInterval(refreshTimer);
    notifier?.stop();
    await feed.stop();
    await pool.end();
  };
  let listeners: Awaited<ReturnType<typeof listen>>;
  let metricsServer: MetricsServer | null = null;
  try {
    listeners = await listen(responder, {
      hosts,
      optionalHosts: opts.hosts?.length ? opts.optionalHosts : ['::'],
      port: opts.port,
      fastPath,
      tcpIdleMs: opts.tcpIdleMs,
      tcpIoTimeoutMs: opts.tcpIoTimeoutMs,
      tcpMaxLifetimeMs: opts.tcpMaxLifetimeMs,
      tcpMaxUnread: opts.tcpMaxUnread,
      tcpMaxConnections: opts.tcpMaxConnections,
      tcpMaxPerAddress: opts.tcpMaxPerAddress,
      tcpMaxPerNetwork: opts.tcpMaxPerNetwork,
      onTcpRejected: (reason) => metrics.tcpRejected(reason),
      onTcpClosed: (reason) => metrics.tcpClosed(reason),
      onError: (err) => log.warn({ err }, 'socket error'),
    });
  } catch (err) {
    await release();
    throw err;
  }
  try {
    if (opts.metricsPort !== null && opts.metricsPort !== undefined) {
      metricsServer = await metrics.listen(opts.metricsHost ?? '127.0.0.1', opts.metricsPort);
    }
  } catch (err) {
    await listeners.close();
    await release();
    throw err;
  }
  log.info({ hosts, port: listeners.port, metricsPort: metricsServer?.port }, 'dns listening (udp+tcp)');
  // secondaries may have missed changes while we were down: tell them to check every zone (as BIND does)
  if (notifier) for (const z of store.zones.values()) notifier.notify(z);

  return {
    port: listeners.port,
    metricsPort: metricsServer?.port ?? null,
    store,
    feed,
    responder,
    metrics,
    udpPath: udpPath.path,
    async stop() {
      await listeners.close();
      await metricsServer?.close();
      await release();
    },
  };
}
