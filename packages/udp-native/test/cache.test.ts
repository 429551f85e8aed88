import dgram from 'node:dgram';
import type { UdpEngine } from '../src';
import { nameWire, query, response, startEngine, until } from './helpers';

/** The native packet cache: bounded by its byte budget, evicting gradually (CLOCK), never flushing. */
describe('udp-native cache', () => {
  const budget = 4 << 20;

  /** How many of `names` are answered from the cache (queried over UDP, counted by the engine). */
  async function hitsOf(engine: UdpEngine, port: number, names: string[]): Promise<number> {
    const before = engine.stats();
    const s = dgram.createSocket('udp4');
    await Promise.all(
      names.map((n) => new Promise<void>((resolve) => s.send(query(n), port, '127.0.0.1', () => resolve()))),
    );
    // every datagram decided (a hit or a miss), not only received: a thread may still be looking one up
    await until(() => {
      const now = engine.stats();
      return now.hits - before.hits + (now.misses - before.misses) >= names.length;
    });
    s.close();
    return engine.stats().hits - before.hits;
  }

  test('1M inserts stay within the byte budget and keep the recent and the referenced entries', async () => {
    const { engine, port } = startEngine({ cacheBytes: budget, maxPendingMisses: 100_000 });
    try {
      engine.setVersion(1);
      const put = (name: string): void => engine.cacheSet(1, nameWire(name), 1, 1, false, response(name), 0);
      // a working set that keeps being asked for
      const hot = Array.from({ length: 1000 }, (_, i) => `hot${i}.example`);
      hot.forEach(put);
      expect(await hitsOf(engine, port, hot)).toBe(hot.length);
      // one-off names, all the same length: one key buffer and one response rewritten in place (fast enough
      // for a million calls; the engine copies both)
      const total = 1_000_000;
      const cold = (i: number): string => `n${String(i).padStart(7, '0')}.cold.example`;
      const key = nameWire(cold(0));
      const resp = response(cold(0));
      for (let i = 0; i < total; i++) {
        const digits = String(i).padStart(7, '0');
        key.write(digits, 2, 'latin1');
        resp.write(digits, 14, 'latin1');
        engine.cacheSet(1, key, 1, 1, false, resp, 0);
        if (i % 100_000 === 99_999) expect(engine.stats().cacheBytes).toBeLessThanOrEqual(budget);
        // asked for again before the CLOCK hand comes round (the budget holds ~19k entries): never evicted
        if (i % 10_000 === 9_999) expect(await hitsOf(engine, port, hot)).toBe(hot.length);
      }
      const s = engine.stats();
      expect(s.cacheBytes).toBeLessThanOrEqual(budget);
      expect(s.cacheBytes).toBeGreaterThan(budget * 0.8); // full, not flushed
      expect(s.evictions).toBeGreaterThan(total * 0.9);
      expect(s.cacheEntries).toBeGreaterThan(10_000);
      // the most recent inserts are (mostly) there: eviction takes the oldest unreferenced entries
      const recent = Array.from({ length: 2000 }, (_, i) => cold(total - 1 - i));
      expect(await hitsOf(engine, port, recent)).toBeGreaterThan(recent.length * 0.9);
    } finally {
      engine.close();
    }
  }, 60_000);

  test('entries of an old store version are evicted before current ones', async () => {
    const small = 64 * 1024;
    const { engine, port } = startEngine({ cacheBytes: small });
    try {
      engine.setVersion(1);
      const names = (p: string, n: number): string[] =>
        Array.from({ length: n }, (_, i) => `${p}${i}.example`);
      for (const n of names('old', 200)) engine.cacheSet(1, nameWire(n), 1, 1, false, response(n), 0);
      engine.setVersion(2);
      const current = names('cur', 150);
      for (const n of current) engine.cacheSet(2, nameWire(n), 1, 1, false, response(n), 0);
      expect(engine.stats().cacheBytes).toBeLessThanOrEqual(small);
      expect(await hitsOf(engine, port, current)).toBeGreaterThan(current.length * 0.95);
    } finally {
      engine.close();
    }
  });
});
