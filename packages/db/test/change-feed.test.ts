import { sql } from 'kysely';
import pg from 'pg';
import {
  ChangeFeed,
  currentFeedSeq,
  currentFeedStart,
  createPool,
  type FeedChange,
  type FeedGap,
} from '@ddns/db';
import { createTestDatabase, sharedZone, TcpProxy, viaPort, type TestDatabase } from '@ddns/testkit';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > until) return reject(new Error('timed out'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

test('a record write appends to the feed, bumps the zone serial and wakes a listener', async () => {
  const zone = await sharedZone(t.db, 'feed.test');
  const pool = createPool(t.url, { max: 1 });
  const start = await currentFeedSeq(pool);
  await pool.end();
  const got: FeedChange[] = [];
  const feed = new ChangeFeed({
    url: t.url,
    afterSeq: start,
    onChanges: (c: FeedChange[]) => void got.push(...c),
    pollMs: 60_000,
  });
  await feed.start();
  try {
    await t.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'host.feed.test', type: 'A', content: '192.0.2.1' })
      .execute();
    await waitFor(() => got.length === 1); // the NOTIFY, not the (one-minute) poll, delivered it
    expect(got[0]).toMatchObject({
      zoneName: 'feed.test',
      name: 'host.feed.test',
      source: 'records',
      op: 'INSERT',
    });
    const after = await t.db
      .selectFrom('zones')
      .select('serial')
      .where('id', '=', zone.id)
      .executeTakeFirstOrThrow();
    expect(BigInt(after.serial)).toBeGreaterThan(BigInt(zone.serial));
  } finally {
    await feed.stop();
  }
});

test('a rolled-back write leaves no change and the feed moves past its hole', async () => {
  const zone = await t.db
    .selectFrom('zones')
    .selectAll()
    .where('name', '=', 'feed.test')
    .executeTakeFirstOrThrow();
  const pool = createPool(t.url, { max: 1 });
  const start = await currentFeedSeq(pool);
  await pool.end();
  const got: FeedChange[] = [];
  const feed = new ChangeFeed({
    url: t.url,
    afterSeq: start,
    onChanges: (c: FeedChange[]) => void got.push(...c),
    pollMs: 20,
  });
  await feed.start();
  try {
    await t.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('records')
          .values({ zone_id: zone.id, name: 'gone.feed.test', type: 'A', content: '192.0.2.9' })
          .execute();
        throw new Error('rollback');
      })
      .catch(() => undefined);
    await t.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'kept.feed.test', type: 'A', content: '192.0.2.2' })
      .execute();
    await waitFor(() => got.length === 1);
    expect(got.map((c) => c.name)).toEqual(['kept.feed.test']);
    // (the hole is let go once every transaction open when it was seen has ended: on a shared cluster,
    // someone else's long transaction may delay that, so `position` is not asserted here)
  } finally {
    await feed.stop();
  }
});

test('changing SOA fields bumps the serial and is logged; a serial bump alone is not a change', async () => {
  const zone = await t.db
    .selectFrom('zones')
    .selectAll()
    .where('name', '=', 'feed.test')
    .executeTakeFirstOrThrow();
  const before = await t.db.selectFrom('dns_changes').select('seq').execute();
  await t.db.updateTable('zones').set({ minimum: 120 }).where('id', '=', zone.id).execute();
  const after = await t.db
    .selectFrom('zones')
    .selectAll()
    .where('id', '=', zone.id)
    .executeTakeFirstOrThrow();
  expect(BigInt(after.serial)).toBeGreaterThan(BigInt(zone.serial));
  const logged = await t.db
    .selectFrom('dns_changes')
    .selectAll()
    .where('source', '=', 'zones')
    .orderBy('seq', 'desc')
    .execute();
  expect(logged[0]).toMatchObject({ zone_name: 'feed.test', op: 'UPDATE' });
  expect((await t.db.selectFrom('dns_changes').select('seq').execute()).length).toBe(before.length + 1);
});

