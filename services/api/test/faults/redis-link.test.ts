import { freePort, startRedisServer, type LocalRedis } from '@ddns/local-services';
import { createTestDatabase, TcpProxy, type TestDatabase } from '@ddns/testkit';
import { startApiProcess, update, updaters, type Updater } from './api-process';

/**
 * The api process behind a TCP proxy to its Redis (its own redis-server: the call limits are on), links
 * reset and cut while updaters keep calling: the process never exits, an update it cannot count against
 * its limits fails closed (911, nothing stored), and it recovers by itself.
 */

let t: TestDatabase;
let redis: LocalRedis;
let proxy: TcpProxy;

beforeAll(async () => {
  t = await createTestDatabase();
  redis = await startRedisServer(await freePort());
  proxy = new TcpProxy('127.0.0.1', Number(new URL(redis.url).port));
  await proxy.start();
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await redis?.stop();
  await t?.destroy();
});

async function addressOf(u: Updater): Promise<string | undefined> {
  const r = await t.db
    .selectFrom('records')
    .select('content')
    .where('name', '=', u.name)
    .where('type', '=', 'A')
    .executeTakeFirst();
  return r?.content;
}

test('Redis links reset and cut under updaters: no exit, 911 and nothing stored while cut, then updates again', async () => {
  const clients = await updaters(t, 'redis.test', 8);
  const api = await startApiProcess(t.url, {
    REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    UPDATER_RATE_LIMIT: 'on',
  });
  try {
    // each client stays under its call limit (3 per 10 s): one update every 4 s
    const round = async (ip: (c: number) => string) => {
      const codes = await Promise.all(clients.map((u, c) => update(api.base, u, ip(c))));
      return codes.map((r) => r.code);
    };
    expect(await round((c) => `10.0.0.${c + 1}`)).toEqual(clients.map(() => 'good'));

    // resets while requests are in flight
    const counts = new Map<string, number>();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 4000));
      const during = round((c) => `10.1.${i}.${c + 1}`);
      setTimeout(() => proxy.reset(), 5);
      for (const code of await during) counts.set(code, (counts.get(code) ?? 0) + 1);
    }

    // cut: every update fails closed, and changes nothing
    await new Promise((r) => setTimeout(r, 4000));
    const before = await Promise.all(clients.map(addressOf));
    await proxy.cut();
    const cut = await round((c) => `10.2.0.${c + 1}`);
    const after = await Promise.all(clients.map(addressOf));
    await proxy.start();

    // and back: updates are applied again within a few seconds
    let back: string[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 4000));
      back = await round((c) => `10.3.${i}.${c + 1}`);
      if (back.every((code) => code === 'good')) break;
    }
    console.log(
      `Redis link: 5 resets under 8 updaters answered`,
      Object.fromEntries(counts),
      `; while cut: ${cut.join(',')}; all good again ${Date.now() - t0} ms after it returned`,
    );
    expect(cut).toEqual(clients.map(() => '911'));
    expect(after).toEqual(before);
    expect(back).toEqual(clients.map(() => 'good'));
    expect([...counts.keys()].filter((k) => k !== 'good' && k !== '911' && k !== 'nochg')).toEqual([]);
    expect({ exitCode: api.child.exitCode, signal: api.child.signalCode }).toEqual({
      exitCode: null,
      signal: null,
    });
    expect(api.output()).not.toMatch(/Unhandled|uncaught/i);
  } finally {
    await api.stop();
  }
}, 180_000);
