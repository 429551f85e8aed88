import { nsecRdata, signRRset, TYPE_NSEC, TYPE_RRSIG } from '@ddns/dnssec';
import { TYPE } from '../wire/constants';
import type { WireRR } from '../wire/encode';
import type { StoredRR } from '../zone/records';
import { NsecChain } from './chain';
import type { ZoneKeys } from './keys';

/** What the signer reads of its zone (the Zone class; kept as an interface so the two files do not import each other). */
export interface SignedZoneView {
  readonly name: string;
  readonly nodes: ReadonlyMap<string, readonly StoredRR[]>;
  readonly cuts: ReadonlySet<string>;
  readonly negativeTtl: number;
}

/** Where a signer writes what a secondary must delete and add (the zone's IXFR journal). */
export interface SignatureJournal {
  note(removed: readonly WireRR[], added: readonly WireRR[]): void;
  reset(): void;
}

const HOUR = 3600;
const DAY = 86400;
/** Signature lifetime: inception an hour back (clock skew), expiration 14 days on, plus up to 2 days of jitter. */
export const SIGNATURE_LIFETIME = {
  inceptionSkew: HOUR,
  validity: 14 * DAY,
  jitter: 2 * DAY,
  refreshBefore: 7 * DAY,
};

interface SigEntry {
  /** original TTL of the signed RRset */
  ttl: number;
  /** one RRSIG RDATA per signing key */
  rdatas: Buffer[];
  expiration: number;
  refreshAt: number;
  /** already part of a published serial (a secondary may hold it); false while it belongs to the next step */
  published: boolean;
}

const sigKey = (type: number, name: string) => `${type}|${name}`;

function typesOf(node: readonly StoredRR[] | undefined): Set<number> {
  const s = new Set<number>();
  if (node) for (const r of node) s.add(r.type);
  return s;
}

function sameTypes(a: readonly StoredRR[] | undefined, b: readonly StoredRR[] | undefined): boolean {
  const x = typesOf(a);
  const y = typesOf(b);
  return x.size === y.size && [...x].every((t) => y.has(t));
}

function sameRRset(
  a: readonly StoredRR[] | undefined,
  b: readonly StoredRR[] | undefined,
  type: number,
): boolean {
  const x = a ? a.filter((r) => r.type === type) : [];
  const y = b ? b.filter((r) => r.type === type) : [];
  return x.length === y.length && x.every((r, i) => r.ttl === y[i]!.ttl && r.rdata.equals(y[i]!.rdata));
}

/**
 * The signatures and NSEC chain of one zone. Signatures are made once per RRset and kept (ECDSA signatures
 * are random: answers, AXFR and IXFR must all show the same one), lazily on first use or eagerly when an RRset
 * changes; the chain is built on first use and then kept current name by name.
 *
 * A change (`changed`, from Zone.rebuild) drops at once the signatures of the RRsets that changed and the NSEC
 * records of the name and its neighbour, so no answer pairs new data with an old signature. Publishing a
 * serial (`publish`) signs what changed, re-signs what is due for refresh, and tells the journal exactly which
 * RRSIG/NSEC records left and came.
 */
export class ZoneSigner {
  /** DNSKEY, CDS and CDNSKEY, kept in the apex node by the zone */
  readonly apexRecords: StoredRR[];
  private readonly sigs = new Map<string, SigEntry>();
  private readonly nsecs = new Map<string, { rdata: Buffer; published: boolean }>();
  private chainState: NsecChain | null = null;
  /** where `presign` goes on (a Map iterator sees later insertions and skips deletions) */
  private presignAt: Iterator<[string, readonly StoredRR[]]> | null = null;
  /** sig keys and NSEC owners changed since the last publish */
  private readonly pendingSigs = new Set<string>();
  private readonly pendingNsec = new Set<string>();
  private removed: WireRR[] = [];
  /** refresh hour → sig keys whose refresh falls in it */
  private readonly due = new Map<number, string[]>();

