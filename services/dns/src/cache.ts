/**
 * Packet cache: the encoded response (without OPT) to a normalised question (lowercase name, type, class, and
 * whether DNSSEC records were asked for).
 * Tied to the store version: any applied feed change empties it. Bounded; full → start over.
 */
export interface CacheEntry {
  bytes: Buffer;
  rcode: number;
}

export class PacketCache {
  private map = new Map<string, CacheEntry>();
  private version = -1;

  constructor(private readonly max = 100_000) {}

  /** `dnssec`: the signed answer (DO bit), cached apart from the plain one */
  get(version: number, lname: string, type: number, klass: number, dnssec = false): CacheEntry | undefined {
    if (version !== this.version) return undefined;
    return this.map.get(dnssec ? `${type}/${klass}/${lname}/do` : `${type}/${klass}/${lname}`);
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
    if (version !== this.version || this.map.size >= this.max) {
      this.map = new Map();
      this.version = version;
    }
    this.map.set(dnssec ? `${type}/${klass}/${lname}/do` : `${type}/${klass}/${lname}`, { bytes, rcode });
  }

  get size(): number {
    return this.map.size;
  }
}
