import { EventEmitter } from 'node:events';
import pg from 'pg';

/** One row of the DNS change feed, as the reader hands it out. */
export interface FeedChange {
  seq: bigint;
  zoneId: number;
  zoneName: string;
  name: string;
  source: 'records' | 'domains' | 'zones';
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  changedAt: Date;
}

export interface ChangeFeedOptions {
  url: string;
  /** deliver changes with seq greater than this (the seq the reader's snapshot was taken at) */
  afterSeq: bigint;
  /** called in seq order, once per change; the reader waits for it to resolve before going on */
  onChanges: (changes: FeedChange[]) => void | Promise<void>;
  /** safety poll even without notifications (ms); default 2000 */
  pollMs?: number;
  /** how long a hole in the sequence may stay open before it is given up (rolled-back writer); default 5000 ms */
  gapTimeoutMs?: number;
  /** reconnect backoff bounds (ms) */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  batchSize?: number;
}

/** Highest seq in the feed now: take it in the same snapshot as the initial load. */
export async function currentFeedSeq(q: pg.Pool | pg.Client | pg.PoolClient): Promise<bigint> {
  const r = await q.query<{ seq: string | null }>('SELECT max(seq)::text AS seq FROM dns_changes');
  return BigInt(r.rows[0]?.seq ?? '0');
}

/**
 * Reads the change feed: LISTEN dns_changes for a wake-up, then catch up with `seq > last`.
 * A lost notification only delays a change (the poll finds it); a lost connection is retried with backoff
 * and caught up. Sequence values can commit out of order, so a hole below a seen seq is waited for
 * (up to gapTimeoutMs) instead of skipped: no change is ever lost, and none is delivered twice.
 *
 * Events: 'connected', 'disconnected' (err), 'error' (err from onChanges).
 */
export class ChangeFeed extends EventEmitter {
  /** everything at or below this seq has been delivered */
  private floor: bigint;
  /** delivered seqs above the floor (there is a hole below them) */
  private readonly deliveredAbove = new Set<bigint>();
  /** first time each missing seq was noticed */
  private readonly holes = new Map<bigint, number>();
  private client: pg.Client | null = null;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private backoff: number;
  private running: Promise<void> | null = null;
  private again = false;
  lastChangeAt: Date | null = null;
  connected = false;

  constructor(private readonly opts: ChangeFeedOptions) {
    super();
    this.floor = opts.afterSeq;
    this.backoff = opts.minBackoffMs ?? 100;
  }

  get position(): bigint {
    return this.floor;
  }

  async start(): Promise<void> {
    await this.connect();
    this.pollTimer = setInterval(() => this.kick(), this.opts.pollMs ?? 2000);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.running?.catch(() => undefined);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  /** Run a catch-up now (coalesces with one already running). */
  kick(): void {
    if (this.stopped || !this.client) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.catchUp()
      .catch((err: unknown) => this.lostConnection(err))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.opts.url, application_name: 'ddns-change-feed' });
    client.on('error', (err) => this.lostConnection(err));
    client.on('end', () => this.lostConnection(new Error('connection ended')));
    try {
      await client.connect();
      await client.query('LISTEN dns_changes');
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.scheduleReconnect(err);
      return;
    }
    client.on('notification', () => this.kick());
    this.client = client;
    this.connected = true;
    this.backoff = this.opts.minBackoffMs ?? 100;
    this.emit('connected');
    this.kick();
  }

  private lostConnection(err: unknown): void {
    if (this.stopped || !this.client) return;
    const c = this.client;
    this.client = null;
    this.connected = false;
    c.removeAllListeners('end');
    c.end().catch(() => undefined);
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

  private async catchUp(): Promise<void> {
    const batch = this.opts.batchSize ?? 1000;
    for (;;) {
      const client = this.client;
      if (!client || this.stopped) return;
      const r = await client.query<{
        seq: string;
        zone_id: number;
        zone_name: string;
        name: string;
        source: FeedChange['source'];
        op: FeedChange['op'];
        changed_at: Date;
      }>(
        'SELECT seq::text AS seq, zone_id, zone_name, name, source, op, changed_at FROM dns_changes WHERE seq > $1 ORDER BY dns_changes.seq LIMIT $2',
        [this.floor.toString(), batch],
      );
      const fresh: FeedChange[] = [];
      for (const row of r.rows) {
        const seq = BigInt(row.seq);
        if (this.deliveredAbove.has(seq)) continue;
        fresh.push({
          seq,
          zoneId: row.zone_id,
          zoneName: row.zone_name,
          name: row.name,
          source: row.source,
          op: row.op,
          changedAt: row.changed_at,
        });
      }
      if (fresh.length > 0) {
        try {
          await this.opts.onChanges(fresh);
        } catch (err) {
          this.emit('error', err);
        }
        this.lastChangeAt = fresh[fresh.length - 1]!.changedAt;
      }
      const seen = r.rows.map((x) => BigInt(x.seq));
      for (const s of seen) this.deliveredAbove.add(s);
      this.advanceFloor(seen);
      if (r.rows.length < batch || fresh.length === 0) return;
    }
  }

  /** Move the floor over delivered seqs and over holes older than the gap timeout. */
  private advanceFloor(seen: bigint[]): void {
    const now = Date.now();
    const max = seen.length ? seen[seen.length - 1]! : this.floor;
    for (let s = this.floor + 1n; s < max; s++) {
      if (!this.deliveredAbove.has(s) && !this.holes.has(s)) this.holes.set(s, now);
    }
    const timeout = this.opts.gapTimeoutMs ?? 5000;
    for (;;) {
      const next = this.floor + 1n;
      if (this.deliveredAbove.delete(next)) {
        this.holes.delete(next);
        this.floor = next;
        continue;
      }
      const since = this.holes.get(next);
      if (since !== undefined && now - since > timeout) {
        this.holes.delete(next);
        this.floor = next;
        continue;
      }
      break;
    }
  }
}
