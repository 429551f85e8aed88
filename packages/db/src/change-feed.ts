import { EventEmitter } from 'node:events';
import pg from 'pg';
import { clientSettings, type DbTimeouts } from './connection';
import { destroyLink, guardQueries } from './link-guard';

/** One row of the DNS change feed, as the reader hands it out. */
export interface FeedChange {
  seq: bigint;
  zoneId: number;
  zoneName: string;
  name: string;
  /** a table, or `dnssec`: the zone's keys or signing switch changed (name = the apex) */
  source: 'records' | 'domains' | 'zones' | 'dnssec';
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  changedAt: Date;
}

/** Where a reader starts: the highest seq of its snapshot, and the seqs below it that snapshot could not see. */
export interface FeedStart {
  seq: bigint;
  /** seqs at or below `seq` missing from the snapshot: rolled back, or taken by a writer still open */
  open: bigint[];
  /** xmax of that snapshot: once every transaction below it has ended, an `open` seq still missing is gone */
  xmax: bigint;
  /** lowest seq in the feed in that snapshot (null: empty): everything below it was pruned or rolled back */
  floor: bigint | null;
}

/**
 * Changes a reader never read may be gone: rows above its head were pruned (the mailer keeps
 * DNS_CHANGES_RETENTION_DAYS) while it was cut off or stalled. Its data must be reloaded from Postgres.
 */
export interface FeedGap {
  /** the reader's head: every seq at or below it was delivered (open seqs aside) */
  head: bigint;
  /** lowest seq in the feed now */
  floor: bigint;
  /** seqs above the head and below the floor: pruned (or rolled back; no way to tell) */
  missing: bigint;
  /** open seqs (writers still running when last seen) now missing below the floor: maybe pruned after commit */
  lostOpen: bigint[];
}

export interface ChangeFeedOptions {
  url: string;
  /** deliver changes with seq greater than this (the seq the reader's snapshot was taken at) */
  afterSeq: bigint;
  /**
   * seqs at or below afterSeq that the snapshot could not see yet, and that snapshot's lowest seq (see
   * currentFeedStart): seqs below the floor were already missing then and are no evidence of pruning later
   */
  openAtStart?: { seqs: bigint[]; xmax: bigint; floor?: bigint | null };
  /** called in seq order, once per change; the reader waits for it to resolve before going on */
  onChanges: (changes: FeedChange[]) => void | Promise<void>;
  /**
   * Rows this reader had not read were pruned (see FeedGap): reload everything from one snapshot and return
   * that snapshot's currentFeedStart; the feed goes on from there. Awaited like onChanges (no change is
   * delivered meanwhile); if it throws, the feed emits 'error' and tries again on the next round. Without
   * it, the feed emits 'resync' (gap) and skips past the gap (what was pruned cannot be delivered).
   */
  onResync?: (gap: FeedGap) => Promise<FeedStart>;
  /** safety poll and heartbeat, even without notifications (ms); default 2000 */
  pollMs?: number;
  /** a feed query (or heartbeat) unanswered for this long means a stalled link: reconnect; default 5000 */
  queryTimeoutMs?: number;
  /** connect timeout and TCP keepalive of the feed's connection */
  timeouts?: DbTimeouts;
  /** reconnect backoff bounds (ms) */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  batchSize?: number;
}

const START_WINDOW = 10_000;

