import { compareNames, sortCanonical } from '@ddns/dnssec';

/**
 * The NSEC chain of a zone: its authoritative owner names in canonical order (RFC 4034 §6.1). A sorted
 * array: O(log n) lookups, and an insert or removal moves references only (a DynDNS update rarely adds a name).
 */
export class NsecChain {
  private readonly names: string[];

  constructor(names: Iterable<string>) {
    this.names = sortCanonical(names);
  }

  get size(): number {
    return this.names.length;
  }

  /** index of the greatest name ≤ `name`, -1 when every name is greater */
  private floor(name: string): number {
    let lo = 0;
    let hi = this.names.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareNames(this.names[mid]!, name);
      if (c === 0) return mid;
      if (c < 0) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  has(name: string): boolean {
    const i = this.floor(name);
    return i >= 0 && this.names[i] === name;
  }

  insert(name: string): void {
    const i = this.floor(name);
    if (i >= 0 && this.names[i] === name) return;
    this.names.splice(i + 1, 0, name);
  }

  remove(name: string): void {
    const i = this.floor(name);
    if (i >= 0 && this.names[i] === name) this.names.splice(i, 1);
  }

  /** The owner of the NSEC that matches `name` or covers it (the last name when `name` sorts first). */
  covering(name: string): string | undefined {
    const i = this.floor(name);
    return this.names[i >= 0 ? i : this.names.length - 1];
  }

  /** The name before `name` (which need not be in the chain), wrapping around. */
  previous(name: string): string | undefined {
    const i = this.floor(name);
    const j = i >= 0 && this.names[i] === name ? i - 1 : i;
    return this.names[j >= 0 ? j : this.names.length - 1];
  }

  /** The name after `name` in the chain, the first after the last. */
  next(name: string): string {
    const i = this.floor(name);
    return this.names[(i + 1) % this.names.length]!;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.names[Symbol.iterator]();
  }
}
