import { clientPrefix } from '../limits/rrl';
import { plainAddress } from '../xfr/axfr';

export interface AdmissionLimits {
  /** simultaneous TCP connections in all (Knot `tcp-max-clients`) */
  maxClients: number;
  /** from one address */
  perAddress: number;
  /** from one IPv4 /24 or IPv6 /56 */
  perNetwork: number;
}

export type RejectReason = 'max_clients' | 'per_address' | 'per_network';

/**
 * Which TCP connections may be held open: a total cap plus caps per address and per network, so one client
 * (or one /24, one /56) cannot take every slot and shut everyone else out. Shared by every TCP listener of
 * a process.
 */
export class TcpAdmission {
  private total = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly byNetwork = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** Takes a slot for `address` and returns null, or the reason it is refused (nothing taken). */
  admit(address: string): RejectReason | null {
    const a = plainAddress(address);
    const n = clientPrefix(a);
    if (this.total >= this.limits.maxClients) return 'max_clients';
    if ((this.byAddress.get(a) ?? 0) >= this.limits.perAddress) return 'per_address';
    if ((this.byNetwork.get(n) ?? 0) >= this.limits.perNetwork) return 'per_network';
    this.total++;
    this.byAddress.set(a, (this.byAddress.get(a) ?? 0) + 1);
    this.byNetwork.set(n, (this.byNetwork.get(n) ?? 0) + 1);
    return null;
  }

  /** Gives back the slot `admit` took. */
  release(address: string): void {
    const a = plainAddress(address);
    const n = clientPrefix(a);
    this.total--;
    dec(this.byAddress, a);
    dec(this.byNetwork, n);
  }

  get connections(): number {
    return this.total;
  }
}

function dec(m: Map<string, number>, k: string): void {
  const v = (m.get(k) ?? 0) - 1;
  if (v > 0) m.set(k, v);
  else m.delete(k);
}