/** Anything that runs a query: a pool, a client, a client inside a transaction. */
export interface FeedQueryable {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * Highest seq in the feed now, the missing seqs just below it and the snapshot's xmax: take it in the same
 * snapshot as the initial load. (Missing seqs further back than START_WINDOW are assumed long settled.)
 */
export async function currentFeedStart(q: FeedQueryable): Promise<FeedStart> {
  const r = await q.query<{ seq: string; xmax: string; open: string[]; floor: string | null }>(
    `WITH m AS (SELECT coalesce(max(seq), 0) AS top FROM dns_changes)
     SELECT m.top::text AS seq, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax,
       (SELECT min(seq) FROM dns_changes)::text AS floor,
       ARRAY(SELECT s::text FROM generate_series(greatest(m.top - ${START_WINDOW}, 1), m.top) AS s
             WHERE NOT EXISTS (SELECT 1 FROM dns_changes d WHERE d.seq = s)) AS open
     FROM m`,
  );
  const row = r.rows[0]!;
  return {
    seq: BigInt(row.seq),
    xmax: BigInt(row.xmax),
    open: row.open.map((s) => BigInt(s)),
    floor: row.floor === null ? null : BigInt(row.floor),
  };
}

/** Highest seq in the feed now. */
export async function currentFeedSeq(q: FeedQueryable): Promise<bigint> {
  return (await currentFeedStart(q)).seq;
}

interface Row {
  xmin: string;
  xmax: string;
  floor: string | null;
  seq: string | null;
  zone_id: number;
  zone_name: string;
  name: string;
  source: FeedChange['source'];
  op: FeedChange['op'];
  changed_at: Date;
}

const COLS = 'seq, zone_id, zone_name, name, source, op, changed_at';
/** The open seqs, the next batch above the head, and the snapshot's xmin/xmax, in one statement. */
const CATCH_UP = `
  WITH snap AS (SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax,
                  (SELECT min(seq) FROM dns_changes)::text AS floor
                FROM pg_current_snapshot() AS s),
       fresh AS ((SELECT ${COLS} FROM dns_changes WHERE seq = ANY($3::bigint[]))
                 UNION ALL
                 (SELECT ${COLS} FROM dns_changes WHERE seq > $1 ORDER BY seq LIMIT $2))
  SELECT snap.xmin, snap.xmax, snap.floor, f.seq::text AS seq, f.zone_id, f.zone_name, f.name, f.source, f.op, f.changed_at
  FROM snap LEFT JOIN fresh f ON true ORDER BY f.seq`;

/**
 * Reads the change feed: LISTEN dns_changes for a wake-up, then catch up with `seq > head`.
 *
 * Sequence numbers are taken when a writer logs its change but become visible when it commits, so they
 * appear out of order: a missing seq below the head is "open" (a writer still running, or rolled back).
 * Open seqs are re-read by primary key on every round until they appear (delivered) or are known dead: each
 * open seq remembers the xmax of the snapshot that first missed it, and once a later snapshot's xmin has
 * passed that xmax every writer that could hold it has ended (the triggers take the seq after their
 * transaction id), so a seq still missing was rolled back. No time limit: a writer that commits minutes
 * later is still delivered, and nothing is delivered twice.
 *
 * Every round (and a heartbeat while the handler runs) has a deadline: a link that stops answering is
 * dropped and reconnected instead of silently serving stale data.
 *
 * Pruned rows: the mailer deletes rows older than DNS_CHANGES_RETENTION_DAYS (always keeping the newest), so
 * everything below `min(seq)` is gone. Every round reads that floor in the same snapshot as the rows; if the
 * head is below floor - 1, or an open seq (still missing) lies below the floor although it was at or above
 * the floor when first missed (only the pruner deletes rows), rows the reader never read may have been
 * pruned: a gap, handed to onResync (reload everything, go on from that snapshot) instead of skipped. A
 * reader merely behind is never flagged: rows at or below its head were delivered, and pruning only takes a
 * prefix older than the retention (false positives: rolled-back seqs just below the floor after a long
 * outage, which cost one reload).
 *
 * Events: 'connected', 'disconnected' (err), 'error' (err from onChanges or onResync), 'resync' (gap).
 */
export class ChangeFeed extends EventEmitter {
  /** highest seq delivered (or the start) */
  private head: bigint;
  /** open seqs below the head -> xmax of the snapshot that first missed them */
  private readonly open = new Map<bigint, bigint>();
  /** open seqs already below the floor of the snapshot that first missed them (start only): not evidence of pruning */
  private readonly belowFloor = new Set<bigint>();
  /** gaps handled (rows pruned before this reader read them): resyncs done, or gaps skipped without onResync */
  resyncs = 0;
  private client: pg.Client | null = null;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  private running: Promise<void> | null = null;
  /** a catch-up query is on the wire (the heartbeat waits for the handler, not for this) */
  private querying = false;
  private again = false;
  /** when a round last read the feed to its end (ms) */
  private lastSyncAt = Date.now();
  lastChangeAt: Date | null = null;
  connected = false;

