import {
  parseServerAddress,
  setZoneDnssec,
  startRollover,
  advanceRollover,
  listZoneKeys,
} from '@ddns/registry';
import { dnsAsker } from '@ddns/registry';
import { createTestDatabase, sharedZone, testRedisPrefix, type TestDatabase } from '@ddns/testkit';
import { runDnssecSweep } from '../src/queues/dnssec';
import { startTestMailer } from './support/test-mailer';

const SECRETS_KEY = 'test-secrets-key-0123456789-abcdefghijklm';
// ask nobody (the discard port): a parent that cannot be asked
const walk = { start: [parseServerAddress('127.0.0.1:9')!], ask: dnsAsker(300) };
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

test('the sweep keys zones without a key and deletes retired keys whose time has come', async () => {
  await sharedZone(t.db, 'a.sweep.test');
  await sharedZone(t.db, 'b.sweep.test');
  await setZoneDnssec(t.db, { zone: 'b.sweep.test', on: false });
  const first = await runDnssecSweep(t.db, { secretsKey: SECRETS_KEY, walk });
  expect(first).toEqual({ keyed: ['a.sweep.test'], steps: [] });

  const t0 = new Date(Date.now() - 10 * 24 * 3600 * 1000);
  await startRollover(t.db, { zone: 'a.sweep.test', secretsKey: SECRETS_KEY, now: t0 });
  // the parent cannot be asked: the activation waits (nothing reported)
  expect((await runDnssecSweep(t.db, { secretsKey: SECRETS_KEY, walk })).steps).toEqual([]);
  await advanceRollover(t.db, { zone: 'a.sweep.test', force: true, now: t0 });
  const swept = await runDnssecSweep(t.db, { secretsKey: SECRETS_KEY, walk });
  expect(swept.steps).toEqual([expect.objectContaining({ zone: 'a.sweep.test', action: 'deleted' })]);
  expect((await listZoneKeys(t.db, 'a.sweep.test')).keys.map((k) => k.state)).toEqual(['active']);
  expect((await listZoneKeys(t.db, 'b.sweep.test')).keys).toEqual([]);
});

test('the running mailer schedules the sweep: a zone made without SECRETS_KEY gets its key', async () => {
  await sharedZone(t.db, 'c.sweep.test');
  const mailer = await startTestMailer({
    db: t.db,
    databaseUrl: t.url,
    smtpUrl: 'smtp://127.0.0.1:1',
    prefix: testRedisPrefix('dnssec'),
  });
  try {
    let keys = (await listZoneKeys(t.db, 'c.sweep.test')).keys;
    for (let i = 0; i < 300 && !keys.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      keys = (await listZoneKeys(t.db, 'c.sweep.test')).keys;
    }
    expect(keys.map((k) => [k.algorithm, k.state])).toEqual([[13, 'active']]);
  } finally {
    await mailer.stop();
  }
}, 60_000);
