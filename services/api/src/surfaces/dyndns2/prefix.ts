import { isIP } from 'node:net';
import { canonicalIPv6, expandIPv6 } from '@ddns/records';

/** An IPv6 prefix: its network address (canonical text, host bits zero) and length. */
export interface Ipv6Prefix {
  network: string;
  length: number;
}

function toText(groups: readonly number[]): string {
  return canonicalIPv6(groups.map((g) => g.toString(16)).join(':'));
}

/** Keeps the first `length` bits of `groups`, zeroing the rest. */
function mask(groups: readonly number[], length: number): number[] {
  return groups.map((g, i) => {
    const bitsBefore = i * 16;
    if (length >= bitsBefore + 16) return g;
    if (length <= bitsBefore) return 0;
    const keep = length - bitsBefore;
    return g & ((0xffff << (16 - keep)) & 0xffff);
  });
}

/**
 * Parses `2001:db8:1:2::/64` (the length defaults to 64 when absent). The network is canonicalised and its
 * host bits cleared. Lengths 1–127 are accepted (a /0 or /128 "prefix" makes no sense for a LAN). Pure.
 */
export function parsePrefix(text: string): Ipv6Prefix | null {
  const s = text.trim();
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? '64' : s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const length = Number(lenText);
  if (length < 1 || length > 127) return null;
  if (addr.includes('%') || isIP(addr) !== 6) return null;
  const groups = expandIPv6(addr);
  if (!groups) return null;
  return { network: toText(mask(groups, length)), length };
}

/** `network/length`, the form stored in `domains.ipv6_prefix`. */
export function formatPrefix(p: Ipv6Prefix): string {
  return `${p.network}/${p.length}`;
}

/** The /64 that contains an IPv6 address (`ipv6prefix=auto`). */
export function prefixOf(address: string, length = 64): Ipv6Prefix | null {
  const groups = expandIPv6(address);
  return groups ? { network: toText(mask(groups, length)), length } : null;
}

/**
 * Prefix + interface identifier: the first `length` bits from the prefix, the rest from `hostPart`
 * (e.g. `2001:db8:1:2::/64` + `::1:2:3:4` = `2001:db8:1:2:1:2:3:4`). Null when `hostPart` is not IPv6.
 */
export function applyPrefix(prefix: Ipv6Prefix, hostPart: string): string | null {
  const net = expandIPv6(prefix.network);
  const host = expandIPv6(hostPart);
  if (!net || !host) return null;
  const netBits = mask(net, prefix.length);
  const out = host.map((h, i) => {
    const bitsBefore = i * 16;
    if (prefix.length >= bitsBefore + 16) return netBits[i]!;
    if (prefix.length <= bitsBefore) return h;
    const keep = prefix.length - bitsBefore;
    const hi = (0xffff << (16 - keep)) & 0xffff;
    return (netBits[i]! & hi) | (h & ~hi & 0xffff);
  });
  return toText(out);
}
