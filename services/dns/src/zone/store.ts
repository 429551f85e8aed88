import { isIP } from 'node:net';
import { TYPE } from '../wire/constants';
import { encodeA, encodeAAAA, encodeSoa } from '../wire/rdata';
import type { ZoneSigner } from '../dnssec/signer';
import type { Journal } from './journal';
import type { StoredRR } from './records';

/** A gateway name's addressing (domains.mode 0/1); plain domains (mode null) are not kept. */
export interface Gateway {
  mode: 0 | 1;
  ip4: string | null;
  ip6: string | null;
}

/** Where mode-0 (tunnelled) gateways point. */
export interface TunnelConfig {
  ipv4?: string | undefined;
  ipv6?: string | undefined;
}

/** TTL of the addresses synthesised for gateway names (they move). */
export const GATEWAY_TTL = 60;

export interface ZoneRow {
  id: number;
  name: string;
  serial: string;
  primary_ns: string;
  hostmaster: string;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
  ttl: number;
  /** zones.dnssec: signing switched on (the default) */
  dnssec?: boolean;
}

/** How zones are signed: SECRETS_KEY decrypts their keys; the clock (seconds) is for tests. */
export interface SigningConfig {
  secretsKey: string;
  clock?: () => number;
}

/**
 * Everything one owner name holds, RRsets in a row (a name rarely has more than a few records, and a flat
 * array costs far less memory than a map per name: this is what keeps 1M names under 1 GiB).
 */
export type NodeRecords = readonly StoredRR[];

/** The records of one type at a node (empty when none). */
export function rrset(node: NodeRecords, type: number): StoredRR[] {
  return node.filter((r) => r.type === type);
}

const stripDot = (s: string) => (s.endsWith('.') ? s.slice(0, -1) : s).toLowerCase();

/** One zone in memory: its SOA, and every owner name with its RRsets. */
export class Zone {
  readonly id: number;
  readonly name: string;
  serial = 0;
  soa!: StoredRR;
  /** negative-caching TTL: min(SOA TTL, SOA minimum) (RFC 2308 §5) */
  negativeTtl = 60;
  /** owner name -> its records (the merged view answers come from) */
  readonly nodes = new Map<string, NodeRecords>();
  /** names below the apex that carry NS: zone cuts (delegations) */
  readonly cuts = new Set<string>();
  /** how many nodes sit strictly below each name (a name with descendants exists: empty non-terminal) */
  private readonly below = new Map<string, number>();
  /** rows from the records table, per owner name */
  readonly rows = new Map<string, StoredRR[]>();
  readonly gateways = new Map<string, Gateway>();
  /** recent changes for IXFR; null while the zone is being filled (the initial load is not a change) */
  journal: Journal | null = null;
  /** signatures and NSEC chain when the zone is signed (dnssec on and an active key), else null */
  signer: ZoneSigner | null = null;
  /** DNSKEY, CDS, CDNSKEY: kept in the apex node like the SOA */
  private apexExtra: readonly StoredRR[] = [];

  constructor(
    row: ZoneRow,
    private readonly tunnel: TunnelConfig = {},
  ) {
    this.id = row.id;
    this.name = row.name;
    this.setSoa(row);
  }

  setSoa(row: ZoneRow): void {
    const previous = this.serial;
    this.serial = Number(BigInt(row.serial) % 4294967296n);
    this.soa = {
      type: TYPE.SOA,
      ttl: row.ttl,
      rdata: encodeSoa({
        mname: stripDot(row.primary_ns),
        rname: stripDot(row.hostmaster),
        serial: this.serial,
        refresh: row.refresh,
        retry: row.retry,
        expire: row.expire,
        minimum: row.minimum,
      }),
    };
    this.negativeTtl = Math.min(row.ttl, row.minimum);
    this.rebuild(this.name);
    if (previous === this.serial) return;
    this.signer?.publish();
    this.journal?.commit(previous, this.serial);
  }

  /** Signs the zone from now on: DNSKEY, CDS and CDNSKEY join the apex, answers and transfers carry RRSIGs. */
  attachSigner(signer: ZoneSigner): void {
    this.apexExtra = signer.apexRecords;
    this.rebuild(this.name);
    this.signer = signer;
  }

