import { createTestDatabase, TcpProxy, type TestDatabase } from '@ddns/testkit';

/**
 * The harness of the feed-link fault tests: a fresh database reached through a TCP proxy the test can
 * black-hole and resume (the dns process is started with `viaPort(link.t.url, link.proxy.port)`).
 * Registers its own beforeAll/afterAll; the test stops its dns process first.
 */
export interface FeedLink {
  readonly t: TestDatabase;
  readonly proxy: TcpProxy;
}

export function proxiedDatabase(): FeedLink {
  let t: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
    const u = new URL(t.url);
    proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.start();
  });
  afterAll(async () => {
    await proxy?.stop();
    await t?.destroy();
  });
  return {
    get t() {
      if (!t) throw new Error('the database is made in beforeAll');
      return t;
    },
    get proxy() {
      if (!proxy) throw new Error('the proxy is made in beforeAll');
      return proxy;
    },
  };
}

/** A plain metric's value from the dns process's metrics port. */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in metrics`);
  return Number(m[1]);
}

/** Polls `cond` every 100 ms; how long it took, or an error after `ms`. */
export async function until(cond: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
