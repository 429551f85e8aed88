import { isIP } from 'node:net';
import { expandIPv6 } from '@ddns/records';

/** How wide a "source network" is: what one customer or one attacker usually controls. */
export const SOURCE_NETWORK_BITS = { ipv4: 24, ipv6: 56 } as const;

/**
 * The source network of an address, as limits key it: IPv4 /24 (`192.0.2.0/24`), IPv6 /56
 * (`2001:db8:0:1200::/56`); an IPv4-mapped IPv6 address counts as IPv4. Anything else (empty, a Unix socket)
 * is its own network. Pure.
 */
export function sourceNetwork(ip: string): string {
  const a = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  const family = isIP(a);
  if (family === 4) {
    const o = a.split('.');
    return `${o[0]}.${o[1]}.${o[2]}.0/${SOURCE_NETWORK_BITS.ipv4}`;
  }
  if (family === 6) {
    const g = expandIPv6(a.replace(/%.*$/, ''));
    if (g) {
      // /56: the first three groups and the high byte of the fourth
      const head = [g[0]!, g[1]!, g[2]!, g[3]! & 0xff00].map((x) => x.toString(16));
      return `${head.join(':')}::/${SOURCE_NETWORK_BITS.ipv6}`;
    }
  }
  return `other:${a}`;
}