  constructor(
    private readonly zone: SignedZoneView & { journal: SignatureJournal | null },
    readonly keys: ZoneKeys,
    apexTtl: number,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.apexRecords = [
      ...keys.dnskey.map((rdata) => ({ type: TYPE.DNSKEY, ttl: apexTtl, rdata })),
      ...keys.cds.map((rdata) => ({ type: TYPE.CDS, ttl: apexTtl, rdata })),
      ...keys.cdnskey.map((rdata) => ({ type: TYPE.CDNSKEY, ttl: apexTtl, rdata })),
    ];
  }

  // ---- reading (answers, transfers) ----

  /** RRSIG records over `records` (the `type` RRset at `source`), written with owner `owner` and TTL `ttl`. */
  rrsigs(owner: string, source: string, type: number, records: readonly StoredRR[], ttl: number): WireRR[] {
    if (!this.signs(source) && type !== TYPE_NSEC) return [];
    const e = this.entry(source, type, records);
    return e.rdatas.map((rdata) => ({ name: owner, type: TYPE_RRSIG, ttl, rdata }));
  }

  /** The NSEC at `name` (a chain member) with its RRSIGs. */
  nsec(name: string): WireRR[] {
    const rdata = this.nsecRdataOf(name);
    const ttl = this.zone.negativeTtl;
    const rr: WireRR = { name, type: TYPE_NSEC, ttl, rdata };
    return [rr, ...this.rrsigs(name, name, TYPE_NSEC, [{ type: TYPE_NSEC, ttl, rdata }], ttl)];
  }

  /** The NSEC records (and RRSIGs) matching or covering `name`. */
  covering(name: string): WireRR[] {
    const owner = this.chain().covering(name);
    return owner === undefined ? [] : this.nsec(owner);
  }

  /** True when `name` owns authoritative data: in the zone, not at or below a zone cut. */
  signs(name: string): boolean {
    return !this.zone.cuts.has(name) && !this.belowCut(name);
  }

  /** Every RRSIG and NSEC of the zone (AXFR), signing whatever was not signed yet. */
  signedRecords(): WireRR[] {
    const out: WireRR[] = [];
    for (const [name, node] of this.zone.nodes) {
      if (this.belowCut(name)) continue;
      if (this.signs(name)) {
        for (const type of typesOf(node)) {
          const rrs = node.filter((r) => r.type === type);
          out.push(...this.rrsigs(name, name, type, rrs, rrs[0]!.ttl));
        }
      }
      out.push(...this.nsec(name));
    }
    return out;
  }

  /**
   * Signs ahead, a slice at a time (at most `budgetMs`), so a first AXFR finds the zone signed instead of
   * signing it all while the event loop waits. True when every name has been visited.
   */
  presign(budgetMs: number): boolean {
    const deadline = performance.now() + budgetMs;
    this.presignAt ??= this.zone.nodes.entries();
    for (;;) {
      const next = this.presignAt.next();
      if (next.done) return true;
      const [name, node] = next.value;
      if (this.belowCut(name)) continue;
      if (this.signs(name))
        for (const type of typesOf(node)) {
          const rrs = node.filter((r) => r.type === type);
          this.entry(name, type, rrs);
        }
      this.nsec(name);
      if (performance.now() > deadline) return false;
    }
  }

  /** Builds the NSEC chain now (a canonical sort of every name: seconds for 1M names) instead of on first use. */
  buildChain(): void {
    this.chain();
  }

  // ---- changes ----

