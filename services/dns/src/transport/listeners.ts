import dgram from 'node:dgram';
import net from 'node:net';
import type { Responder } from '../responder';
import { TcpAdmission, type RejectReason } from './admission';
import { answerMisses, type FastPath } from './fast-path';
import { serveTcp, type TcpCloseReason, type TcpPolicy } from './tcp';

export interface ListenOptions {
  /** addresses to bind (IPv4 and/or IPv6); `0.0.0.0` and `::` are wildcards */
  hosts: readonly string[];
  /** hosts skipped (not fatal) when they cannot be bound, e.g. `::` on a machine without IPv6 */
  optionalHosts?: readonly string[];
  /** 0 = pick a free port (the same one for every host and both protocols) */
  port: number;
  /** UDP through the native engine (its threads and sockets) instead of dgram; TCP is unchanged */
  fastPath?: FastPath | null;
  /** a TCP connection must complete a query within this long of connecting or of its previous one; 5 s */
  tcpIdleMs?: number;
  /** a TCP client may leave answers unread (or a transfer undrained) this long; default 5 s */
  tcpIoTimeoutMs?: number;
  /** a TCP connection reads no query after this long and closes once answered; default 120 s */
  tcpMaxLifetimeMs?: number;
  /** reading a TCP connection stops while this many bytes of its answers wait unread; default 128 KiB */
  tcpMaxUnread?: number;
  /** most simultaneous TCP connections; default 512 */
  tcpMaxConnections?: number;
  /** most TCP connections from one address; default 16 */
  tcpMaxPerAddress?: number;
  /** most TCP connections from one IPv4 /24 or IPv6 /56; default 64 */
  tcpMaxPerNetwork?: number;
  /** a TCP connection refused by a cap */
  onTcpRejected?: (reason: RejectReason) => void;
  /** a TCP connection closed by a timeout */
  onTcpClosed?: (reason: TcpCloseReason) => void;
  onError?: (err: Error) => void;
}

export const TCP_DEFAULTS = {
  idleMs: 5_000,
  ioMs: 5_000,
  lifetimeMs: 120_000,
  maxUnread: 128 * 1024,
  maxClients: 512,
  perAddress: 16,
  perNetwork: 64,
} as const;

export interface Listeners {
  port: number;
  close(): Promise<void>;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

function literalLookup(address: string, _opts: unknown, cb: LookupCallback): void {
  cb(null, address, net.isIP(address));
}

const family = (host: string) => (net.isIP(host) === 6 ? 6 : 4);

function bindUdp(
  host: string,
  port: number,
  responder: Responder,
  onError: (e: Error) => void,
): Promise<dgram.Socket> {
  const sock = dgram.createSocket({
    type: family(host) === 6 ? 'udp6' : 'udp4',
    ipv6Only: family(host) === 6,
    // replies go to rinfo.address, always an IP literal: skip the resolver step (a tick per reply)
    lookup: literalLookup,
  });
  sock.on('message', (msg, rinfo) => {
    const out = responder.handle(msg, { address: rinfo.address, transport: 'udp' });
    if (out && Buffer.isBuffer(out)) sock.send(out, rinfo.port, rinfo.address);
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      sock.on('error', onError);
      try {
        sock.setRecvBufferSize(4 * 1024 * 1024);
        sock.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        // capped by the kernel: keep its default
      }
      resolve(sock);
    });
  });
}

interface TcpListener {
  server: net.Server;
  sockets: Set<net.Socket>;
}

function bindTcp(
  host: string,
  port: number,
  responder: Responder,
  opts: ListenOptions,
  admission: TcpAdmission,
): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  const policy: TcpPolicy = {
    idleMs: opts.tcpIdleMs ?? TCP_DEFAULTS.idleMs,
    ioMs: opts.tcpIoTimeoutMs ?? TCP_DEFAULTS.ioMs,
    lifetimeMs: opts.tcpMaxLifetimeMs ?? TCP_DEFAULTS.lifetimeMs,
    maxUnread: opts.tcpMaxUnread ?? TCP_DEFAULTS.maxUnread,
  };
  const server = net.createServer((sock) => {
    const address = sock.remoteAddress;
    const refused = address ? admission.admit(address) : 'max_clients';
    if (refused) {
      opts.onTcpRejected?.(refused);
      sock.on('error', () => undefined);
      sock.destroy();
      return;
    }
    sockets.add(sock);
    sock.on('close', () => {
      sockets.delete(sock);
      admission.release(address!);
    });
    serveTcp(sock, responder, policy, opts.onTcpClosed);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, ipv6Only: family(host) === 6 }, () => {
      server.off('error', reject);
      server.on('error', opts.onError ?? (() => undefined));
      resolve({ server, sockets });
    });
  });
}

/**
 * UDP + TCP on every host, one port. With port 0 the first UDP bind picks it and the rest follow; if that
 * port is taken for another host/protocol, everything is retried on a new one. With the fast path, UDP is
 * bound by the native engine (a fresh one per attempt): what it cannot answer from its cache comes back
 * here in batches, goes through the responder, and the replies go out through the engine.
 */
export async function listen(responder: Responder, opts: ListenOptions): Promise<Listeners> {
  const onError = opts.onError ?? (() => undefined);
  const admission = new TcpAdmission({
    maxClients: opts.tcpMaxConnections ?? TCP_DEFAULTS.maxClients,
    perAddress: opts.tcpMaxPerAddress ?? TCP_DEFAULTS.perAddress,
    perNetwork: opts.tcpMaxPerNetwork ?? TCP_DEFAULTS.perNetwork,
  });
  for (let attempt = 0; ; attempt++) {
    const udp: dgram.Socket[] = [];
    const tcp: TcpListener[] = [];
    const fast = opts.fastPath ?? null;
    const engine = fast?.open((batch) => answerMisses(responder, engine!, batch)) ?? null;
    try {
      let port = opts.port;
      for (const host of opts.hosts) {
        try {
          if (engine) {
            port = engine.bind(host, port, fast!.threads);
          } else {
            const s = await bindUdp(host, port, responder, onError);
            udp.push(s);
            port = s.address().port;
          }
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (opts.optionalHosts?.includes(host) && code !== 'EADDRINUSE') continue;
          throw err;
        }
        tcp.push(await bindTcp(host, port, responder, opts, admission));
      }
      return {
        port,
        async close() {
          fast?.close();
          for (const s of udp) s.close();
          await Promise.all(
            tcp.map(
              (t) =>
                new Promise<void>((r) => {
                  t.server.close(() => r());
                  for (const s of t.sockets) s.destroy();
                }),
            ),
          );
        },
      };
    } catch (err) {
      fast?.close();
      for (const s of udp) s.close();
      for (const t of tcp) t.server.close();
      if (opts.port !== 0 || attempt >= 10) throw err;
    }
  }
}
