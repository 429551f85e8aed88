import { canonicalIPv6, isHostname } from '@ddns/records';
import type { HostResult } from './format';
import { suffixes, targetName, type UpdateRequest } from './parse';
import { applyPrefix, formatPrefix } from './prefix';

/**
 * The pure decision of an update: from the request and the current domains/records, every host's result and
 * the writes that bring the database to the requested state. No I/O; sql.ts hands the writes to the database.
 */

export interface DomainRow {
  id: number;
  name: string;
  zone_id: number;
  ipv6_prefix: string | null;
}

export interface RecordRow {
  id: number;
  zone_id: number;
  domain_id: number | null;
  name: string;
  type: string;
  content: string;
  ipv6_host_part: string | null;
}

export type WriteOp =
  /** make the records of (zone, name, type) without a host part exactly one, with this address */
  | {
      kind: 'address';
      zoneId: number;
      domainId: number;
      name: string;
      type: 'A' | 'AAAA';
      ip: string;
      /** ids of the records there when read (the write function decides from what is there after its lock) */
      existing: number[];
    }
  /** a prefix-based AAAA record gets new content (only while its host part is still `hostPart`) */
  | { kind: 'prefixRecord'; recordId: number; hostPart: string; content: string }
  /** the domain's stored LAN prefix */
  | { kind: 'domainPrefix'; domainId: number; prefix: string };

export interface UpdatePlan {
  results: HostResult[];
  ops: WriteOp[];
  /** the domains the ops touch (locked, in id order, before writing) */
  lockDomainIds: number[];
  /** the first host's domain (for the update log) */
  firstDomainId: number | null;
}

/** Every name a request may touch, for the read: each valid target name and its parent names. */
export function candidateNames(req: UpdateRequest): { targets: string[]; suffixes: string[] } {
  const targets = req.hosts
    .filter((h) => isHostname(h))
    .map((h) => targetName(h, req.praefix))
    .filter((n) => n.length <= 253);
  return { targets: [...new Set(targets)], suffixes: [...new Set(targets.flatMap((t) => suffixes(t)))] };
}

/** Decides an update. `domains` are the principal's domains among the candidate names (already authorised). */
export function planUpdate(
  req: UpdateRequest,
  domains: readonly DomainRow[],
  records: readonly RecordRow[],
): UpdatePlan {
  // local copies: the plan mutates them to see its own earlier decisions (a host named twice)
  const doms = domains.map((d) => ({ ...d }));
  let recs = records.map((r) => ({ ...r }));
  const ops: WriteOp[] = [];
  const lock = new Set<number>();

  const domainFor = (name: string) => {
    let best: (typeof doms)[number] | undefined;
    for (const d of doms)
      if ((name === d.name || name.endsWith(`.${d.name}`)) && (!best || d.name.length > best.name.length))
        best = d;
    return best;
  };

  const setAddress = (dom: DomainRow, name: string, type: 'A' | 'AAAA', ip: string): boolean => {
    const existing = recs.filter(
      (r) => r.zone_id === dom.zone_id && r.name === name && r.type === type && r.ipv6_host_part === null,
    );
    if (existing.length === 1 && existing[0]!.content === ip) return false;
    ops.push({
      kind: 'address',
      zoneId: dom.zone_id,
      domainId: dom.id,
      name,
      type,
      ip,
      existing: existing.map((r) => r.id),
    });
    lock.add(dom.id);
    const keep = existing.find((r) => r.content === ip) ?? existing[0];
    recs = recs.filter((r) => !existing.includes(r) || r === keep);
    if (keep) keep.content = ip;
    else
      recs.push({
        id: -1,
        zone_id: dom.zone_id,
        domain_id: dom.id,
        name,
        type,
        content: ip,
        ipv6_host_part: null,
      });
    return true;
  };

  const prefixDone = new Map<number, boolean>();
  const setPrefix = (dom: DomainRow & { ipv6_prefix: string | null }): boolean => {
    const prefix = req.prefix!;
    const text = formatPrefix(prefix);
    let changed = false;
    if (dom.ipv6_prefix !== text) {
      ops.push({ kind: 'domainPrefix', domainId: dom.id, prefix: text });
      dom.ipv6_prefix = text;
      changed = true;
    }
    for (const r of recs) {
      if (r.domain_id !== dom.id || r.type !== 'AAAA' || r.ipv6_host_part === null || r.id < 0) continue;
      const content = applyPrefix(prefix, r.ipv6_host_part);
      if (!content || content === r.content) continue;
      ops.push({ kind: 'prefixRecord', recordId: r.id, hostPart: r.ipv6_host_part, content });
      r.content = content;
      changed = true;
    }
    if (changed) lock.add(dom.id);
    return changed;
  };

  const results: HostResult[] = [];
  let firstDomainId: number | null = null;
  for (const host of req.hosts) {
    const name = targetName(host, req.praefix);
    if (!isHostname(host) || name.length > 253) {
      results.push({ host, code: 'notfqdn', ips: [] });
      continue;
    }
    const dom = domainFor(name);
    if (!dom) {
      results.push({ host, code: 'nohost', ips: [] });
      continue;
    }
    firstDomainId ??= dom.id;
    const hasCname = recs.some((r) => r.zone_id === dom.zone_id && r.name === name && r.type === 'CNAME');
    if (hasCname && !req.onlyPrefix) {
      results.push({ host, code: 'dnserr', ips: [] });
      continue;
    }
    let changed = false;
    const ips: string[] = [];
    if (req.ipv4) {
      changed = setAddress(dom, name, 'A', req.ipv4) || changed;
      ips.push(req.ipv4);
    }
    if (req.ipv6) {
      const v6 = canonicalIPv6(req.ipv6);
      changed = setAddress(dom, name, 'AAAA', v6) || changed;
      ips.push(v6);
    }
    if (req.prefix) {
      if (!prefixDone.has(dom.id)) prefixDone.set(dom.id, setPrefix(dom));
      changed = prefixDone.get(dom.id)! || changed;
      if (req.onlyPrefix) ips.push(formatPrefix(req.prefix));
    }
    results.push({ host, code: changed ? 'good' : 'nochg', ips });
  }
  return { results, ops, lockDomainIds: [...lock].sort((a, b) => a - b), firstDomainId };
}
