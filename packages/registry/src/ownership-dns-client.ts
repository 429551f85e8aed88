import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import net from 'node:net';
import * as packet from 'dns-packet';

/**
 * The one place the ownership check touches the network: a single non-recursive question to one server, over
 * UDP (EDNS, 1232 bytes) with a TCP retry when the reply is truncated. Replies come back as plain `Reply`
 * values (lowercase names, data as text) so the walk in ./ownership-delegation is pure.
 */

export interface ServerAddress {
  host: string;
  port: number;
}

/**
 * One resource record: NS/CNAME targets and A/AAAA addresses as text, TXT strings joined, SOA as its MNAME,
 * DS as `<key tag> <algorithm> <digest type> <HEX digest>`.
 */
export interface Rr {
  name: string;
  type: string;
  data: string;
  /** the record's TTL (s), where the reply gave one */
  ttl?: number;
}

export interface Reply {
  rcode: string;
  /** the server is authoritative for the answer */
  aa: boolean;
  answers: Rr[];
  authorities: Rr[];
  additionals: Rr[];
}

export type Ask = (
  server: ServerAddress,
  name: string,
  type: 'NS' | 'A' | 'AAAA' | 'TXT' | 'DS',
) => Promise<Reply>;

const lower = (n: string) => n.toLowerCase().replace(/\.$/, '');

function toRr(a: packet.Answer): Rr | null {
  switch (a.type) {
    case 'NS':
    case 'CNAME':
    case 'A':
    case 'AAAA':
      return {
        name: lower(a.name),
        type: a.type,
        data: a.type === 'NS' || a.type === 'CNAME' ? lower(a.data) : a.data,
      };
    case 'TXT': {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      return { name: lower(a.name), type: 'TXT', data: parts.map((p) => p.toString()).join('') };
    }
    case 'SOA':
      return { name: lower(a.name), type: 'SOA', data: lower(a.data.mname) };
    case 'DS': {
      const d = a.data as { keyTag: number; algorithm: number; digestType: number; digest: Buffer };
      return {
        name: lower(a.name),
        type: 'DS',
        data: `${d.keyTag} ${d.algorithm} ${d.digestType} ${d.digest.toString('hex').toUpperCase()}`,
        ttl: a.ttl,
      };
    }
    default:
      return null;
  }
}

function toReply(p: packet.Packet & { rcode?: string }): Reply {
  const list = (l: packet.Answer[] | undefined) => (l ?? []).map(toRr).filter((r): r is Rr => r !== null);
  return {
    rcode: p.rcode ?? 'NOERROR',
    aa: ((p.flags ?? 0) & packet.AUTHORITATIVE_ANSWER) !== 0,
    answers: list(p.answers),
    authorities: list(p.authorities),
    additionals: list(p.additionals),
  };
}

function decodeFor(buf: Buffer, id: number, name: string): (packet.Packet & { rcode?: string }) | null {
  let p: packet.Packet & { rcode?: string };
  try {
    p = packet.decode(buf);
  } catch {
    return null;
  }
  const q = p.questions?.[0];
  if (p.type !== 'response' || p.id !== id || !q || lower(q.name) !== lower(name)) return null;
  return p;
}

function udp(server: ServerAddress, query: Buffer, id: number, name: string, timeoutMs: number) {
  return new Promise<packet.Packet & { rcode?: string }>((resolve, reject) => {
    const sock = dgram.createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${server.host}:${server.port}`)),
      timeoutMs,
    );
    const finish = (err: Error | null, p?: packet.Packet & { rcode?: string }) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(p!);
    };
    sock.on('error', (err) => finish(err));
    // a reply that is not for our question (spoofed or stray) is ignored, not taken
    sock.on('message', (msg) => {
      const p = decodeFor(msg, id, name);
      if (p) finish(null, p);
    });
    sock.send(query, server.port, server.host);
  });
}

function tcp(server: ServerAddress, query: Buffer, id: number, name: string, timeoutMs: number) {
  return new Promise<packet.Packet & { rcode?: string }>((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(
      () => finish(new Error(`no reply from ${server.host}:${server.port} (TCP)`)),
      timeoutMs,
    );
    const finish = (err: Error | null, p?: packet.Packet & { rcode?: string }) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(p!);
    };
    sock.on('error', (err) => finish(err));
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > 70_000) return finish(new Error('TCP reply too long'));
      if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
      const p = decodeFor(buf.subarray(2, 2 + buf.readUInt16BE(0)), id, name);
      finish(p ? null : new Error('malformed TCP reply'), p ?? undefined);
    });
  });
}

/** Asks one server one question without recursion (RD=0). Throws when it does not answer in time. */
export function dnsAsker(timeoutMs = 2000): Ask {
  return async (server, name, type) => {
    const id = randomInt(0, 65536);
    const query = packet.encode({
      type: 'query',
      id,
      flags: 0,
      questions: [{ type, name, class: 'IN' }],
      additionals: [
        {
          type: 'OPT',
          name: '.',
          udpPayloadSize: 1232,
          extendedRcode: 0,
          ednsVersion: 0,
          flags: 0,
          flag_do: false,
          options: [],
        },
      ],
    });
    let p = await udp(server, query, id, name, timeoutMs);
    if (((p.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0) p = await tcp(server, query, id, name, timeoutMs);
    return toReply(p);
  };
}

/** Parses `host`, `host:port`, `[v6]:port` or a bare IPv6 address (port 53 unless given). */
export function parseServerAddress(s: string): ServerAddress | null {
  const t = s.trim();
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(t);
  if (v6) return isIP(v6[1]!) === 6 ? { host: v6[1]!, port: Number(v6[2] ?? 53) } : null;
  if (isIP(t) === 6) return { host: t, port: 53 };
  const m = /^([^\s:]+)(?::(\d{1,5}))?$/.exec(t);
  if (!m || isIP(m[1]!) !== 4) return null;
  const port = Number(m[2] ?? 53);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}