  /** A node was rebuilt: drop what no longer matches it (the next publish re-signs and journals). */
  changed(
    name: string,
    before: readonly StoredRR[] | undefined,
    after: readonly StoredRR[] | undefined,
  ): void {
    if (name !== this.zone.name && typesOf(before).has(TYPE.NS) !== typesOf(after).has(TYPE.NS)) {
      this.restart(); // a delegation came or went: names below it enter or leave the chain
      return;
    }
    for (const type of new Set([...typesOf(before), ...typesOf(after)])) {
      if (sameRRset(before, after, type)) continue;
      this.dropSig(sigKey(type, name));
      if (after?.some((r) => r.type === type)) this.pendingSigs.add(sigKey(type, name));
    }
    const chain = this.chainState;
    if (!chain) return;
    const was = chain.has(name);
    const member = after !== undefined && after.length > 0 && !this.belowCut(name);
    if (member) chain.insert(name);
    else chain.remove(name);
    if (!sameTypes(before, after) || was !== member) {
      this.dropNsec(name);
      if (member) this.pendingNsec.add(name);
    }
    const prev = was === member ? undefined : chain.previous(name);
    if (prev !== undefined) {
      this.dropNsec(prev);
      this.pendingNsec.add(prev);
    }
  }

  /** A new serial is published: sign what changed, refresh what is due, and journal both. */
  publish(): void {
    const added: WireRR[] = [];
    const take = (rrs: WireRR[], e: { published: boolean }) => {
      if (!e.published) added.push(...rrs);
      e.published = true;
    };
    for (const key of this.pendingSigs) {
      const bar = key.indexOf('|');
      const type = Number(key.slice(0, bar));
      const name = key.slice(bar + 1);
      const rrs = this.zone.nodes.get(name)?.filter((r) => r.type === type);
      if (!rrs?.length || !this.signs(name)) continue;
      const e = this.entry(name, type, rrs);
      take(this.sigRecords(name, e), e);
    }
    this.pendingSigs.clear();
    const chain = this.chainState;
    if (chain) {
      for (const name of this.pendingNsec) {
        if (!chain.has(name)) continue;
        const rrs = this.nsec(name);
        take(rrs.slice(0, 1), this.nsecs.get(name)!);
        take(rrs.slice(1), this.sigs.get(sigKey(TYPE_NSEC, name))!);
      }
    }
    this.pendingNsec.clear();
    this.refreshDue(added);
    const removed = this.removed;
    this.removed = [];
    if (removed.length || added.length) this.zone.journal?.note(removed, added);
  }

  // ---- internals ----

  private chain(): NsecChain {
    if (!this.chainState) {
      const names: string[] = [];
      for (const name of this.zone.nodes.keys()) if (!this.belowCut(name)) names.push(name);
      this.chainState = new NsecChain(names);
    }
    return this.chainState;
  }

  private belowCut(name: string): boolean {
    const cuts = this.zone.cuts;
    if (cuts.size === 0 || name === this.zone.name) return false;
    for (let n = name; ;) {
      const dot = n.indexOf('.');
      if (dot < 0) return false;
      n = n.slice(dot + 1);
      if (n.length <= this.zone.name.length) return false;
      if (cuts.has(n)) return true;
    }
  }

  private nsecRdataOf(name: string): Buffer {
    const have = this.nsecs.get(name);
    if (have) return have.rdata;
    const node = this.zone.nodes.get(name) ?? [];
    const types = this.zone.cuts.has(name)
      ? [TYPE.NS, TYPE_RRSIG, TYPE_NSEC]
      : [...typesOf(node), TYPE_RRSIG, TYPE_NSEC];
    const rdata = nsecRdata(this.chain().next(name), types);
    this.nsecs.set(name, { rdata, published: !this.pendingNsec.has(name) });
    return rdata;
  }

