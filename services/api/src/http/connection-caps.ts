import { isIPv4, isIPv6 } from 'node:net';

/** Connection caps of one listener. 0 switches a cap off. */
export interface ConnectionCaps {
  /** open connections per client address */
  perAddress: number;
  /** open connections per client network: IPv4 /24, IPv6 /56 */
  perNetwork: number;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; anything else as it is. */
export function plainAddress(address: string | undefined): string {
  const a = address ?? '';
  return a.startsWith('::ffff:') && isIPv4(a.slice(7)) ? a.slice(7) : a;
}

/** The network an address belongs to for connection caps: its IPv4 /24 or IPv6 /56. Pure. */
export function networkOf(address: string): string {
  if (isIPv4(address)) return `${address.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const g = groups.map((x) => parseInt(x || '0', 16));
  // the first 56 bits: three groups and the high byte of the fourth
  return `${g[0]!.toString(16)}:${g[1]!.toString(16)}:${g[2]!.toString(16)}:${(g[3]! & 0xff00).toString(16)}::/56`;
}

/** Counts open connections per address and per network; admits a new one only while both are under their cap. */
export class ConnectionCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps) {}

  private keys(address: string): [string, number][] {
    const out: [string, number][] = [];
    if (this.caps.perAddress > 0) out.push([`a ${address}`, this.caps.perAddress]);
    if (this.caps.perNetwork > 0) out.push([`n ${networkOf(address)}`, this.caps.perNetwork]);
    return out;
  }

  /** Counts the connection and answers true, or answers false (and counts nothing) when a cap is reached. */
  admit(address: string): boolean {
    const keys = this.keys(address);
    if (keys.some(([k, cap]) => (this.open.get(k) ?? 0) >= cap)) return false;
    for (const [k] of keys) this.open.set(k, (this.open.get(k) ?? 0) + 1);
    return true;
  }

  release(address: string): void {
    for (const [k] of this.keys(address)) {
      const n = (this.open.get(k) ?? 0) - 1;
      if (n > 0) this.open.set(k, n);
      else this.open.delete(k);
    }
  }

  /** open connections of an address (tests, metrics) */
  count(address: string): number {
    return this.open.get(`a ${address}`) ?? 0;
  }
}
