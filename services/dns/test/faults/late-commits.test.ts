import { createPool } from '@ddns/db';
import {
  createTestDatabase,
  digShort,
  sharedZone,
  startDnsProcess,
  type DnsProcess,
  type TestDatabase,
} from '@ddns/testkit';

/**
 * Writers that take their change-feed seq early and commit late (a slow transaction; one queued on the
 * zone-row lock behind it), while other writers commit meanwhile: every change must reach the dns process
 * within the propagation target after its commit, however late. The delays are real (default 8 s, 60 s and
 * 5 min: `FAULTS_LATE_COMMITS=8,60,300`, in seconds).
 */

const DELAYS = (process.env.FAULTS_LATE_COMMITS ?? '8,60,300').split(',').map((s) => Number(s) * 1000);
/** commit → answered (the feed is woken by NOTIFY; its poll is 2 s) */
const PROPAGATION_TARGET_MS = 5000;

let t: TestDatabase;
let dns: DnsProcess | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  await dns?.stop();
  await t.destroy();
});

/** BEGIN + an INSERT whose trigger takes the feed seq (and the zone-row lock); COMMIT later. */
async function writer(zoneId: number, name: string, ip: string) {
  const pool = createPool(t.url, { max: 1 }); // no statement or idle-in-transaction limits
  const c = await pool.connect();
  await c.query('BEGIN');
  const inserted = c.query(`INSERT INTO records (zone_id, name, type, content) VALUES ($1, $2, 'A', $3)`, [
    zoneId,
    name,
    ip,
  ]);
  return {
    inserted,
    async commit() {
      await inserted;
      await c.query('COMMIT');
      c.release();
      await pool.end();
    },
  };
}

async function servedWithin(name: string, ip: string, ms: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if ((await digShort(dns!.port, name, 'A')).includes(ip)) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`${name} not served ${ms} ms after its commit`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(
  `late commits (${DELAYS.map((d) => d / 1000).join(' s, ')} s after taking their seq) are all served`,
  async () => {
    const other = await sharedZone(t.db, 'other.test');
    const zones = await Promise.all(DELAYS.map((_, i) => sharedZone(t.db, `late${i}.test`)));
    dns = await startDnsProcess(t.url, {}, 120_000); // a loaded machine starts processes slowly
    const d = dns;

    const slow = await Promise.all(
      zones.map((z, i) => writer(z.id, `slow.late${i}.test`, `192.0.2.${10 + i}`)),
    );
    // queued behind the first slow writer on its zone's row: its seq is taken, its commit waits
    const queued = await writer(zones[0]!.id, `queued.late0.test`, '192.0.2.99');
    await new Promise((r) => setTimeout(r, 300));
    // meanwhile others commit: higher seqs become visible above the open ones
    await t.db
      .insertInto('records')
      .values({ zone_id: other.id, name: 'quick.other.test', type: 'A', content: '192.0.2.1' })
      .execute();
    await servedWithin('quick.other.test', '192.0.2.1', PROPAGATION_TARGET_MS);

    const t0 = Date.now();
    const served: Record<string, number> = {};
    await Promise.all(
      slow.map(async (w, i) => {
        await new Promise((r) => setTimeout(r, DELAYS[i]! - (Date.now() - t0)));
        expect(await digShort(d.port, `slow.late${i}.test`, 'A')).toEqual([]); // not committed yet
        await w.commit();
        served[`slow.late${i}.test`] = await servedWithin(
          `slow.late${i}.test`,
          `192.0.2.${10 + i}`,
          PROPAGATION_TARGET_MS,
        );
        if (i === 0) {
          await queued.commit();
          served['queued.late0.test'] = await servedWithin(
            'queued.late0.test',
            '192.0.2.99',
            PROPAGATION_TARGET_MS,
          );
        }
        // other changes keep flowing while the later writers are still open
        await t.db
          .insertInto('records')
          .values({ zone_id: other.id, name: `after${i}.other.test`, type: 'A', content: '192.0.2.2' })
          .execute();
        served[`after${i}.other.test`] = await servedWithin(
          `after${i}.other.test`,
          '192.0.2.2',
          PROPAGATION_TARGET_MS,
        );
      }),
    );
    console.log('commit → served (ms):', served);
    expect(d.child.exitCode).toBeNull();
  },
  Math.max(...DELAYS) + 120_000,
);