test('a zone key write or a change of the signing switch is a dnssec change of the apex and bumps the serial', async () => {
  const zone = await sharedZone(t.db, 'keys.feed.test');
  const serialOf = async () =>
    BigInt(
      (await t.db.selectFrom('zones').select('serial').where('id', '=', zone.id).executeTakeFirstOrThrow())
        .serial,
    );
  const dnssecChanges = () =>
    t.db
      .selectFrom('dns_changes')
      .select(['zone_name', 'name', 'op'])
      .where('source', '=', 'dnssec')
      .where('zone_id', '=', zone.id)
      .orderBy('seq')
      .execute();
  let serial = await serialOf();
  const key = await t.db
    .insertInto('zone_keys')
    .values({
      zone_id: zone.id,
      algorithm: 13,
      public_key: Buffer.alloc(64, 1),
      private_key_enc: 'v1:x:y:z',
      key_tag: 12345,
      state: 'active',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  expect(await serialOf()).toBeGreaterThan(serial);
  serial = await serialOf();
  await t.db.updateTable('zone_keys').set({ state: 'retired' }).where('id', '=', key.id).execute();
  expect(await serialOf()).toBeGreaterThan(serial);
  serial = await serialOf();
  await t.db.updateTable('zones').set({ dnssec: false }).where('id', '=', zone.id).execute();
  expect(await serialOf()).toBeGreaterThan(serial);
  serial = await serialOf();
  await t.db.updateTable('zones').set({ dnssec: false }).where('id', '=', zone.id).execute(); // no change
  expect(await serialOf()).toBe(serial);
  await t.db.deleteFrom('zone_keys').where('id', '=', key.id).execute();
  expect(await serialOf()).toBeGreaterThan(serial);
  const apex = { zone_name: 'keys.feed.test', name: 'keys.feed.test' };
  expect(await dnssecChanges()).toEqual([
    { ...apex, op: 'INSERT' },
    { ...apex, op: 'UPDATE' },
    { ...apex, op: 'UPDATE' },
    { ...apex, op: 'DELETE' },
  ]);
  // deleting the zone deletes its keys without a dnssec change (the zone's own DELETE says it all)
  await t.db
    .insertInto('zone_keys')
    .values({
      zone_id: zone.id,
      algorithm: 15,
      public_key: Buffer.alloc(32, 2),
      private_key_enc: 'v1:x:y:z',
      key_tag: 54321,
      state: 'active',
    })
    .execute();
  await t.db.deleteFrom('zones').where('id', '=', zone.id).execute();
  expect(await dnssecChanges()).toHaveLength(5);
  expect(await t.db.selectFrom('zone_keys').select('id').where('zone_id', '=', zone.id).execute()).toEqual(
    [],
  );
});

/** A writer that takes its feed seq now (inserting a record) and commits when told. */
async function openWriter(url: string, zoneId: number, name: string, ip: string) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined); // the database is dropped under a writer a failed test left open
  await c.connect();
  await c.query('BEGIN');
  await c.query(`INSERT INTO records (zone_id, name, type, content) VALUES ($1, $2, 'A', $3)`, [
    zoneId,
    name,
    ip,
  ]);
  return {
    commit: async () => {
      await c.query('COMMIT');
      await c.end();
    },
    rollback: async () => {
      await c.query('ROLLBACK');
      await c.end();
    },
  };
}

