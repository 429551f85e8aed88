// TEMPORARY: the @ddns/udp-native contract (FASTPATH.md) until the package lands; replaced by its import.
export type LoadResult = { ok: true; native: UdpNative } | { ok: false; reason: string };
export function loadUdpNative(): LoadResult {
  const file = process.env.DDNS_UDP_NATIVE;
  return { ok: false, reason: file ? `cannot load ${file}` : '@ddns/udp-native is not installed' };
}
export interface UdpNative {
  createEngine(opts: EngineOptions): UdpEngine;
}
export interface EngineOptions {
  cacheBytes: number;
  udpMaxPayload: number;
  rrl: { rate: number; burst: number; slip: number; exempt: readonly string[] } | null;
  maxPendingMisses: number;
  onMisses(batch: Miss[]): void;
}
export interface Miss {
  packet: Buffer;
  address: string;
  port: number;
  peer: Buffer;
}
export interface UdpEngine {
  bind(host: string, port: number, threads: number): number;
  send(replies: ReadonlyArray<readonly [peer: Buffer, packet: Buffer]>): void;
  setVersion(version: number): void;
  cacheSet(
    version: number,
    qnameWire: Buffer,
    qtype: number,
    qclass: number,
    dnssecOk: boolean,
    response: Buffer,
    rcode: number,
  ): void;
  rrlCheck(address: string): 0 | 1 | 2;
  stats(): EngineStats;
  close(): void;
}
export interface EngineStats {
  received: number;
  hits: number;
  misses: number;
  missesDropped: number;
  sendErrors: number;
  rrlDropped: number;
  rrlSlipped: number;
  cacheEntries: number;
  cacheBytes: number;
  evictions: number;
  answered: Array<[number, number, number]>;
}
