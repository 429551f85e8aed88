import { isInZone } from '@ddns/records';
import type { Ask, Reply, ServerAddress } from './ownership-dns-client';

/**
 * Where a domain stands in the public DNS, found by walking down from the start servers (the root servers, or
 * a configured parent) exactly as a resolver would: ask for `<domain> NS` without recursion and follow
 * referrals until a server either delegates the domain itself or answers for it. Never consults our own data.
 */
export type ParentView =
  /** the parent zone delegates the domain to these name servers */
  | {
      kind: 'delegated';
      parent: string;
      nameServers: string[];
      glue: Map<string, string[]>;
      /** the parent's servers that gave the referral (where the zone's DS lives) */
      parentServers: ServerAddress[];
    }
  /** no cut: the domain lives inside a zone these servers answer for (or they serve the domain itself) */
  | { kind: 'served'; zone: string; servers: ServerAddress[] }
  /** the parent says the name does not exist */
  | { kind: 'missing'; parent: string }
  | { kind: 'failed'; reason: string };

export interface WalkOptions {
  /** where the walk starts (root servers by default, see ./ownership-config) */
  start: ServerAddress[];
  ask: Ask;
  /** port of the servers found on the way (53; tests run everything on one address) */
  followPort?: number;
  /** referrals followed at most (a loop guard) */
  maxSteps?: number;
}

type Step =
  | { kind: 'referral'; zone: string; nameServers: string[]; glue: Map<string, string[]> }
  | { kind: 'served'; zone: string }
  | { kind: 'nxdomain'; zone: string }
  | { kind: 'error'; reason: string };

/** Reads one reply to `<name> <type>` from a server believed to serve `cut` (pure). */
export function classifyReply(name: string, reply: Reply, cut: string): Step {
  const soa = reply.authorities.find((r) => r.type === 'SOA');
  if (reply.rcode === 'NXDOMAIN') return { kind: 'nxdomain', zone: soa?.name ?? cut };
  if (reply.rcode !== 'NOERROR') return { kind: 'error', reason: `answered ${reply.rcode}` };
  const refNs = reply.authorities.filter(
    (r) =>
      r.type === 'NS' && isInZone(name, r.name) && (cut === '' || (r.name !== cut && isInZone(r.name, cut))),
  );
  if (!reply.aa && refNs.length) {
    const zone = refNs[0]!.name;
    const nameServers = [...new Set(refNs.filter((r) => r.name === zone).map((r) => r.data))];
    const glue = new Map<string, string[]>();
    for (const r of reply.additionals) {
      if ((r.type === 'A' || r.type === 'AAAA') && nameServers.includes(r.name))
        glue.set(r.name, [...(glue.get(r.name) ?? []), r.data]);
    }
    return { kind: 'referral', zone, nameServers, glue };
  }
  if (reply.aa) return { kind: 'served', zone: soa?.name ?? name };
  return { kind: 'error', reason: 'neither a referral nor an authoritative answer' };
}

/** Asks the servers in turn until one gives a usable reply (a timeout or REFUSED moves on to the next). */
async function askAny(
  servers: ServerAddress[],
  name: string,
  type: 'NS' | 'A' | 'AAAA' | 'TXT',
  cut: string,
  ask: Ask,
): Promise<{ step: Step; reply?: Reply }> {
  let last: Step = { kind: 'error', reason: 'no server to ask' };
  for (const s of servers.slice(0, 6)) {
    try {
      const reply = await ask(s, name, type);
      const step = classifyReply(name, reply, cut);
      if (step.kind !== 'error') return { step, reply };
      last = { kind: 'error', reason: `${s.host}: ${step.reason}` };
    } catch (err) {
      last = { kind: 'error', reason: `${s.host}: ${(err as Error).message}` };
    }
  }
  return { step: last };
}

/** Finds how the parent zone sees `domain`. */
export async function findParentView(domain: string, o: WalkOptions, depth = 0): Promise<ParentView> {
  let servers = o.start;
  let cut = '';
  for (let i = 0; i < (o.maxSteps ?? 12); i++) {
    const { step } = await askAny(servers, domain, 'NS', cut, o.ask);
    switch (step.kind) {
      case 'error':
        return { kind: 'failed', reason: step.reason };
      case 'nxdomain':
        return { kind: 'missing', parent: step.zone };
      case 'served':
        return { kind: 'served', zone: step.zone, servers };
      case 'referral': {
        if (step.zone === domain)
          return {
            kind: 'delegated',
            parent: cut,
            nameServers: step.nameServers,
            glue: step.glue,
            parentServers: servers,
          };
        const next = await addressesOf(step.nameServers, step.glue, o, depth);
        if (!next.length)
          return { kind: 'failed', reason: `no address for the name servers of ${step.zone}` };
        servers = next;
        cut = step.zone;
      }
    }
  }
  return { kind: 'failed', reason: 'too many referrals' };
}

/** Addresses of name servers: the glue, else each host looked up by its own walk (IPv4 first). */
export async function addressesOf(
  hosts: string[],
  glue: Map<string, string[]>,
  o: WalkOptions,
  depth = 0,
): Promise<ServerAddress[]> {
  const port = o.followPort ?? 53;
  const withPort = (ips: string[]) =>
    [...ips]
      .sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')))
      .map((host) => ({ host, port }));
  const glued = hosts.flatMap((h) => glue.get(h) ?? []);
  if (glued.length) return withPort(glued);
  if (depth >= 2) return [];
  for (const h of hosts.slice(0, 3)) {
    const ips = await lookupAddress(h, o, depth + 1);
    if (ips.length) return withPort(ips);
  }
  return [];
}

/** A host's IPv4 addresses, from the servers that serve it (found by a walk of its own). */
async function lookupAddress(host: string, o: WalkOptions, depth: number): Promise<string[]> {
  const view = await findParentView(host, o, depth);
  let servers: ServerAddress[] = [];
  if (view.kind === 'served') servers = view.servers;
  else if (view.kind === 'delegated') servers = await addressesOf(view.nameServers, view.glue, o, depth);
  const out: string[] = [];
  for (const s of servers.slice(0, 3)) {
    try {
      const reply = await o.ask(s, host, 'A');
      for (const r of reply.answers) if (r.type === 'A' && r.name === host) out.push(r.data);
      if (out.length) break;
    } catch {
      // next server
    }
  }
  return out;
}

/** TXT strings at `name`, asked of the servers that serve it (authoritative answers only). */
export async function lookupTxt(name: string, servers: ServerAddress[], ask: Ask): Promise<string[] | null> {
  for (const s of servers.slice(0, 4)) {
    try {
      const reply = await ask(s, name, 'TXT');
      if (reply.rcode === 'NXDOMAIN') return [];
      if (reply.rcode !== 'NOERROR' || !reply.aa) continue;
      return reply.answers.filter((r) => r.type === 'TXT' && r.name === name).map((r) => r.data);
    } catch {
      // next server
    }
  }
  return null;
}
