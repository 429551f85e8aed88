import { createTestDatabase, TcpProxy, viaPort, type ServiceProcess, type TestDatabase } from '@ddns/testkit';
import { startApiProcess, update, updaters, type Updater } from './api-process';

/**
 * The api process behind a TCP proxy to Postgres: links reset under load, links that silently stop
 * forwarding. The process must never exit, every acknowledged update must be stored, and a request on a
 * dead link must fail (911) within a few seconds instead of hanging.
 */

let t: TestDatabase;
let proxy: TcpProxy;
let api: (ServiceProcess & { base: string }) | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  const u = new URL(t.url);
  proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
  await proxy.start();
});

afterEach(async () => {
  await api?.stop();
  api = undefined;
});

afterAll(async () => {
  await proxy.stop();
  await t.destroy();
});

const exited = (p: ServiceProcess) => p.child.exitCode !== null || p.child.signalCode !== null;

/** Acknowledged updates (good/nochg) that have no update-log row (it commits in the same transaction). */
async function lostOf(acked: { u: Updater; ip: string }[]): Promise<{ u: Updater; ip: string }[]> {
  const logged = await t.db.selectFrom('update_log').select(['hosts', 'detail', 'result']).execute();
  const stored = new Set(
    logged.filter((l) => l.result === 'good' || l.result === 'nochg').map((l) => `${l.hosts} ${l.detail}`),
  );
  return acked.filter((a) => !stored.has(`${a.u.name} ipv4=${a.ip}`));
}

test('20 resets of the Postgres link during a burst of 5 updaters: no exit, nothing acknowledged is lost', async () => {
  const clients = await updaters(t, 'reset.test', 5);
  api = await startApiProcess(viaPort(t.url, proxy.port), { DB_STATEMENT_TIMEOUT_MS: '3000' });
  const p = api;
  const acked: { u: Updater; ip: string }[] = [];
  const codes = new Map<string, number>();
  let stop = false;
  const burst = clients.map(async (u, c) => {
    for (let i = 1; !stop; i++) {
      const ip = `10.${c}.${(i >> 8) & 255}.${i & 255}`;
      const r = await update(p.base, u, ip);
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      if (r.code === 'good' || r.code === 'nochg') acked.push({ u, ip });
      if (r.code === 'error') await new Promise((res) => setTimeout(res, 50));
    }
  });
  // a reset every 300 ms at least, and only once some updates went through since the last one (a loaded
  // machine must not turn the burst into nothing but failures)
  let resets = 0;
  for (let i = 0; i < 20 && !exited(p); i++) {
    const since = acked.length;
    const t0 = Date.now();
    while (!exited(p) && (Date.now() - t0 < 300 || (acked.length < since + 2 && Date.now() - t0 < 10_000)))
      await new Promise((res) => setTimeout(res, 20));
    proxy.reset();
    resets++;
  }
  await new Promise((res) => setTimeout(res, 500));
  stop = true;
  await Promise.all(burst);
  const lost = await lostOf(acked);
  console.log(
    `${resets} Postgres link resets during an update burst: process exits ${exited(p) ? 1 : 0}, ` +
      `acknowledged ${acked.length}, acknowledged but lost ${lost.length}; answers`,
    Object.fromEntries(codes),
  );
  expect(resets).toBe(20);

  expect({ exitCode: p.child.exitCode, signal: p.child.signalCode }).toEqual({
    exitCode: null,
    signal: null,
  });
  expect(p.output()).not.toMatch(/Unhandled|uncaught/i);
  expect(codes.get('error') ?? 0).toBe(0); // every request got an answer
  expect(codes.get('911') ?? 0).toBeGreaterThan(0); // the resets did hit requests in flight
  expect(acked.length).toBeGreaterThanOrEqual(40);

  // every acknowledged update is in Postgres (its update-log row commits in the same transaction)
  expect(lost).toEqual([]);

  // and it recovered by itself: each client's next update is applied
  for (const [c, u] of clients.entries()) {
    const r = await update(p.base, u, `10.${c}.255.254`);
    expect(r.code).toBe('good');
    const rec = await t.db
      .selectFrom('records')
      .select('content')
      .where('name', '=', u.name)
      .where('type', '=', 'A')
      .executeTakeFirstOrThrow();
    expect(rec.content).toBe(`10.${c}.255.254`);
  }
}, 120_000);

