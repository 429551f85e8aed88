/**
 * Issue 12, finding 5: failed requests that belong to nobody (wrong or missing credentials) no longer write one
 * update_log row each; they are counted per hour, surface, source network and result.
 */
import request from 'supertest';
import { addDomain } from '@ddns/registry';
import { account, sharedZone } from '@ddns/testkit';
import { AUTH_THROTTLE } from '../../src/limits';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp({ TRUST_PROXY: 'true' });
  await sharedZone(h.t.db, 'dyn.test');
});
afterAll(async () => {
  await h.close();
});

test('a flood of wrong tokens from one /24 grows one counter, not the update log', async () => {
  const o = await account(h.t.db);
  await addDomain(h.t.db, { name: 'flooded.dyn.test', accountEmail: o.email });
  const logRows = async () =>
    Number(
      (
        await h.t.db
          .selectFrom('update_log')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const before = await logRows();
  const n = AUTH_THROTTLE.tokenFailuresPerNetwork; // below the network's token throttle: every one is checked
  for (let i = 1; i <= n; i++) {
    const r = await request(h.app)
      .get('/nic/update')
      .set('X-Forwarded-For', `203.0.113.${i}`)
      .query({ hostname: 'flooded.dyn.test', myip: '192.0.2.1' })
      .auth('none', `wrong-token-${i}`);
    expect(r.status).toBe(401);
    expect(r.text).toBe('badauth\n');
  }
  expect(await logRows()).toBe(before);
  const rows = await h.t.db
    .selectFrom('anonymous_failures')
    .select(['surface', 'source_network', 'result', 'count'])
    .execute();
  expect(rows).toEqual([
    { surface: 'dyndns2', source_network: '203.0.113.0/24', result: 'badauth', count: String(n) },
  ]);
});
