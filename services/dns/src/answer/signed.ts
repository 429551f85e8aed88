import { TYPE } from '../wire/constants';
import type { WireRR } from '../wire/encode';
import type { Zone, ZoneStore } from '../zone/store';
import type { EngineAnswer } from './engine';

/**
 * DNSSEC for an answer the engine gave (the question had the DO bit): every authoritative RRset of a signed
 * zone gets its RRSIGs, and denials their NSEC proofs (RFC 4035 §3.1):
 *
 *   answer RRset                   → + RRSIG; synthesised from a wildcard → RRSIG of `*.<encloser>` under the
 *                                    query name, + the NSEC covering the query name (it does not exist)
 *   NODATA                         → SOA + RRSIG, the name's NSEC (an empty non-terminal: the covering one;
 *                                    a wildcard match: the NSEC covering the name and the wildcard's own)
 *   NXDOMAIN                       → SOA + RRSIG, the NSECs covering the name and `*.<closest encloser>`
 *   referral                       → NS and glue unsigned, + the NSEC of the cut (no DS there)
 *
 * Pure, like the engine: signatures come from each zone's signer, made once and reused.
 */
export function signAnswer(store: ZoneStore, qname: string, res: EngineAnswer): EngineAnswer {
  if (!res.zone) return res;
  const proofs = new Proofs();
  const answer = signSection(store, res.answer, proofs);
  const authority: WireRR[] = [];
  const soa = res.authority[0];
  if (!res.aa && soa?.type === TYPE.NS) {
    // referral: the delegation's NS set is not ours to sign; the cut's NSEC shows it has no DS
    authority.push(...res.authority);
    const z = store.findZone(soa.name);
    if (z?.signer && z.nodes.has(soa.name)) proofs.add(z.signer.nsec(soa.name));
  } else if (soa?.type === TYPE.SOA) {
    const z = store.zones.get(soa.name);
    authority.push(...signSection(store, res.authority, proofs));
    if (z?.signer) deny(z, finalName(res, qname), res.rcode === 3, proofs);
  } else authority.push(...res.authority);
  authority.push(...proofs.records);
  const additional = signSection(store, res.additional, null);
  return { ...res, answer, authority, additional };
}

/** NSEC records to add to the authority section, each owner once. */
class Proofs {
  readonly records: WireRR[] = [];
  private readonly owners = new Set<string>();
  add(rrs: readonly WireRR[]): void {
    const owner = rrs[0]?.name;
    if (owner === undefined || this.owners.has(owner)) return;
    this.owners.add(owner);
    this.records.push(...rrs);
  }
}

/** Each RRset of a section followed by its RRSIGs (wildcard answers also prove the name absent). */
function signSection(store: ZoneStore, section: readonly WireRR[], proofs: Proofs | null): WireRR[] {
  const out: WireRR[] = [];
  for (let i = 0; i < section.length;) {
    const first = section[i]!;
    let j = i + 1;
    while (j < section.length && section[j]!.name === first.name && section[j]!.type === first.type) j++;
    for (let k = i; k < j; k++) out.push(section[k]!);
    i = j;
    const z = store.findZone(first.name);
    const signer = z?.signer;
    if (!z || !signer) continue;
    if (first.type === TYPE.SOA && first.name === z.name) {
      out.push(...signer.rrsigs(z.name, z.name, TYPE.SOA, [z.soa], first.ttl));
      continue;
    }
    const node = z.nodes.get(first.name);
    let source = first.name;
    let records = node?.filter((r) => r.type === first.type);
    if (!records?.length && !z.exists(first.name)) {
      source = `*.${closestEncloser(z, first.name)}`;
      records = z.nodes.get(source)?.filter((r) => r.type === first.type);
      if (records?.length && proofs) proofs.add(signer.covering(first.name));
    }
    if (records?.length) out.push(...signer.rrsigs(first.name, source, first.type, records, first.ttl));
  }
  return out;
}

/** The NSEC proofs of a negative answer for `name` in zone `z`. */
function deny(z: Zone, name: string, nxdomain: boolean, proofs: Proofs): void {
  const signer = z.signer!;
  if (nxdomain) {
    proofs.add(signer.covering(name));
    proofs.add(signer.covering(`*.${closestEncloser(z, name)}`));
  } else if (z.nodes.has(name)) proofs.add(signer.nsec(name));
  else if (z.exists(name)) proofs.add(signer.covering(name));
  else {
    const wildcard = `*.${closestEncloser(z, name)}`;
    proofs.add(signer.covering(name));
    if (z.nodes.has(wildcard)) proofs.add(signer.nsec(wildcard));
  }
}

/** The name a negative answer is about: the question's, or where its CNAME chain ended. */
function finalName(res: EngineAnswer, qname: string): string {
  const last = res.answer[res.answer.length - 1];
  return last?.type === TYPE.CNAME ? wireName(last.rdata) : qname;
}

/** The longest existing ancestor of `name` in the zone (RFC 4592). */
function closestEncloser(z: Zone, name: string): string {
  let n = name;
  while (n !== z.name) {
    n = n.slice(n.indexOf('.') + 1);
    if (z.exists(n)) return n;
  }
  return z.name;
}

/** An uncompressed wire name (our RDATA) in the store's form. */
function wireName(b: Buffer): string {
  const labels: string[] = [];
  for (let p = 0; p < b.length && b[p]! > 0; p += b[p]! + 1)
    labels.push(b.toString('latin1', p + 1, p + 1 + b[p]!));
  return labels.join('.').toLowerCase();
}