test('a 5 s Postgres cut during a burst of 5 updaters: 911 meanwhile, every acknowledged update stored', async () => {
  const clients = await updaters(t, 'cut.test', 5);
  api = await startApiProcess(viaPort(t.url, proxy.port), { DB_STATEMENT_TIMEOUT_MS: '3000' });
  const p = api;
  const acked: { u: Updater; ip: string }[] = [];
  const codes = new Map<string, number>();
  let stop = false;
  const burst = clients.map(async (u, c) => {
    for (let i = 1; !stop; i++) {
      const ip = `10.${c}.${(i >> 8) & 255}.${i & 255}`;
      const r = await update(p.base, u, ip);
      codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
      if (r.code === 'good' || r.code === 'nochg') acked.push({ u, ip });
      else await new Promise((res) => setTimeout(res, 100));
    }
  });
  const waitAcked = async (n: number) => {
    const until = Date.now() + 30_000;
    while (acked.length < n && Date.now() < until && !exited(p)) await new Promise((r) => setTimeout(r, 20));
  };
  await waitAcked(50);
  const beforeCut = acked.length;
  await proxy.cut(); // every link dropped, new ones refused
  await new Promise((res) => setTimeout(res, 5000));
  const duringCut = acked.length - beforeCut;
  await proxy.start();
  await waitAcked(acked.length + 50);
  stop = true;
  await Promise.all(burst);
  const lost = await lostOf(acked);
  console.log(
    `5 s Postgres cut during an update burst: acknowledged ${acked.length} (${duringCut} while cut), ` +
      `stored ${acked.length - lost.length}/${acked.length}; answers`,
    Object.fromEntries(codes),
  );
  expect(exited(p)).toBe(false);
  expect(codes.get('error') ?? 0).toBe(0);
  expect(codes.get('911') ?? 0).toBeGreaterThan(0);
  expect(lost).toEqual([]);
  expect(acked.length).toBeGreaterThanOrEqual(beforeCut + 50); // it recovered by itself
}, 120_000);

test('a black-holed Postgres link: an update answers 911 within a few seconds, then recovers', async () => {
  const [u] = await updaters(t, 'hole.test', 1);
  api = await startApiProcess(viaPort(t.url, proxy.port), {
    DB_STATEMENT_TIMEOUT_MS: '2000',
    DB_CONNECT_TIMEOUT_MS: '2000',
  });
  expect((await update(api.base, u!, '192.0.2.10')).code).toBe('good');
  proxy.blackhole();
  try {
    const during = await update(api.base, u!, '192.0.2.11');
    console.log('update on a black-holed link answered', during.code, 'after', during.ms, 'ms');
    expect(during.code).toBe('911');
    expect(during.ms).toBeLessThan(10_000); // the deadline is 4 s (statement timeout + 2 s)
    const again = await update(api.base, u!, '192.0.2.12');
    expect(again.code).toBe('911');
    expect(again.ms).toBeLessThan(10_000); // a fresh connection times out too (connect timeout)
    // the other surfaces answer their own "try again later": 503 + Retry-After, in their format
    const surfaces: [string, Record<string, string>, unknown][] = [
      ['/api?apikey=nope&get_account_info', {}, expect.objectContaining({ info: 'error' })],
      ['/user/record/', { authorization: 'Token nope' }, { detail: 'Service unavailable.' }],
    ];
    for (const [path, headers, body] of surfaces) {
      const t0 = Date.now();
      const res = await fetch(`${api.base}${path}`, { headers, signal: AbortSignal.timeout(30_000) });
      expect({ path, status: res.status, retryAfter: res.headers.get('retry-after') }).toEqual({
        path,
        status: 503,
        retryAfter: '5',
      });
      expect(await res.json()).toEqual(body);
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  } finally {
    proxy.resume();
  }
  let last = '';
  for (let i = 0; i < 20 && last !== 'good'; i++) {
    last = (await update(api.base, u!, '192.0.2.13')).code;
    if (last !== 'good') await new Promise((res) => setTimeout(res, 500));
  }
  expect(last).toBe('good');
  expect(exited(api)).toBe(false);
}, 90_000);
