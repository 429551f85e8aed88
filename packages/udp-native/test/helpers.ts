import dgram from 'node:dgram';
import { once } from 'node:events';
import { loadUdpNative, type EngineOptions, type Miss, type UdpEngine, type UdpNative } from '../src';

/** The addon, or a test failure saying why it did not load (it is built by `pnpm install`). */
export function native(): UdpNative {
  const r = loadUdpNative();
  if (!r.ok) throw new Error(`udp-native not loaded: ${r.reason}`);
  return r.native;
}

/** An engine on 127.0.0.1 (free port) whose misses are collected and, unless told otherwise, left unanswered. */
export function startEngine(
  opts: Partial<EngineOptions> = {},
  threads = 1,
): { engine: UdpEngine; port: number; misses: Miss[] } {
  const misses: Miss[] = [];
  const engine = native().createEngine({
    cacheBytes: 1 << 20,
    udpMaxPayload: 1232,
    rrl: null,
    maxPendingMisses: 10_000,
    onMisses: (batch) => misses.push(...batch),
    ...opts,
  });
  const port = engine.bind('127.0.0.1', 0, threads);
  return { engine, port, misses };
}

export interface Client {
  socket: dgram.Socket;
  port: number;
  /** sends and waits for one reply (null after `ms`) */
  ask(port: number, packet: Buffer, ms?: number): Promise<Buffer | null>;
  close(): void;
}

export async function client(): Promise<Client> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const queue: Buffer[] = [];
  let waiter: ((b: Buffer) => void) | null = null;
  socket.on('message', (m) => {
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(m);
    } else queue.push(m);
  });
  return {
    socket,
    port: socket.address().port,
    ask(port, packet, ms = 500) {
      queue.length = 0;
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiter = null;
          resolve(null);
        }, ms);
        waiter = (b) => {
          clearTimeout(t);
          resolve(b);
        };
        socket.send(packet, port, '127.0.0.1');
      });
    },
    close: () => socket.close(),
  };
}

export function nameWire(name: string): Buffer {
  const parts = name.split('.').filter((l) => l.length > 0);
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ]);
}

export interface QueryOpts {
  id?: number;
  type?: number;
  klass?: number;
  rd?: boolean;
  edns?: { udpSize: number; dnssecOk?: boolean; version?: number; options?: Buffer } | null;
}

/** A query as a stub resolver sends it. */
export function query(name: string, o: QueryOpts = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(o.id ?? 0x1234, 0);
  h.writeUInt16BE(o.rd === false ? 0 : 0x0100, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(o.edns ? 1 : 0, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(o.type ?? 1, 0);
  q.writeUInt16BE(o.klass ?? 1, 2);
  const parts = [h, nameWire(name), q];
  if (o.edns) parts.push(opt(o.edns.udpSize, o.edns.dnssecOk ?? false, o.edns.version ?? 0, o.edns.options));
  return Buffer.concat(parts);
}

export function opt(
  udpSize: number,
  dnssecOk: boolean,
  version = 0,
  options: Buffer = Buffer.alloc(0),
): Buffer {
  const r = Buffer.alloc(11);
  r[0] = 0;
  r.writeUInt16BE(41, 1);
  r.writeUInt16BE(udpSize, 3);
  r[6] = version;
  r[7] = dnssecOk ? 0x80 : 0;
  r.writeUInt16BE(options.length, 9);
  return Buffer.concat([r, options]);
}

/** A complete response (no OPT) as the responder caches it: AA, one A record per address, padded by `pad` TXT bytes. */
export function response(
  name: string,
  o: { type?: number; rcode?: number; answers?: number; pad?: number } = {},
): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0xbeef, 0);
  h.writeUInt16BE(0x8400 | 0x0100 | (o.rcode ?? 0), 2);
  h.writeUInt16BE(1, 4);
  const n = o.answers ?? 1;
  h.writeUInt16BE(n + (o.pad ? 1 : 0), 6);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(o.type ?? 1, 0);
  q.writeUInt16BE(1, 2);
  const records: Buffer[] = [];
  for (let i = 0; i < n; i++)
    records.push(Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, i & 0xff]));
  if (o.pad) {
    const txt = Buffer.alloc(12 + o.pad);
    txt.set([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60], 0);
    txt.writeUInt16BE(o.pad + 1, 10);
    txt[12] = Math.min(255, o.pad);
    records.push(Buffer.concat([txt, Buffer.alloc(1)]));
  }
  return Buffer.concat([h, nameWire(name.toLowerCase()), q, ...records]);
}

/** services/dns/src/responder.ts restamp(), restated: what a cache hit must look like on the wire. */
export function restamped(
  cached: Buffer,
  q: Buffer,
  edns: { dnssecOk: boolean } | null,
  udpMax = 1232,
): Buffer {
  const out = Buffer.alloc(cached.length + (edns ? 11 : 0));
  cached.copy(out);
  out.writeUInt16BE(q.readUInt16BE(0), 0);
  out[2] = (out[2]! & 0xfe) | (q[2]! & 1);
  let end = 12;
  while (q[end] !== 0) end += q[end]! + 1;
  q.copy(out, 12, 12, end + 1);
  if (edns) {
    const p = cached.length;
    out[p] = 0;
    out.writeUInt16BE(41, p + 1);
    out.writeUInt16BE(udpMax, p + 3);
    out.writeUInt32BE(edns.dnssecOk ? 0x8000 : 0, p + 5);
    out.writeUInt16BE(0, p + 9);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds (polling), failing after `ms`. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(1);
  }
}
