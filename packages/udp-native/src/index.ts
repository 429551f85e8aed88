import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * @ddns/udp-native: the native UDP fast path of the DNS service (issue #16). A Node addon whose socket threads
 * answer packet-cache hits without entering JavaScript; everything else reaches `onMisses` and is answered by
 * the TypeScript responder, which alone fills the cache (cacheSet) and says which store version is served
 * (setVersion). The contract is /work/wt/FASTPATH.md; the behaviour is described in this package's README.
 */

export type LoadResult = { ok: true; native: UdpNative } | { ok: false; reason: string };

export interface UdpNative {
  createEngine(opts: EngineOptions): UdpEngine;
}

export interface EngineOptions {
  /** memory budget of the packet cache in bytes (keys + answers + per-entry overhead); CLOCK eviction, never a flush */
  cacheBytes: number;
  /** the largest UDP reply (DNS_UDP_MAX_PAYLOAD, default 1232); the OPT record of a cached reply advertises it */
  udpMaxPayload: number;
  /** response rate limiting on every UDP reply (hits and JS replies): null = off */
  rrl: { rate: number; burst: number; slip: number; exempt: readonly string[] } | null;
  /** at most this many packets wait for JavaScript; beyond, misses are dropped and counted (missesDropped) */
  maxPendingMisses: number;
  /** runs on the JS thread with packets the native side did not answer (a batch per recvmmsg round or so) */
  onMisses(batch: Miss[]): void;
}

export interface Miss {
  /** the datagram as received (a copy JS owns) */
  packet: Buffer;
  /** source IP literal as Node prints it (IPv4 "1.2.3.4"; on a "::" socket "::ffff:1.2.3.4") */
  address: string;
  port: number;
  /** opaque: which socket + sockaddr; pass back to send() */
  peer: Buffer;
}

export interface UdpEngine {
  /** binds `threads` sockets (SO_REUSEPORT when > 1) on host:port (0 = pick a free port, all threads share it),
   *  IPV6_V6ONLY for IPv6 hosts, 4 MiB buffers; one native thread per socket (blocking recvmmsg + sendmmsg);
   *  the group steers each datagram to the socket of the CPU that received it.
   *  Returns the port. Throws an Error whose `code` is the errno name (EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT...). */
  bind(host: string, port: number, threads: number): number;
  /** JS replies (after RRL decided in JS via rrlCheck): sent at once, sendmmsg when several; EAGAIN = dropped+counted */
  send(replies: ReadonlyArray<readonly [peer: Buffer, packet: Buffer]>): void;
  /** the store version now served; cache entries of another version are misses (and evicted first) */
  setVersion(version: number): void;
  /** stores the complete encoded response (no OPT) to a question; question = qname wire (uncompressed, any case),
   *  type and class as in the query. Ignored when version is not the current one. */
  cacheSet(
    version: number,
    qnameWire: Buffer,
    qtype: number,
    qclass: number,
    dnssecOk: boolean,
    response: Buffer,
    rcode: number,
  ): void;
  /** the same RRL buckets the native hits use: 0 send, 1 slip, 2 drop (not counted in stats: the caller counts) */
  rrlCheck(address: string): 0 | 1 | 2;
  stats(): EngineStats;
  /** stops the threads (woken by shutdown() on their sockets), joins them, closes the sockets, releases the threadsafe function.
   *  The engine never keeps the process alive by itself (unref'd threadsafe function). Idempotent. */
  close(): void;
}

export interface EngineStats {
  /** datagrams read by the socket threads */
  received: number;
  /** answered (or rate-limited) from the native cache */
  hits: number;
  /** handed to JavaScript (or dropped: missesDropped counts those too) */
  misses: number;
  missesDropped: number;
  /** native and send() replies the kernel refused (EAGAIN: socket buffer full), and send() peers not understood */
  sendErrors: number;
  /** native hits dropped / slipped by RRL (JS replies limited through rrlCheck are counted by the caller) */
  rrlDropped: number;
  rrlSlipped: number;
  cacheEntries: number;
  cacheBytes: number;
  evictions: number;
  /** cumulative native answers by question type and rcode: [qtype, rcode, count][] */
  answered: Array<[number, number, number]>;
}

interface Binding {
  UdpEngine: new (opts: EngineOptions) => UdpEngine;
}

/** Where the binary may be, in order (see loadUdpNative). */
function candidates(): string[] {
  return [
    path.join(__dirname, 'udp_native.node'),
    path.join(__dirname, '..', 'build', 'Release', 'udp_native.node'),
  ];
}

/**
 * Never throws. Looks for the binary at: process.env.DDNS_UDP_NATIVE (explicit file; "off" = report
 * unavailable), path.join(__dirname, 'udp_native.node') (next to a bundle), then the package's
 * build/Release/udp_native.node.
 */
export function loadUdpNative(): LoadResult {
  const explicit = process.env.DDNS_UDP_NATIVE;
  if (explicit === 'off') return { ok: false, reason: 'DDNS_UDP_NATIVE=off' };
  const file = explicit || candidates().find((f) => existsSync(f));
  if (!file) return { ok: false, reason: 'udp_native.node was not built (no compiler at install?)' };
  try {
    // a native addon cannot be imported statically: it may not exist (dlopen is what require does for .node)
    const mod = { exports: {} as Partial<Binding> };
    process.dlopen(mod, file);
    const Engine = mod.exports.UdpEngine;
    if (typeof Engine !== 'function') return { ok: false, reason: `${file} is not the udp-native addon` };
    return { ok: true, native: { createEngine: (opts) => new Engine(opts) } };
  } catch (err) {
    return { ok: false, reason: `cannot load ${file}: ${err instanceof Error ? err.message : String(err)}` };
  }
}
