import { answer } from './answer/engine';
import { signAnswer } from './answer/signed';
import { DEFAULT_CACHE_MB, PacketCache } from './cache';
import type { RrlVerdict } from './limits/rrl';
import type { DnsMetrics } from './metrics/metrics';
import { OPCODE, RCODE, TCP_MAX, TYPE, UDP_CLASSIC, UDP_DEFAULT_PAYLOAD } from './wire/constants';
import { encodeResponse, OPT_LEN, responseFlags, type OptOut } from './wire/encode';
import { ResponseSigner, tsigLength, unsignedError, verifyRequest, type TsigKey } from './wire/tsig';
import { parseMessage, type Message, type Question } from './wire/validate';
import type { ZoneStore } from './zone/store';

export type Transport = 'udp' | 'tcp';

export interface Client {
  address: string;
  transport: Transport;
  /** the TSIG key that signed the request (verified), if any */
  tsig?: string;
  /** bytes to keep free in the reply (for the TSIG record added afterwards) */
  reserve?: number;
}

/** Streams a zone transfer: the messages to send, or null when this client may not transfer. */
export type XfrHandler = (msg: Message, client: Client, store: ZoneStore) => Iterable<Buffer> | null;

/** Response rate limiting as the responder sees it: the JS `RateLimiter`, or the native engine's buckets. */
export interface RrlCheck {
  check(address: string): RrlVerdict;
}

/**
 * Told every answer the responder caches (the native fast path's packet cache: it serves them from then on
 * without calling JavaScript). `version` is the store version the answer was computed from.
 */
export interface CacheSink {
  set(version: number, q: Question, dnssecOk: boolean, response: Buffer, rcode: number): void;
}

export interface ResponderOptions {
  rrl?: RrlCheck | null;
  /** a second packet cache filled alongside ours (the native engine's) */
  cacheSink?: CacheSink | null;
  /** memory budget of the packet cache in bytes; default 128 MiB */
  cacheBytes?: number;
  xfr?: XfrHandler | null;
  metrics?: DnsMetrics | null;
  /** packet cache of encoded answers (default on) */
  cache?: boolean;
  /** the largest UDP reply whatever the requestor's EDNS size (and what our OPT advertises); default 1232 */
  udpMaxPayload?: number;
  /** TSIG keys (DNS_TSIG_KEYS): signed requests are verified and their answers signed */
  tsigKeys?: readonly TsigKey[];
}

/**
 * The query path, top to bottom: validate → refuse what is not a query → EDNS → packet cache → answer
 * engine (+ DNSSEC records when the DO bit asks) → encode (truncate to the client's size) → rate limit (UDP)
 * → bytes out.
 * `handle` never throws for any input and returns null when nothing must be sent; an AXFR (TCP only, to
 * allowed secondaries) yields several messages.
 * With the native UDP fast path (transport/fast-path.ts) this stays the only place that decides answers:
 * every answer cached here is handed to the engine too (`cacheSink`), which re-stamps it for later UDP
 * queries exactly as `restamp()` does, and UDP rate limiting asks the engine's buckets (`rrl`).
 */
export class Responder {
  readonly cache: PacketCache;
  private readonly rrl: RrlCheck | null;
  private readonly sink: CacheSink | null;
  private readonly metrics: DnsMetrics | null;
  private readonly useCache: boolean;
  private readonly xfr: XfrHandler | null;
  private readonly udpMax: number;
  private readonly tsigKeys: ReadonlyMap<string, TsigKey>;

  constructor(
    private readonly store: () => ZoneStore,
    opts: ResponderOptions = {},
  ) {
    this.rrl = opts.rrl ?? null;
    this.sink = opts.cacheSink ?? null;
    this.metrics = opts.metrics ?? null;
    this.useCache = opts.cache ?? true;
    this.xfr = opts.xfr ?? null;
    this.cache = new PacketCache(opts.cacheBytes ?? DEFAULT_CACHE_MB * 1024 * 1024);
    this.udpMax = Math.max(UDP_CLASSIC, opts.udpMaxPayload ?? UDP_DEFAULT_PAYLOAD);
    this.tsigKeys = new Map((opts.tsigKeys ?? []).map((k) => [k.name, k]));
  }

