import { ChangeFeed, currentFeedStart, type Db, type FeedChange, type FeedQueryable } from '@ddns/db';
import type { AddressEvent } from '@ddns/v1-schema';
import { CompiledQuery } from 'kysely';
import type { Logger } from 'pino';
import { domainViews } from './format';

/** One open event stream: which account, which domains (null = all), where to write. */
export interface EventSubscriber {
  accountId: number;
  domains: string[] | null;
  send(event: AddressEvent): void;
}

/**
 * Fans the DNS change feed out to /v1/events streams. One feed reader per API process, started with the first
 * stream and stopped with the last (no idle Postgres connection). On a change of a name that is one of a
 * subscribed account's domains, the domain's current addresses are read once and sent to that account's streams.
 * If the feed finds rows it never read were pruned (an outage longer than DNS_CHANGES_RETENTION_DAYS), it
 * cannot say which domains changed: every stream is sent the current addresses of all its domains (events
 * are "this is the domain now", so a repeat is harmless) and the feed goes on from that moment.
 */
export class AddressEventHub {
  private readonly subs = new Map<number, Set<EventSubscriber>>();
  private feed: ChangeFeed | null = null;
  private starting: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly databaseUrl: string,
    private readonly maxPerAccount: number,
    private readonly logger: Logger,
  ) {}

  /** Adds a stream; false when the account already holds its maximum. */
  async subscribe(s: EventSubscriber): Promise<boolean> {
    const set = this.subs.get(s.accountId) ?? new Set();
    if (set.size >= this.maxPerAccount) return false;
    set.add(s);
    this.subs.set(s.accountId, set);
    await this.ensureFeed();
    return true;
  }

  unsubscribe(s: EventSubscriber): void {
    const set = this.subs.get(s.accountId);
    set?.delete(s);
    if (set && set.size === 0) this.subs.delete(s.accountId);
    if (this.subs.size === 0) void this.stop();
  }

  get streams(): number {
    let n = 0;
    for (const s of this.subs.values()) n += s.size;
    return n;
  }

  private async ensureFeed(): Promise<void> {
    if (this.feed) return;
    this.starting ??= (async () => {
      const q: FeedQueryable = {
        query: async <R>(text: string, values?: unknown[]) =>
          (await this.db.executeQuery(CompiledQuery.raw(text, values ?? []))) as unknown as { rows: R[] },
      };
      const start = await currentFeedStart(q);
      const feed = new ChangeFeed({
        url: this.databaseUrl,
        afterSeq: start.seq,
        openAtStart: { seqs: start.open, xmax: start.xmax, floor: start.floor },
        onChanges: (changes) => this.deliver(changes),
        onResync: async (gap) => {
          this.logger.warn(
            { head: gap.head.toString(), floor: gap.floor.toString() },
            'event stream feed lost pruned changes; sending every stream its domains as they are now',
          );
          const now = await currentFeedStart(q);
          await this.sendAll();
          return now;
        },
        pollMs: 1000,
      });
      feed.on('error', (err: unknown) =>
        this.logger.warn({ err: String(err) }, 'event stream feed handler failed'),
      );
      feed.on('disconnected', (err: unknown) =>
        this.logger.warn({ err: String(err) }, 'event stream feed disconnected'),
      );
      await feed.start();
      this.feed = feed;
    })().finally(() => {
      this.starting = null;
    });
    await this.starting;
    if (this.subs.size === 0) await this.stop();
  }

  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const f = this.feed;
    this.feed = null;
    if (f && this.subs.size === 0) await f.stop();
    else if (f) this.feed = f;
  }

  private async deliver(changes: FeedChange[]): Promise<void> {
    const names = [
      ...new Set(changes.filter((c) => c.source === 'records' || c.source === 'domains').map((c) => c.name)),
    ];
    if (names.length === 0 || this.subs.size === 0) return;
    await this.send(names);
  }

  /** Every subscribed account's domains as they are now, to its streams (after a feed gap). */
  private async sendAll(): Promise<void> {
    if (this.subs.size > 0) await this.send(null);
  }

  /** Reads the named domains (null = all) of the subscribed accounts and sends them to the matching streams. */
  private async send(names: string[] | null): Promise<void> {
    let query = this.db
      .selectFrom('domains')
      .select(['name', 'account_id'])
      .where('account_id', 'in', [...this.subs.keys()]);
    if (names) query = query.where('name', 'in', names);
    const owners = await query.execute();
    const byAccount = new Map<number, string[]>();
    for (const o of owners) byAccount.set(o.account_id!, [...(byAccount.get(o.account_id!) ?? []), o.name]);
    for (const [accountId, domainNames] of byAccount) {
      const views = await domainViews(this.db, accountId, domainNames);
      const at = new Date().toISOString();
      for (const v of views) {
        const event: AddressEvent = {
          domain: v.name,
          ipv4: v.ipv4,
          ipv6: v.ipv6,
          at: v.lastUpdateAt ?? at,
          lastUpdateSource: v.lastUpdateSource,
        };
        for (const s of this.subs.get(accountId) ?? [])
          if (s.domains === null || s.domains.includes(v.name)) s.send(event);
      }
    }
  }
}
