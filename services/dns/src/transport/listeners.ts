import dgram from 'node:dgram';
import net from 'node:net';
import { FrameDecoder, frame } from '../wire/framing';
import type { Client, Responder } from '../responder';

export interface ListenOptions {
  /** addresses to bind (IPv4 and/or IPv6); `0.0.0.0` and `::` are wildcards */
  hosts: readonly string[];
  /** hosts skipped (not fatal) when they cannot be bound, e.g. `::` on a machine without IPv6 */
  optionalHosts?: readonly string[];
  /** 0 = pick a free port (the same one for every host and both protocols) */
  port: number;
  /** close a TCP connection idle this long (RFC 7766 §6.2.3); default 10 s */
  tcpIdleMs?: number;
  /** most simultaneous TCP connections; default 512 */
  tcpMaxConnections?: number;
  onError?: (err: Error) => void;
}

export interface Listeners {
  port: number;
  close(): Promise<void>;
}

/** bytes of answers a TCP client may leave unread before it is disconnected (an AXFR fits) */
const MAX_UNREAD = 64 * 1024 * 1024;

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

function serveTcp(sock: net.Socket, responder: Responder, idleMs: number): void {
  const client: Client = { address: sock.remoteAddress ?? '', transport: 'tcp' };
  const decoder = new FrameDecoder();
  sock.setNoDelay(true);
  sock.setTimeout(idleMs, () => sock.destroy());
  sock.on('error', () => sock.destroy());
  // answers leave in query order; a zone transfer in progress holds the queries behind it
  let streaming: Promise<void> | null = null;
  const queue: Buffer[] = [];
  const answer = (msg: Buffer): boolean => {
    const out = responder.handle(msg, client);
    if (!out) return true;
    if (Buffer.isBuffer(out)) {
      sock.write(frame(out));
      // a client that sends but never reads does not get to pile up our memory
      if (sock.writableLength > MAX_UNREAD) sock.destroy();
      return true;
    }
    streaming = stream(sock, out).finally(() => {
      streaming = null;
      drain();
    });
    return false;
  };
  const drain = () => {
    while (!streaming && queue.length && !sock.destroyed) answer(queue.shift()!);
  };
  sock.on('data', (chunk: Buffer) => {
    queue.push(...decoder.push(chunk));
    drain();
  });
}

function writable(sock: net.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.on('drain', done);
    sock.on('close', done);
  });
}

/** Writes a multi-message answer (AXFR), yielding to other work and waiting for the client to read. */
async function stream(sock: net.Socket, messages: Iterable<Buffer>): Promise<void> {
  let n = 0;
  for (const m of messages) {
    if (sock.destroyed) return;
    if (!sock.write(frame(m))) await writable(sock);
    if (++n % 8 === 0) await new Promise<void>((r) => setImmediate(r));
  }
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
): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    serveTcp(sock, responder, opts.tcpIdleMs ?? 10_000);
  });
  server.maxConnections = opts.tcpMaxConnections ?? 512;
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
 * port is taken for another host/protocol, everything is retried on a new one.
 */
export async function listen(responder: Responder, opts: ListenOptions): Promise<Listeners> {
  const onError = opts.onError ?? (() => undefined);
  for (let attempt = 0; ; attempt++) {
    const udp: dgram.Socket[] = [];
    const tcp: TcpListener[] = [];
    try {
      let port = opts.port;
      for (const host of opts.hosts) {
        let s: dgram.Socket;
        try {
          s = await bindUdp(host, port, responder, onError);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (opts.optionalHosts?.includes(host) && code !== 'EADDRINUSE') continue;
          throw err;
        }
        udp.push(s);
        port = s.address().port;
        tcp.push(await bindTcp(host, port, responder, opts));
      }
      return {
        port,
        async close() {
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
      for (const s of udp) s.close();
      for (const t of tcp) t.server.close();
      if (opts.port !== 0 || attempt >= 10) throw err;
    }
  }
}