  constructor(private readonly opts: ChangeFeedOptions) {
    super();
    this.head = opts.afterSeq;
    if (opts.openAtStart) this.restart(opts.afterSeq, opts.openAtStart);
    this.backoff = opts.minBackoffMs ?? 100;
  }

  /** Every change at or below this seq has been delivered (the head, or just below the oldest open seq). */
  get position(): bigint {
    let p = this.head;
    for (const s of this.open.keys()) if (s - 1n < p) p = s - 1n;
    return p;
  }

  private restart(seq: bigint, open: { seqs: bigint[]; xmax: bigint; floor?: bigint | null }): void {
    this.head = seq;
    this.open.clear();
    this.belowFloor.clear();
    // an empty feed (floor null): every seq missing then is below any later floor
    const floor = open.floor === undefined ? null : (open.floor ?? seq + 1n);
    for (const s of open.seqs) {
      if (s > seq) continue;
      this.open.set(s, open.xmax);
      if (floor !== null && s < floor) this.belowFloor.add(s);
    }
  }

  /** Seqs below the head still waited for (open writers). */
  get openSeqs(): number {
    return this.open.size;
  }

  /** Seconds since the feed last read Postgres to its end: how far behind the served data may be. */
  lagSeconds(now = Date.now()): number {
    return Math.max(0, (now - this.lastSyncAt) / 1000);
  }

  async start(): Promise<void> {
    await this.connect();
    this.pollTimer = setInterval(() => this.tick(), this.opts.pollMs ?? 2000);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = null;
    if (c) destroyLink(c);
    await this.running?.catch(() => undefined);
  }

  /** Run a catch-up now (coalesces with one already running). */
  kick(): void {
    if (this.stopped || !this.client) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const client = this.client;
    this.running = this.catchUp(client)
      .catch((err: unknown) => this.lostConnection(client, err))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** The poll: a catch-up, or while one is busy in the handler, a heartbeat on the idle link. */
  private tick(): void {
    const client = this.client;
    if (this.stopped || !client) return;
    if (!this.running) return this.kick();
    if (this.querying) return; // that query has its own deadline
    client.query('SELECT 1').catch((err: unknown) => this.lostConnection(client, err));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.opts.url,
      application_name: 'ddns-change-feed',
      ...clientSettings(this.opts.timeouts ?? {}),
    });
    guardQueries(client, this.opts.queryTimeoutMs ?? 5000);
    client.on('error', (err) => this.lostConnection(client, err));
    client.on('end', () => this.lostConnection(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query('LISTEN dns_changes');
    } catch (err) {
      client.removeAllListeners('end');
      destroyLink(client);
      this.scheduleReconnect(err);
      return;
    }
    if (this.stopped) {
      destroyLink(client);
      return;
    }
    client.on('notification', () => this.kick());
    this.client = client;
    this.connected = true;
    this.backoff = this.opts.minBackoffMs ?? 100;
    this.emit('connected');
    this.kick();
  }

  private lostConnection(client: pg.Client, err: unknown): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    this.connected = false;
    client.removeAllListeners('end');
    client.removeAllListeners('notification');
    destroyLink(client);
    this.scheduleReconnect(err);
  }