describe('late commits', () => {
  test('a writer that commits 8 s after taking its seq is delivered; a rolled-back one never is', async () => {
    const late = await sharedZone(t.db, 'late.test');
    const busy = await sharedZone(t.db, 'busy.test');
    const pool = createPool(t.url, { max: 1 });
    const start = await currentFeedSeq(pool);
    await pool.end();
    const got: FeedChange[] = [];
    const feed = new ChangeFeed({
      url: t.url,
      afterSeq: start,
      onChanges: (c: FeedChange[]) => void got.push(...c),
      pollMs: 200,
    });
    await feed.start();
    try {
      const slow = await openWriter(t.url, late.id, 'slow.late.test', '192.0.2.80');
      const aborted = await openWriter(t.url, busy.id, 'gone.busy.test', '192.0.2.81');
      await aborted.rollback();
      // later writers commit meanwhile (another zone: the slow writer holds its zone's row)
      await t.db
        .insertInto('records')
        .values({ zone_id: busy.id, name: 'quick.busy.test', type: 'A', content: '192.0.2.82' })
        .execute();
      await waitFor(() => got.some((c) => c.name === 'quick.busy.test'));
      // both seqs stay open: nothing tells which one the still-open writer holds
      expect(feed.openSeqs).toBe(2);
      await new Promise((r) => setTimeout(r, 8000));
      expect(got.some((c) => c.name === 'slow.late.test')).toBe(false);
      await slow.commit();
      await waitFor(() => got.some((c) => c.name === 'slow.late.test'), 5000);
      expect(got.filter((c) => c.name === 'gone.busy.test')).toEqual([]);
      expect(new Set(got.map((c) => c.seq)).size).toBe(got.length); // nothing twice
    } finally {
      await feed.stop();
    }
  }, 30_000);

  test('a writer open while the start snapshot is taken is delivered when it commits', async () => {
    const zone = await sharedZone(t.db, 'start.test');
    const other = await sharedZone(t.db, 'other.test');
    const slow = await openWriter(t.url, zone.id, 'early.start.test', '192.0.2.90');
    await t.db
      .insertInto('records')
      .values({ zone_id: other.id, name: 'x.other.test', type: 'A', content: '192.0.2.91' })
      .execute();
    const pool = createPool(t.url, { max: 1 });
    const startAt = await currentFeedStart(pool);
    await pool.end();
    const got: FeedChange[] = [];
    const feed = new ChangeFeed({
      url: t.url,
      afterSeq: startAt.seq,
      openAtStart: { seqs: startAt.open, xmax: startAt.xmax },
      onChanges: (c: FeedChange[]) => void got.push(...c),
      pollMs: 200,
    });
    await feed.start();
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect(got).toEqual([]);
      await slow.commit();
      await waitFor(() => got.some((c) => c.name === 'early.start.test'));
    } finally {
      await feed.stop();
    }
  });
});

test('a silently stalled link is noticed, reconnected and caught up', async () => {
  const zone = await sharedZone(t.db, 'stall.test');
  const u = new URL(t.url);
  const proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
  await proxy.start();
  const pool = createPool(t.url, { max: 1 });
  const start = await currentFeedSeq(pool);
  await pool.end();
  const got: FeedChange[] = [];
  const feed = new ChangeFeed({
    url: viaPort(t.url, proxy.port),
    afterSeq: start,
    onChanges: (c: FeedChange[]) => void got.push(...c),
    pollMs: 200,
    queryTimeoutMs: 1000,
    timeouts: { connectTimeoutMs: 1000 },
    minBackoffMs: 50,
    maxBackoffMs: 200,
  });
  await feed.start();
  try {
    await waitFor(() => feed.connected);
    proxy.blackhole();
    const t0 = Date.now();
    await waitFor(() => !feed.connected, 10_000);
    const detectedMs = Date.now() - t0;
    expect(detectedMs).toBeLessThan(5000); // pollMs + queryTimeoutMs, with room for a loaded machine
    await t.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'meanwhile.stall.test', type: 'A', content: '192.0.2.70' })
      .execute();
    await new Promise((r) => setTimeout(r, 1500));
    expect(feed.connected).toBe(false);
    expect(feed.lagSeconds()).toBeGreaterThan(1);
    expect(got).toEqual([]);
    proxy.resume();
    await waitFor(() => got.some((c) => c.name === 'meanwhile.stall.test'), 10_000);
    await waitFor(() => feed.connected && feed.lagSeconds() < 1);
  } finally {
    await feed.stop();
    await proxy.stop();
  }
}, 30_000);

/** What the mailer's pruneLogs deletes once the retention has passed: every row but the newest. */
async function pruneAsMailerDoes(): Promise<number> {
  const r = await sql`DELETE FROM dns_changes
    WHERE changed_at < now() + interval '1 minute' AND seq < (SELECT max(seq) FROM dns_changes)`.execute(
    t.db,
  );
  return Number(r.numAffectedRows ?? 0);
}

