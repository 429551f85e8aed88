import { ChangeFeed, currentFeedSeq, createPool, type FeedChange } from '@ddns/db';
import { sharedZone } from '@ddns/testkit';
import { createTestDatabase, type TestDatabase } from '@ddns/testkit';

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
    gapTimeoutMs: 50,
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
    await waitFor(() => feed.position >= got[0]!.seq);
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