  private scheduleReconnect(err: unknown): void {
    if (this.stopped) return;
    this.emit('disconnected', err);
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs ?? 5000);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private async catchUp(client: pg.Client): Promise<void> {
    const batch = this.opts.batchSize ?? 1000;
    for (;;) {
      if (this.client !== client || this.stopped) return;
      const asked = [...this.open.keys()];
      this.querying = true;
      const r = await client
        .query<Row>(CATCH_UP, [this.head.toString(), batch, asked.map((s) => s.toString())])
        .finally(() => (this.querying = false));
      const snap = r.rows[0]!;
      const rows = r.rows.filter((x) => x.seq !== null);
      const gap = this.gapIn(snap, rows, asked);
      if (gap) {
        this.emit('resync', gap);
        if (this.opts.onResync) {
          let start: FeedStart;
          try {
            start = await this.opts.onResync(gap);
          } catch (err) {
            this.emit('error', err);
            return; // the next round finds the gap again and retries
          }
          // the reload is done whatever happened to the link meanwhile: go on from its snapshot
          this.resyncs++;
          this.restart(start.seq, { seqs: start.open, xmax: start.xmax, floor: start.floor });
          if (this.client !== client || this.stopped) return;
          continue;
        }
        // no one to reload: what was pruned cannot be delivered; go on past the gap
        this.resyncs++;
        if (gap.floor - 1n > this.head) this.head = gap.floor - 1n;
        for (const s of gap.lostOpen) this.open.delete(s);
        asked.splice(0, asked.length, ...asked.filter((s) => this.open.has(s)));
      }
      const fresh: FeedChange[] = rows.map((row) => ({
        seq: BigInt(row.seq!),
        zoneId: row.zone_id,
        zoneName: row.zone_name,
        name: row.name,
        source: row.source,
        op: row.op,
        changedAt: row.changed_at,
      }));
      if (fresh.length > 0) {
        try {
          await this.opts.onChanges(fresh);
        } catch (err) {
          this.emit('error', err);
        }
        this.lastChangeAt = fresh[fresh.length - 1]!.changedAt;
      }
      const above = this.advance(
        fresh.map((c) => c.seq),
        asked,
        BigInt(snap.xmin),
        BigInt(snap.xmax),
      );
      if (above < batch) {
        this.lastSyncAt = Date.now();
        return;
      }
    }
  }

  /** Rows above the head, or open seqs about to be let go, below the round's floor: maybe pruned unread. */
  private gapIn(snap: Row, rows: Row[], asked: bigint[]): FeedGap | null {
    if (snap.floor === null) return null;
    const floor = BigInt(snap.floor);
    const seen = new Set(rows.map((r) => r.seq));
    // (no waiting for the writers to end: a writer still holding a seq the pruner went past would have been
    // open since before the retention cutoff; if one ever is, its commit is still delivered after the reload)
    const lostOpen = asked.filter((s) => s < floor && !this.belowFloor.has(s) && !seen.has(s.toString()));
    const missing = floor - 1n > this.head ? floor - 1n - this.head : 0n;
    if (missing === 0n && lostOpen.length === 0) return null;
    return { head: this.head, floor, missing, lostOpen };
  }

  /**
   * Records what one round saw: seen seqs leave the open set, skipped ones above the old head join it, and
   * open seqs this round asked for and did not get are dropped once the round's xmin shows their writers
   * ended. Returns how many seqs above the old head the round read (a full batch: read on).
   */
  private advance(seen: bigint[], asked: bigint[], xmin: bigint, xmax: bigint): number {
    const got = new Set(seen);
    for (const s of seen) {
      this.open.delete(s);
      this.belowFloor.delete(s);
    }
    for (const s of asked) {
      const noticed = this.open.get(s);
      if (noticed !== undefined && xmin >= noticed) {
        this.open.delete(s);
        this.belowFloor.delete(s);
      }
    }
    let above = 0;
    let top = this.head;
    for (const s of seen) {
      if (s > this.head) above++;
      if (s > top) top = s;
    }
    for (let s = this.head + 1n; s < top; s++) if (!got.has(s)) this.open.set(s, xmax);
    this.head = top;
    return above;
  }
}
