/**
 * Packet cache: the encoded response (without OPT) to a normalised question (lowercase name, type, class, and
 * whether DNSSEC records were asked for), tied to the store version (an applied feed change makes every
 * entry stale: they are dropped before anything else).
 *
 * Bounded by memory (`DNS_CACHE_MB`): when an entry does not fit, CLOCK eviction frees room one entry at a
 * time — entries asked for since the hand last passed get a second chance — so a working set larger than
 * the budget keeps its hot names cached instead of the whole cache being thrown away when it fills up.
 */
export interface CacheEntry {
  bytes: Buffer;
  rcode: number;
}

interface Slot extends CacheEntry {
  key: string;
  /** bytes charged to the budget (see `entryCost`) */
  cost: number;
  /** asked for since the clock hand last passed */
  ref: boolean;
}

/** What one entry costs beyond its key and answer: the slot object, the Buffer object, the map entry. */
export const ENTRY_OVERHEAD = 192;

/** The bytes an entry is charged: its key (one byte per character), its answer and the fixed overhead. */
export function entryCost(key: string, bytes: Buffer): number {
  return key.length + bytes.length + ENTRY_OVERHEAD;
}

export const DEFAULT_CACHE_MB = 128;

export class PacketCache {
  private index = new Map<string, number>();
  private slots: (Slot | undefined)[] = [];
  /** slots emptied by eviction, reused before the array grows */
  private free: number[] = [];
  private hand = 0;
  private used = 0;
  private version = -1;
  /** entries evicted to make room (not counting those dropped as stale) */
  evictions = 0;

  constructor(private readonly maxBytes = DEFAULT_CACHE_MB * 1024 * 1024) {}

  /** `dnssec`: the signed answer (DO bit), cached apart from the plain one */
  get(version: number, lname: string, type: number, klass: number, dnssec = false): CacheEntry | undefined {
    if (version !== this.version) return undefined;
    const i = this.index.get(cacheKey(lname, type, klass, dnssec));
    if (i === undefined) return undefined;
    const s = this.slots[i]!;
    s.ref = true;
    return s;
  }

  set(
    version: number,
    lname: string,
    type: number,
    klass: number,
    bytes: Buffer,
    rcode: number,
    dnssec = false,
  ): void {
    if (version < this.version) return; // computed from data already replaced
    if (version !== this.version) this.clear(version);
    const key = cacheKey(lname, type, klass, dnssec);
    const cost = entryCost(key, bytes);
    if (cost > this.maxBytes) return;
    const at = this.index.get(key);
    if (at !== undefined) {
      const s = this.slots[at]!;
      this.used += cost - s.cost;
      Object.assign(s, { bytes, rcode, cost });
    }
    while (this.used + (at === undefined ? cost : 0) > this.maxBytes && this.index.size > 0) this.evictOne();
    if (at !== undefined) return;
    const slot: Slot = { key, bytes, rcode, cost, ref: false };
    const i = this.free.pop() ?? this.slots.length;
    this.slots[i] = slot;
    this.index.set(key, i);
    this.used += cost;
  }

  /** entries held */
  get size(): number {
    return this.index.size;
  }

  /** bytes charged to the budget */
  get bytes(): number {
    return this.used;
  }

  /** One CLOCK step or more: the first entry not asked for since the hand last passed it goes. */
  private evictOne(): void {
    for (;;) {
      if (this.hand >= this.slots.length) this.hand = 0;
      const i = this.hand++;
      const s = this.slots[i];
      if (!s) continue;
      if (s.ref) {
        s.ref = false;
        continue;
      }
      this.slots[i] = undefined;
      this.free.push(i);
      this.index.delete(s.key);
      this.used -= s.cost;
      this.evictions++;
      return;
    }
  }

  private clear(version: number): void {
    this.index = new Map();
    this.slots = [];
    this.free = [];
    this.hand = 0;
    this.used = 0;
    this.version = version;
  }
}

function cacheKey(lname: string, type: number, klass: number, dnssec: boolean): string {
  return dnssec ? `${type}/${klass}/${lname}/do` : `${type}/${klass}/${lname}`;
}