  private entry(name: string, type: number, records: readonly StoredRR[]): SigEntry {
    const key = sigKey(type, name);
    const now = this.clock();
    const have = this.sigs.get(key);
    if (have && have.expiration - now > HOUR) return have;
    // expired without a publish to refresh it: re-sign here; the journal cannot say what secondaries hold now
    if (have) this.zone.journal?.reset();
    const ttl = records[0]!.ttl;
    const jitter = Math.floor(Math.random() * SIGNATURE_LIFETIME.jitter);
    const validity = {
      inception: now - SIGNATURE_LIFETIME.inceptionSkew,
      expiration: now + SIGNATURE_LIFETIME.validity + jitter,
    };
    const rrset = { owner: name, type, ttl, rdatas: records.map((r) => r.rdata) };
    const e: SigEntry = {
      ttl,
      rdatas: this.keys.signing.map((k) => signRRset(rrset, this.zone.name, k, validity)),
      expiration: validity.expiration,
      refreshAt: validity.expiration - SIGNATURE_LIFETIME.refreshBefore,
      published: !this.pendingSigs.has(key) && !(type === TYPE_NSEC && this.pendingNsec.has(name)),
    };
    this.sigs.set(key, e);
    const hour = Math.floor(e.refreshAt / HOUR);
    const bucket = this.due.get(hour);
    if (bucket) bucket.push(key);
    else this.due.set(hour, [key]);
    return e;
  }

  private sigRecords(name: string, e: SigEntry): WireRR[] {
    return e.rdatas.map((rdata) => ({ name, type: TYPE_RRSIG, ttl: e.ttl, rdata }));
  }

  private dropSig(key: string): void {
    const e = this.sigs.get(key);
    if (!e) return;
    this.sigs.delete(key);
    if (e.published) this.removed.push(...this.sigRecords(key.slice(key.indexOf('|') + 1), e));
  }

  private dropNsec(name: string): void {
    const n = this.nsecs.get(name);
    if (!n) return;
    this.nsecs.delete(name);
    if (n.published) this.removed.push({ name, type: TYPE_NSEC, ttl: this.zone.negativeTtl, rdata: n.rdata });
    this.dropSig(sigKey(TYPE_NSEC, name));
  }

  /**
   * When the earliest signature refresh falls (seconds; null when nothing is signed): a publish at or after it
   * re-signs something. The server bumps the zone's serial then, so the refresh also reaches secondaries.
   */
  nextRefresh(): number | null {
    let min: number | null = null;
    for (const hour of this.due.keys()) if (min === null || hour < min) min = hour;
    return min === null ? null : min * HOUR;
  }

  /** Re-signs the signatures whose refresh time has come (spread by the expiration jitter). */
  private refreshDue(added: WireRR[]): void {
    const now = this.clock();
    const hourNow = Math.floor(now / HOUR);
    for (const [hour, keys] of this.due) {
      if (hour > hourNow) continue;
      this.due.delete(hour);
      const later: string[] = [];
      for (const key of keys) {
        const e = this.sigs.get(key);
        if (e && e.refreshAt > now) {
          if (Math.floor(e.refreshAt / HOUR) === hour) later.push(key); // later this hour: keep it queued
          continue;
        }
        if (!e) continue;
        const name = key.slice(key.indexOf('|') + 1);
        const type = Number(key.slice(0, key.indexOf('|')));
        const records =
          type === TYPE_NSEC
            ? [{ type, ttl: e.ttl, rdata: this.nsecs.get(name)?.rdata }]
            : this.zone.nodes.get(name)?.filter((r) => r.type === type);
        this.dropSig(key);
        if (!records?.length || records.some((r) => !r.rdata)) continue;
        this.pendingSigs.add(key);
        const fresh = this.entry(name, type, records as StoredRR[]);
        this.pendingSigs.delete(key);
        fresh.published = true;
        added.push(...this.sigRecords(name, fresh));
      }
      if (later.length) this.due.set(hour, [...(this.due.get(hour) ?? []), ...later]);
    }
  }

  /** Forget every signature and the chain (a delegation changed): secondaries get the next version whole. */
  private restart(): void {
    this.sigs.clear();
    this.nsecs.clear();
    this.due.clear();
    this.pendingSigs.clear();
    this.pendingNsec.clear();
    this.removed = [];
    this.chainState = null;
    this.zone.journal?.reset();
  }
}