  /** The name exists in the DNS sense: it owns records, or something below it does, or it is the apex. */
  exists(name: string): boolean {
    return name === this.name || this.nodes.has(name) || this.below.has(name);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Recompute the answers for one owner name from its rows and gateway state. */
  rebuild(name: string): void {
    let list = this.rows.get(name) ?? [];
    // the SOA lives in the apex node like any RRset (so the apex always exists and AXFR finds it)
    if (name === this.name && this.soa)
      list = [this.soa, ...list.filter((r) => r.type !== TYPE.SOA), ...this.apexExtra];
    const gw = this.gateways.size ? this.gatewayFor(name) : undefined;
    if (gw && !list.some((r) => r.type === TYPE.CNAME)) {
      const synth = gatewayAddresses(gw, this.tunnel);
      if (synth.length) {
        const types = new Set(synth.map((r) => r.type));
        list = list.filter((r) => !types.has(r.type)).concat(synth);
      }
    }
    const before = this.nodes.get(name);
    this.journal?.record(name, before ?? [], list);
    if (list.length === 0) {
      if (before) {
        this.nodes.delete(name);
        this.cuts.delete(name);
        this.adjustAncestors(name, -1);
        this.signer?.changed(name, before, undefined);
      }
      return;
    }
    this.nodes.set(name, list);
    if (name !== this.name && hasNs(list)) this.cuts.add(name);
    else if (this.cuts.size) this.cuts.delete(name);
    if (!before) this.adjustAncestors(name, 1);
    this.signer?.changed(name, before, list);
  }

  private gatewayFor(name: string): Gateway | undefined {
    return this.gateways.get(name) ?? (name.startsWith('*.') ? this.gateways.get(name.slice(2)) : undefined);
  }

  private adjustAncestors(name: string, delta: number): void {
    if (name === this.name) return;
    let n = name;
    for (;;) {
      const dot = n.indexOf('.');
      if (dot < 0) return;
      n = n.slice(dot + 1);
      if (n.length < this.name.length) return;
      const c = (this.below.get(n) ?? 0) + delta;
      if (c <= 0) this.below.delete(n);
      else this.below.set(n, c);
      if (n === this.name) return;
    }
  }
}

/** The node delegates (a plain loop: run for every name of a zone while loading). */
function hasNs(list: NodeRecords): boolean {
  for (const r of list) if (r.type === TYPE.NS) return true;
  return false;
}

/**
 * A gateway's addresses: mode 1 (direct) its last ping addresses; mode 0 (tunnelled) the tunnel's
 * (`TUNNEL_IPV4/6`). Stock gateways never send `mode`, so on a deployment without any tunnel configured (the
 * default) a tunnelled gateway is answered like a direct one, with its last ping addresses: otherwise its
 * name would have no address at all.
 */
function gatewayAddresses(gw: Gateway, tunnel: TunnelConfig): StoredRR[] {
  const tunnelled = gw.mode === 0 && Boolean(tunnel.ipv4 || tunnel.ipv6);
  const v4 = tunnelled ? tunnel.ipv4 : gw.ip4;
  const v6 = tunnelled ? tunnel.ipv6 : gw.ip6;
  const out: StoredRR[] = [];
  if (v4 && isIP(v4) === 4) out.push({ type: TYPE.A, ttl: GATEWAY_TTL, rdata: encodeA(v4) });
  if (v6 && isIP(v6) === 6) out.push({ type: TYPE.AAAA, ttl: GATEWAY_TTL, rdata: encodeAAAA(v6) });
  return out;
}

/** Every zone we are authoritative for. Mutated only by the loader and the feed applier. */
export class ZoneStore {
  readonly zones = new Map<string, Zone>();
  readonly byId = new Map<number, Zone>();
  private current = 0;
  private readonly versionListeners: ((version: number) => void)[] = [];

  constructor(
    readonly tunnel: TunnelConfig = {},
    /** null: zones are served unsigned (no SECRETS_KEY) */
    readonly signing: SigningConfig | null = null,
  ) {}

  /** Bumped on every change: packet caches key on it (a cached answer of another version is a miss). */
  get version(): number {
    return this.current;
  }

  /**
   * The data changed: a new version, told at once (synchronously) to every listener — the native packet
   * cache must stop serving the old answers before the next query is answered.
   */
  bumpVersion(): void {
    this.current++;
    for (const l of this.versionListeners) l(this.current);
  }

  /** Calls `listener` with the version now, then with each new one. */
  onVersion(listener: (version: number) => void): void {
    this.versionListeners.push(listener);
    listener(this.current);
  }

  /** The zone that contains `lname` (longest match), if any. */
  findZone(lname: string): Zone | undefined {
    let n = lname;
    for (;;) {
      const z = this.zones.get(n);
      if (z) return z;
      const dot = n.indexOf('.');
      if (dot < 0) return undefined;
      n = n.slice(dot + 1);
    }
  }

  add(zone: Zone): void {
    this.remove(zone.id);
    this.zones.set(zone.name, zone);
    this.byId.set(zone.id, zone);
    this.bumpVersion();
  }

  remove(id: number): void {
    const z = this.byId.get(id);
    if (!z) return;
    this.byId.delete(id);
    if (this.zones.get(z.name) === z) this.zones.delete(z.name);
    this.bumpVersion();
  }

  /**
   * Serves `fresh` (a whole new load) instead of every zone held now, in one synchronous step, then bumps the
   * version once (packet caches drop the old answers). A zone whose serial is unchanged keeps its IXFR
   * journal; one whose serial moved starts a new journal (secondaries behind it get the whole zone) and is
   * returned with the new zones (NOTIFY targets): the reload is published as one full change.
   */
  replaceAll(fresh: ZoneStore): Zone[] {
    const changed: Zone[] = [];
    for (const z of fresh.zones.values()) {
      const old = this.byId.get(z.id);
      if (old && old.name === z.name && old.serial === z.serial) z.journal = old.journal;
      else changed.push(z);
    }
    this.zones.clear();
    this.byId.clear();
    for (const z of fresh.zones.values()) {
      this.zones.set(z.name, z);
      this.byId.set(z.id, z);
    }
    this.bumpVersion();
    return changed;
  }

  /** total owner names in memory */
  get size(): number {
    let n = 0;
    for (const z of this.zones.values()) n += z.size;
    return n;
  }
}
