import { CLASS_ANY, CLASS_IN, RCODE, TYPE } from '../wire/constants';
import type { ResponseSections, WireRR } from '../wire/encode';
import type { StoredRR } from '../zone/records';
import { rrset, type NodeRecords, type Zone, type ZoneStore } from '../zone/store';

/**
 * The answer engine: a pure function of the store and the question. No I/O, no clock.
 *
 *   zone = longest zone containing qname          (none: REFUSED, we are never recursive)
 *   below a zone cut?                             → referral: NS in authority, glue in additional, AA off
 *   name owns records                             → the RRset, or CNAME (chased inside our zones), or NODATA
 *   name is an empty non-terminal                 → NODATA
 *   wildcard at the closest encloser (RFC 4592)   → synthesised from `*.<closest encloser>`
 *   otherwise                                     → NXDOMAIN
 * Negative answers carry the SOA in authority with TTL min(SOA TTL, minimum) (RFC 2308).
 * ANY gets one RRset (RFC 8482).
 */

export interface EngineQuestion {
  /** lowercase, no trailing dot */
  lname: string;
  type: number;
  class: number;
}

export interface EngineAnswer extends ResponseSections {
  /** the zone the question fell in (for metrics / cache scoping); null when refused */
  zone: Zone | null;
}

const MAX_CHAIN = 8;
const TYPE_DS = 43;

const rr = (name: string, r: StoredRR, ttl = r.ttl): WireRR => ({ name, type: r.type, ttl, rdata: r.rdata });

function empty(rcode: number, aa: boolean, zone: Zone | null): EngineAnswer {
  return { rcode, aa, answer: [], authority: [], additional: [], zone };
}

export function answer(store: ZoneStore, q: EngineQuestion): EngineAnswer {
  if (q.class !== CLASS_IN && q.class !== CLASS_ANY) return empty(RCODE.REFUSED, false, null);
  if (q.type === TYPE.OPT) return empty(RCODE.FORMERR, false, null);
  let zone = store.findZone(q.lname);
  if (!zone) return empty(RCODE.REFUSED, false, null);
  // zone transfers are served by xfr/ over TCP to allowed secondaries only
  if (q.type === TYPE.AXFR || q.type === TYPE.IXFR) return empty(RCODE.REFUSED, false, zone);

  const res = empty(RCODE.NOERROR, true, zone);
  const answerList: WireRR[] = [];
  const authority: WireRR[] = [];
  const additional: WireRR[] = [];
  res.answer = answerList;
  res.authority = authority;
  res.additional = additional;

  let name = q.lname;
  const seen = new Set<string>([name]);
  for (let step = 0; ; step++) {
    const cut = findCut(zone, name);
    // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): answered from this zone, not referred
    if (cut && !(q.type === TYPE_DS && cut === name)) {
      // a referral is only ours to give for the original name; a CNAME into a delegation stops here
      if (step === 0) {
        res.aa = false;
        const ns = rrset(zone.nodes.get(cut)!, TYPE.NS);
        for (const r of ns) authority.push(rr(cut, r));
        addAddresses(store, ns, additional);
      }
      return res;
    }

    let node: NodeRecords | undefined = zone.nodes.get(name);
    if (!node && !zone.exists(name)) {
      node = wildcard(zone, name);
      if (!node) {
        res.rcode = RCODE.NXDOMAIN;
        authority.push(rr(zone.name, zone.soa, zone.negativeTtl));
        return res;
      }
    }
    if (!node) {
      authority.push(rr(zone.name, zone.soa, zone.negativeTtl)); // empty non-terminal: NODATA
      return res;
    }

    if (q.type === TYPE.ANY) {
      for (const r of rrset(node, node[0]!.type)) answerList.push(rr(name, r));
      return res;
    }
    const hit = rrset(node, q.type);
    if (hit.length) {
      for (const r of hit) answerList.push(rr(name, r));
      if (q.type === TYPE.MX || q.type === TYPE.SRV || q.type === TYPE.NS)
        addAddresses(store, hit, additional);
      return res;
    }
    const cname = q.type === TYPE.CNAME ? [] : rrset(node, TYPE.CNAME);
    if (cname.length) {
      const c = cname[0]!;
      answerList.push(rr(name, c));
      const target = c.target!;
      const next = store.findZone(target);
      if (!next || seen.has(target) || step + 1 >= MAX_CHAIN) return res;
      seen.add(target);
      zone = next;
      name = target;
      continue;
    }
    authority.push(rr(zone.name, zone.soa, zone.negativeTtl)); // NODATA
    return res;
  }
}

/** The highest zone cut at or above `name` (below the apex), if any. */
function findCut(zone: Zone, name: string): string | null {
  if (zone.cuts.size === 0 || name === zone.name) return null;
  const labels = name.slice(0, name.length - zone.name.length - 1).split('.');
  let n = zone.name;
  for (let i = labels.length - 1; i >= 0; i--) {
    n = `${labels[i]}.${n}`;
    if (zone.cuts.has(n)) return n;
  }
  return null;
}

/** RFC 4592: the source of synthesis is `*.` + the closest encloser (the longest existing ancestor). */
function wildcard(zone: Zone, name: string): NodeRecords | undefined {
  let n = name;
  while (n !== zone.name) {
    n = n.slice(n.indexOf('.') + 1);
    if (zone.exists(n)) return zone.nodes.get(`*.${n}`);
  }
  return undefined;
}

/** A/AAAA of in-bailiwick targets (glue for NS, helpful extras for MX/SRV). */
function addAddresses(store: ZoneStore, rrs: readonly StoredRR[], out: WireRR[]): void {
  for (const r of rrs) {
    if (!r.target) continue;
    const z = store.findZone(r.target);
    const node = z?.nodes.get(r.target);
    if (!node) continue;
    for (const a of node) if (a.type === TYPE.A || a.type === TYPE.AAAA) out.push(rr(r.target, a));
  }
}
