import { isIP } from 'node:net';
import { OPCODE, RCODE, TCP_MAX, TYPE } from '../wire/constants';
import { MessageWriter, responseFlags, type WireRR } from '../wire/encode';
import type { Message } from '../wire/validate';
import type { Client } from '../responder';
import type { Zone, ZoneStore } from '../zone/store';

/**
 * A secondary from DNS_SECONDARIES: `ip`, `ip:port`, `[v6]:port` (port 53 by default), optionally preceded by
 * `keyname@`: then its transfers must be signed with that TSIG key, and its NOTIFYs are.
 */
export interface Secondary {
  host: string;
  port: number;
  /** TSIG key name (lowercase), when the secondary uses one */
  key?: string;
}

export function parseSecondary(entry: string): Secondary {
  let s = entry.trim();
  const at = s.indexOf('@');
  const key = at > 0 ? s.slice(0, at).toLowerCase().replace(/\.$/, '') : undefined;
  if (at >= 0) s = s.slice(at + 1);
  const withKey = (x: { host: string; port: number }): Secondary => (key ? { ...x, key } : x);
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (br) return withKey({ host: br[1]!, port: br[2] ? Number(br[2]) : 53 });
  if (isIP(s)) return withKey({ host: s, port: 53 });
  const i = s.lastIndexOf(':');
  return withKey({ host: s.slice(0, i), port: Number(s.slice(i + 1)) });
}

/** `::ffff:1.2.3.4` → `1.2.3.4` */
export function plainAddress(a: string): string {
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** Every RR of a zone in AXFR order: SOA, everything else (RRSIG and NSEC included), SOA (RFC 5936). */
export function zoneRecords(zone: Zone): WireRR[] {
  const soa: WireRR = { name: zone.name, type: TYPE.SOA, ttl: zone.soa.ttl, rdata: zone.soa.rdata };
  const out: WireRR[] = [soa];
  for (const [name, node] of zone.nodes) {
    for (const r of node)
      if (r.type !== TYPE.SOA) out.push({ name, type: r.type, ttl: r.ttl, rdata: r.rdata });
  }
  // a signed zone: every RRSIG and the whole NSEC chain (signing what was not signed yet)
  if (zone.signer) for (const r of zone.signer.signedRecords()) out.push(r);
  out.push(soa);
  return out;
}

/**
 * AXFR (RFC 5936) from the in-memory zone: the record list is taken synchronously (one consistent version,
 * whatever the feed does meanwhile), then encoded lazily into as many TCP messages as needed, the question
 * in the first, so the transport can stream a big zone without stalling other queries. Allowed only for
 * the configured secondaries — from their address, and signed with their TSIG key when they have one —;
 * null otherwise.
 */
export function axfrHandler(secondaries: readonly (Secondary | string)[], opts: { ixfr?: boolean } = {}) {
  /** address → the keys it may transfer with (null: no key needed) */
  const acl = new Map<string, Set<string | null>>();
  for (const entry of secondaries) {
    const s = typeof entry === 'string' ? { host: entry } : entry;
    const a = plainAddress(s.host);
    const keys = acl.get(a) ?? new Set<string | null>();
    keys.add('key' in s && s.key ? s.key : null);
    acl.set(a, keys);
  }
  return (msg: Message, client: Client, store: ZoneStore): Iterable<Buffer> | null => {
    const keys = acl.get(plainAddress(client.address));
    if (!keys || !(keys.has(null) || (client.tsig !== undefined && keys.has(client.tsig)))) return null;
    if (!msg.question) return null;
    // IXFR is answered with the whole zone in AXFR form (RFC 1995 §4 allows it)
    if (msg.question.type !== TYPE.AXFR && msg.question.type !== TYPE.IXFR) return null;
    const zone = store.zones.get(msg.question.lname);
    if (!zone) return null;
    if (msg.question.type === TYPE.IXFR && msg.authoritySoaSerial !== null && opts.ixfr !== false) {
      const incremental = ixfrRecords(zone, msg.authoritySoaSerial);
      if (incremental) return transferMessages(msg, incremental, client.reserve ?? 0);
    }
    return transferMessages(msg, zoneRecords(zone), client.reserve ?? 0);
  };
}

/** The zone's SOA with another serial (the serial is the first of the 20 fixed bytes at the end). */
function soaWithSerial(zone: Zone, serial: number): WireRR {
  const rdata = Buffer.from(zone.soa.rdata);
  rdata.writeUInt32BE(serial >>> 0, rdata.length - 20);
  return { name: zone.name, type: TYPE.SOA, ttl: zone.soa.ttl, rdata };
}

/**
 * IXFR (RFC 1995 §4) from the zone's journal: current SOA, then per step old SOA, deletions, new SOA,
 * additions, and the current SOA again. Up to date: the current SOA alone. Null when the journal does not
 * reach back to the client's serial (the caller then sends the whole zone).
 */
export function ixfrRecords(zone: Zone, clientSerial: number): WireRR[] | null {
  const current = soaWithSerial(zone, zone.serial);
  if (clientSerial === zone.serial) return [current];
  const steps = zone.journal?.since(clientSerial, zone.serial);
  if (!steps) return null;
  const out: WireRR[] = [current];
  // (loops, not push(...): a step may hold more records than a call may take arguments)
  for (const s of steps) {
    out.push(soaWithSerial(zone, s.from));
    for (const r of s.removed) out.push(r);
    out.push(soaWithSerial(zone, s.to));
    for (const r of s.added) out.push(r);
  }
  out.push(current);
  return out;
}

/** `reserve`: bytes kept free in each message for the TSIG record signing adds. */
function* transferMessages(msg: Message, records: WireRR[], reserve: number): Generator<Buffer> {
  const flags = responseFlags(OPCODE.QUERY, true, false, msg.rd, RCODE.NOERROR);
  let i = 0;
  let first = true;
  while (i < records.length) {
    const w = new MessageWriter(TCP_MAX);
    w.limit = TCP_MAX - reserve;
    w.header(msg.id, flags);
    if (first && msg.question) {
      w.question(msg.question);
      w.setCount(0, 1);
    }
    first = false;
    let n = 0;
    while (i < records.length && w.rr(records[i]!)) {
      i++;
      n++;
    }
    if (n === 0) return; // a record that cannot fit even alone: impossible with RDATA < 64 KiB
    w.setCount(1, n);
    yield w.bytes();
  }
}