  handle(buf: Buffer, client: Client): Buffer | Iterable<Buffer> | null {
    // 1. validate every byte before trusting any of it
    const parsed = parseMessage(buf);
    if (!parsed.ok) {
      if (parsed.id === null || parsed.flags & 0x8000) return this.dropped('malformed');
      return this.reply(formErr(parsed.id, parsed.flags), client, RCODE.FORMERR, 0);
    }
    const msg = parsed.msg;
    // 2. responses (QR=1) are never answered: no reflection loops
    if (msg.qr) return this.dropped('response');
    // signed (TSIG): verified, answered as if unsigned, then the answer is signed
    if (msg.tsig) return this.signed(buf, msg, client);
    const q = msg.question;
    // 3. only standard queries; NOTIFY to a primary and anything else: NOTIMP
    if (msg.opcode !== OPCODE.QUERY) {
      return this.reply(this.bare(msg, RCODE.NOTIMP), client, RCODE.NOTIMP, q?.type ?? 0);
    }
    if (msg.qdcount !== 1 || !q) return this.reply(this.bare(msg, RCODE.FORMERR), client, RCODE.FORMERR, 0);
    // 4. EDNS: unknown version → BADVERS; otherwise the client's size (512 without EDNS), at most our cap
    const dnssec = msg.edns?.dnssecOk === true;
    const opt: OptOut | null = msg.edns ? { udpSize: this.udpMax, rcode: 0, dnssecOk: dnssec } : null;
    if (msg.edns && msg.edns.version > 0) {
      return this.reply(this.bare(msg, RCODE.BADVERS), client, RCODE.BADVERS, q.type);
    }
    let limit =
      client.transport === 'tcp'
        ? TCP_MAX
        : msg.edns
          ? Math.min(Math.max(msg.edns.udpSize, UDP_CLASSIC), this.udpMax)
          : UDP_CLASSIC;
    if (client.reserve) limit -= client.reserve;
    // 5. packet cache: the encoded answer to this normalised question, re-stamped for this query (on the
    //    native path a UDP hit never gets here: the engine answered it from its copy)
    const store = this.store();
    if (this.useCache && q.plain) {
      const hit = this.cache.get(store.version, q.lname, q.type, q.class, dnssec);
      if (hit && hit.bytes.length + (opt ? OPT_LEN : 0) <= limit) {
        return this.reply(restamp(hit.bytes, msg, opt), client, hit.rcode, q.type);
      }
    }
    // 6. the answer engine (pure), then encoding
    if (q.type === TYPE.AXFR || q.type === TYPE.IXFR) {
      const msgs = client.transport === 'tcp' && this.xfr ? this.xfr(msg, client, store) : null;
      if (msgs) {
        this.metrics?.query(q.type, RCODE.NOERROR, client.transport);
        return msgs;
      }
      return this.reply(this.bare(msg, RCODE.REFUSED), client, RCODE.REFUSED, q.type);
    }
    let sections: ReturnType<typeof answer>;
    let full: Buffer;
    try {
      sections = answer(store, q);
      // DO bit: RRSIGs and NSEC proofs from the zones' signers (made once per RRset, never per query)
      if (dnssec) sections = signAnswer(store, q.lname, sections);
      full = encodeResponse(msg, sections, TCP_MAX, null).bytes;
    } catch {
      // a bug must cost one answer, never the process
      return this.reply(this.bare(msg, RCODE.SERVFAIL), client, RCODE.SERVFAIL, q.type);
    }
    if (this.useCache && q.plain) {
      this.cache.set(store.version, q.lname, q.type, q.class, full, sections.rcode, dnssec);
      this.sink?.set(store.version, q, dnssec, full, sections.rcode);
    }
    if (full.length + (opt ? OPT_LEN : 0) <= limit)
      return this.reply(restamp(full, msg, opt), client, sections.rcode, q.type);
    const fitted = encodeResponse(msg, sections, limit, opt);
    if (fitted.truncated) this.metrics?.truncated(client.transport);
    return this.reply(fitted.bytes, client, sections.rcode, q.type);
  }