describe('rows pruned before a reader read them', () => {
  test('a reader cut off while its unread rows are pruned is told to resync, not left to skip them; a reader keeping up is not', async () => {
    const zone = await sharedZone(t.db, 'gap.test');
    const other = await sharedZone(t.db, 'gapother.test');
    const u = new URL(t.url);
    const proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.start();
    const pool = createPool(t.url, { max: 1 });
    const start = await currentFeedSeq(pool);
    const cutOpts = {
      url: viaPort(t.url, proxy.port),
      afterSeq: start,
      pollMs: 200,
      queryTimeoutMs: 1000,
      timeouts: { connectTimeoutMs: 1000 },
      minBackoffMs: 50,
      maxBackoffMs: 200,
    };
    const got: FeedChange[] = [];
    const gaps: FeedGap[] = [];
    let reloadedAt: bigint | null = null;
    // the DNS service's way: reload, go on from the reload's snapshot
    const reloading = new ChangeFeed({
      ...cutOpts,
      onChanges: (c: FeedChange[]) => void got.push(...c),
      onResync: async (gap) => {
        gaps.push(gap);
        const s = await currentFeedStart(pool);
        reloadedAt = s.seq;
        return s;
      },
    });
    // no onResync: says so ('resync') and skips past what is gone
    const skipped: FeedChange[] = [];
    const events: FeedGap[] = [];
    const plain = new ChangeFeed({ ...cutOpts, onChanges: (c: FeedChange[]) => void skipped.push(...c) });
    plain.on('resync', (g: FeedGap) => events.push(g));
    // a reader on a healthy link, keeping up: pruning never takes a row it has not read
    const live: FeedChange[] = [];
    const healthy = new ChangeFeed({
      url: t.url,
      afterSeq: start,
      onChanges: (c: FeedChange[]) => void live.push(...c),
      pollMs: 100,
    });
    await Promise.all([reloading.start(), plain.start(), healthy.start()]);
    try {
      await t.db
        .insertInto('records')
        .values({ zone_id: zone.id, name: 'seen.gap.test', type: 'A', content: '192.0.2.1' })
        .execute();
      await waitFor(() => got.length === 1 && skipped.length === 1 && live.length === 1);
      await waitFor(() => reloading.connected && plain.connected);
      proxy.blackhole();
      await waitFor(() => !reloading.connected && !plain.connected, 10_000);
      for (const n of ['one', 'two', 'three'])
        await t.db
          .insertInto('records')
          .values({ zone_id: zone.id, name: `${n}.gap.test`, type: 'A', content: '192.0.2.2' })
          .execute();
      // the newest row stays (pruneLogs keeps it): another zone's change
      await t.db
        .insertInto('records')
        .values({ zone_id: other.id, name: 'newest.gapother.test', type: 'A', content: '192.0.2.3' })
        .execute();
      await waitFor(() => live.some((c) => c.name === 'newest.gapother.test'));
      const pruned = await pruneAsMailerDoes();
      expect(pruned).toBeGreaterThanOrEqual(4);
      // the healthy reader had read them all: no gap for it, however often it looks
      await new Promise((r) => setTimeout(r, 600));
      expect(healthy.resyncs).toBe(0);
      proxy.resume();
      await waitFor(() => gaps.length === 1 && events.length === 1, 15_000);
      const floor = (await pool.query<{ s: string }>('SELECT min(seq)::text AS s FROM dns_changes')).rows[0]!;
      for (const g of [gaps[0]!, events[0]!]) {
        expect(g.floor).toBe(BigInt(floor.s));
        expect(g.missing).toBe(g.floor - 1n - g.head);
        expect(g.missing).toBeGreaterThanOrEqual(3n); // one, two, three (and anything else pruned meanwhile)
      }
      console.log(
        `gap signalled: head ${gaps[0]!.head}, floor ${gaps[0]!.floor}, ${gaps[0]!.missing} seqs missing`,
      );
      expect(reloading.resyncs).toBe(1);
      expect(got.map((c) => c.name)).toEqual(['seen.gap.test']); // nothing delivered from across the gap
      // the skipping reader delivers what is left (the newest row) and says it skipped
      await waitFor(() => skipped.some((c) => c.name === 'newest.gapother.test'));
      expect(skipped.some((c) => c.name.endsWith('.gap.test') && c.name !== 'seen.gap.test')).toBe(false);
      // both go on from there, once each
      await t.db
        .insertInto('records')
        .values({ zone_id: zone.id, name: 'after.gap.test', type: 'A', content: '192.0.2.4' })
        .execute();
      await waitFor(() => got.some((c) => c.name === 'after.gap.test'), 10_000);
      await waitFor(() => skipped.some((c) => c.name === 'after.gap.test'), 10_000);
      expect(got.every((c) => c.name === 'seen.gap.test' || c.seq > reloadedAt!)).toBe(true);
      expect(reloading.resyncs + plain.resyncs + healthy.resyncs).toBe(2);
    } finally {
      await Promise.all([reloading.stop(), plain.stop(), healthy.stop()]);
      await pool.end();
      await proxy.stop();
    }
  }, 40_000);

  test('an open seq whose writer commits while the link is cut, pruned before it is read, is a gap too', async () => {
    const zone = await sharedZone(t.db, 'opengap.test');
    const other = await sharedZone(t.db, 'opengapother.test');
    const u = new URL(t.url);
    const proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.start();
    const pool = createPool(t.url, { max: 1 });
    const start = await currentFeedSeq(pool);
    const got: FeedChange[] = [];
    const gaps: FeedGap[] = [];
    const feed = new ChangeFeed({
      url: viaPort(t.url, proxy.port),
      afterSeq: start,
      onChanges: (c: FeedChange[]) => void got.push(...c),
      onResync: async (gap) => {
        gaps.push(gap);
        // the first reload fails (Postgres hiccup): the feed says so and tries again next round
        if (gaps.length === 1) throw new Error('reload failed');
        return currentFeedStart(pool);
      },
      pollMs: 200,
      queryTimeoutMs: 1000,
      timeouts: { connectTimeoutMs: 1000 },
      minBackoffMs: 50,
      maxBackoffMs: 200,
    });
    const errors: unknown[] = [];
    feed.on('error', (err: unknown) => errors.push(err));
    await feed.start();
    try {
      const slow = await openWriter(t.url, zone.id, 'slow.opengap.test', '192.0.2.5');
      await t.db
        .insertInto('records')
        .values({ zone_id: other.id, name: 'quick.opengapother.test', type: 'A', content: '192.0.2.6' })
        .execute();
      await waitFor(() => got.some((c) => c.name === 'quick.opengapother.test'));
      expect(feed.openSeqs).toBe(1);
      proxy.blackhole();
      await waitFor(() => !feed.connected, 10_000);
      await slow.commit();
      await t.db
        .insertInto('records')
        .values({ zone_id: other.id, name: 'newest.opengapother.test', type: 'A', content: '192.0.2.7' })
        .execute();
      await pruneAsMailerDoes();
      proxy.resume();
      // the head is just below the floor (nothing above it was pruned): only the open seq tells
      await waitFor(() => gaps.length === 2, 15_000);
      expect(errors.map(String)).toEqual(['Error: reload failed']);
      for (const g of gaps) {
        expect(g.missing).toBe(0n);
        expect(g.lostOpen).toHaveLength(1);
      }
      await waitFor(() => feed.resyncs === 1);
      expect(got.some((c) => c.name === 'slow.opengap.test')).toBe(false);
      // resynced once: a later change is delivered, and no further gap is found
      await t.db
        .insertInto('records')
        .values({ zone_id: zone.id, name: 'after.opengap.test', type: 'A', content: '192.0.2.8' })
        .execute();
      await waitFor(() => got.some((c) => c.name === 'after.opengap.test'), 10_000);
      expect(gaps).toHaveLength(2);
      expect(feed.resyncs).toBe(1);
    } finally {
      await feed.stop();
      await pool.end();
      await proxy.stop();
    }
  }, 40_000);
});
