import { entryCost, PacketCache } from '../src/cache';

const answer = (i: number) => Buffer.alloc(100, i & 0xff);
const name = (i: number) => `host${i}.example.net`;

describe('packet cache (bounded by memory, CLOCK eviction)', () => {
  it('a working set larger than the budget: hot names keep hitting, memory stays bounded, no flush', () => {
    const budget = 64 * 1024;
    const perEntry = entryCost(`1/1/${name(10_000)}`, answer(0));
    const fits = Math.floor(budget / perEntry);
    const cache = new PacketCache(budget);
    const hot = Array.from({ length: 20 }, (_, i) => i);
    for (const i of hot) cache.set(1, name(i), 1, 1, answer(i), 0);
    let hotHits = 0;
    let hotAsks = 0;
    // 20 000 other names stream through (far more than fit), the hot ones asked between them
    for (let i = 1000; i < 21_000; i++) {
      if (!cache.get(1, name(i), 1, 1)) cache.set(1, name(i), 1, 1, answer(i), 0);
      const h = hot[i % hot.length]!;
      hotAsks++;
      if (cache.get(1, name(h), 1, 1)) hotHits++;
      else cache.set(1, name(h), 1, 1, answer(h), 0);
      expect(cache.bytes).toBeLessThanOrEqual(budget);
    }
    expect(hotHits / hotAsks).toBeGreaterThan(0.99);
    expect(cache.size).toBeGreaterThan(fits * 0.9);
    expect(cache.size).toBeLessThanOrEqual(fits);
    expect(cache.evictions).toBeGreaterThan(19_000);
    // the most recent cold names are still there: eviction is gradual, never the whole cache at once
    expect(cache.get(1, name(20_999), 1, 1)?.bytes).toEqual(answer(20_999));
  });

  it('a new store version: the old entries are never served and go first', () => {
    const cache = new PacketCache(1024 * 1024);
    cache.set(1, 'a.example.net', 1, 1, answer(1), 0);
    expect(cache.get(1, 'a.example.net', 1, 1)).toBeDefined();
    expect(cache.get(2, 'a.example.net', 1, 1)).toBeUndefined();
    cache.set(2, 'b.example.net', 1, 1, answer(2), 0);
    expect(cache.size).toBe(1);
    expect(cache.get(2, 'a.example.net', 1, 1)).toBeUndefined();
    // an answer computed from the older data arriving late is not kept
    cache.set(1, 'a.example.net', 1, 1, answer(1), 0);
    expect(cache.get(2, 'a.example.net', 1, 1)).toBeUndefined();
  });

  it('DO and non-DO answers are cached apart; replacing an entry keeps the byte count right', () => {
    const cache = new PacketCache(1024 * 1024);
    cache.set(1, 'a.example.net', 1, 1, answer(1), 0, false);
    cache.set(1, 'a.example.net', 1, 1, Buffer.alloc(300), 0, true);
    expect(cache.get(1, 'a.example.net', 1, 1, false)?.bytes.length).toBe(100);
    expect(cache.get(1, 'a.example.net', 1, 1, true)?.bytes.length).toBe(300);
    const before = cache.bytes;
    cache.set(1, 'a.example.net', 1, 1, Buffer.alloc(150), 3, false);
    expect(cache.bytes).toBe(before + 50);
    expect(cache.get(1, 'a.example.net', 1, 1)?.rcode).toBe(3);
  });

  it('an answer larger than the whole budget is not cached', () => {
    const cache = new PacketCache(1000);
    cache.set(1, 'big.example.net', 16, 1, Buffer.alloc(2000), 0);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });
});