  /**
   * A TSIG-signed request (RFC 8945 §5.2): unknown key, bad MAC → NOTAUTH with an unsigned TSIG saying why;
   * clock too far off → NOTAUTH signed (BADTIME). Verified: the request without its TSIG goes through the
   * normal path (the key known to the transfer ACL, room kept for our TSIG) and every message of the answer
   * is signed.
   */
  private signed(buf: Buffer, msg: Message, client: Client): Buffer | Iterable<Buffer> | null {
    const qtype = msg.question?.type ?? 0;
    const v = verifyRequest(buf, msg.tsig!, this.tsigKeys);
    if (!v.ok) {
      if (v.error === 'formerr')
        return this.reply(this.bare(msg, RCODE.FORMERR), client, RCODE.FORMERR, qtype);
      const base = this.bare(msg, RCODE.NOTAUTH);
      let out: Buffer;
      try {
        out = v.request ? new ResponseSigner(v.request, v.error).sign(base) : unsignedError(base, v);
      } catch {
        out = base; // a key or algorithm name we cannot even echo
      }
      return this.reply(out, client, RCODE.NOTAUTH, qtype);
    }
    const req = v.request;
    const inner = this.handle(req.message, {
      address: client.address,
      transport: client.transport,
      tsig: req.key.name,
      reserve: tsigLength(req.key),
    });
    if (!inner) return null;
    const signer = new ResponseSigner(req);
    return Buffer.isBuffer(inner) ? signer.sign(inner) : signAll(inner, signer);
  }

  /** Header + question only (errors, and the RRL slip). */
  private bare(msg: Message, rcode: number): Buffer {
    const opt: OptOut | null = msg.edns ? { udpSize: this.udpMax, rcode } : null;
    const out = encodeResponse(
      { id: msg.id, opcode: msg.opcode, rd: msg.rd, question: msg.qdcount === 1 ? msg.question : null },
      { rcode: rcode & 0xf, aa: false, answer: [], authority: [], additional: [] },
      TCP_MAX,
      opt,
    ).bytes;
    return out;
  }

  /** Last step: rate limiting (UDP only) and counting. */
  private reply(out: Buffer, client: Client, rcode: number, qtype: number): Buffer | null {
    if (this.rrl && client.transport === 'udp') {
      const v = this.rrl.check(client.address);
      if (v === 'drop') return this.dropped('rrl');
      if (v === 'slip') {
        this.metrics?.query(qtype, rcode, client.transport);
        return slipped(out);
      }
    }
    this.metrics?.query(qtype, rcode, client.transport);
    return out;
  }

  private dropped(reason: 'malformed' | 'response' | 'rrl'): null {
    this.metrics?.drop(reason);
    return null;
  }
}

function* signAll(messages: Iterable<Buffer>, signer: ResponseSigner): Generator<Buffer> {
  for (const m of messages) yield signer.sign(m);
}

/** A FORMERR for a packet we could not parse: header only, id and opcode echoed. */
function formErr(id: number, flags: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(
    responseFlags((flags >> 11) & 0xf, false, false, (flags & 0x100) !== 0, RCODE.FORMERR),
    2,
  );
  return out;
}

/** A cached/complete response re-stamped for this query: its id, its RD bit, its question bytes (case), OPT. */
function restamp(full: Buffer, msg: Message, opt: OptOut | null): Buffer {
  const out = Buffer.allocUnsafe(full.length + (opt ? OPT_LEN : 0));
  full.copy(out);
  out.writeUInt16BE(msg.id, 0);
  out[2] = (out[2]! & 0xfe) | (msg.rd ? 1 : 0);
  msg.question!.wire.copy(out, 12);
  if (opt) {
    const p = full.length;
    out[p] = 0;
    out.writeUInt16BE(TYPE.OPT, p + 1);
    out.writeUInt16BE(opt.udpSize, p + 3);
    out.writeUInt32BE(opt.dnssecOk ? 0x8000 : 0, p + 5);
    out.writeUInt16BE(0, p + 9);
    out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  }
  return out;
}

/** The RRL slip: same header and question, TC set, no records (the client retries over TCP). */
function slipped(out: Buffer): Buffer {
  const q = out.readUInt16BE(4);
  let end = 12;
  if (q === 1) {
    while (out[end] !== 0 && end < out.length) end += out[end]! + 1;
    end += 5;
  }
  const s = Buffer.from(out.subarray(0, end));
  s.writeUInt16BE(s.readUInt16BE(2) | 0x200, 2);
  s.writeUInt32BE(0, 6);
  s.writeUInt16BE(0, 10);
  return s;
}
