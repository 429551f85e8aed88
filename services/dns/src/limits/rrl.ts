import { isIP } from 'node:net';
import { expandIPv6 } from '@ddns/records';

/**
 * Response rate limiting per client prefix (IPv4 /24, IPv6 /56), a token bucket per prefix. Over the limit a
 * response is dropped, except every `slip`-th one which goes out truncated (TC, no records) so a real
 * resolver behind a busy prefix retries over TCP (which is never limited: it cannot be spoofed).
 */
export interface RrlOptions {
  /** responses per second per prefix */
  rate: number;
  /** bucket size; default 2 × rate */
  burst?: number;
  /** every n-th limited response is sent truncated instead of dropped (0 = always drop); default 2 */
  slip?: number;
  /** addresses never limited (secondaries) */
  exempt?: readonly string[];
}

export type RrlVerdict = 'send' | 'slip' | 'drop';

interface Bucket {
  tokens: number;
  at: number;
  limited: number;
}

export function clientPrefix(address: string): string {
  const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(a) === 4) return a.slice(0, a.lastIndexOf('.'));
  const g = expandIPv6(a);
  if (!g) return a;
  return `${g[0]!.toString(16)}:${g[1]!.toString(16)}:${g[2]!.toString(16)}:${(g[3]! >> 8).toString(16)}/56`;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly burst: number;
  private readonly slip: number;
  private readonly exempt: Set<string>;
  limitedTotal = 0;

  constructor(
    private readonly opts: RrlOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = opts.burst ?? opts.rate * 2;
    this.slip = opts.slip ?? 2;
    this.exempt = new Set(opts.exempt ?? []);
  }

  check(address: string): RrlVerdict {
    if (this.exempt.has(address)) return 'send';
    const key = clientPrefix(address);
    const t = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 100_000) this.prune(t);
      b = { tokens: this.burst, at: t, limited: 0 };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.opts.rate);
      b.at = t;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 'send';
    }
    this.limitedTotal++;
    b.limited++;
    return this.slip > 0 && b.limited % this.slip === 0 ? 'slip' : 'drop';
  }

  /** forget full buckets (prefixes that went quiet) */
  prune(t = this.now()): void {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.opts.rate >= this.burst) this.buckets.delete(k);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
