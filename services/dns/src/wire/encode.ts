import { HEADER_LEN, TYPE } from './constants';
import type { Message } from './validate';

/** One resource record ready to write: RDATA is pre-encoded (see rdata.ts). */
export interface WireRR {
  /** lowercase owner name without trailing dot */
  name: string;
  type: number;
  ttl: number;
  rdata: Buffer;
}

export interface ResponseSections {
  rcode: number;
  aa: boolean;
  answer: readonly WireRR[];
  authority: readonly WireRR[];
  additional: readonly WireRR[];
}

export interface OptOut {
  /** what we advertise */
  udpSize: number;
  /** full (extended) rcode; its upper bits go in the OPT TTL */
  rcode: number;
  /** the DO bit, echoed to a query that set it (RFC 3225) */
  dnssecOk?: boolean;
}

const SCRATCH = Buffer.alloc(65535);

/**
 * Writes a DNS message into a fixed buffer with name compression for owner names. A record that would pass
 * `limit` is not written (rolled back); the caller decides what that means (TC, or a new AXFR message).
 */
export class MessageWriter {
  readonly buf: Buffer;
  len = 0;
  private readonly comp = new Map<string, number>();
  /** records are only written below this offset (may be lowered to reserve room, e.g. for OPT) */
  limit: number;
  /**
   * Writers share one 64 KiB scratch buffer: encoding is synchronous and `bytes()` copies the result out,
   * so a query never allocates a message-sized buffer.
   */
  constructor(capacity: number) {
    this.buf = SCRATCH.subarray(0, Math.min(capacity, SCRATCH.length));
    this.limit = this.buf.length;
  }

  header(id: number, flags: number): void {
    this.buf.writeUInt16BE(id, 0);
    this.buf.writeUInt16BE(flags, 2);
    this.buf.fill(0, 4, HEADER_LEN);
    this.len = HEADER_LEN;
  }

  setCount(section: 0 | 1 | 2 | 3, n: number): void {
    this.buf.writeUInt16BE(n, 4 + section * 2);
  }

  setFlags(flags: number): void {
    this.buf.writeUInt16BE(flags, 2);
  }

  /** The question, echoed as sent; its lowercase form becomes a compression target. */
  question(q: { wire: Buffer; lname: string; type: number; class: number }): void {
    const at = this.len;
    q.wire.copy(this.buf, at);
    this.len += q.wire.length;
    this.buf.writeUInt16BE(q.type, this.len);
    this.buf.writeUInt16BE(q.class, this.len + 2);
    this.len += 4;
    if (q.lname === '') return; // (escaped labels hold no literal dot, so splitting on '.' is safe)
    let off = at;
    let name = q.lname;
    for (;;) {
      this.comp.set(name, off);
      const dot = name.indexOf('.');
      if (dot < 0) break;
      off += q.wire[off - at]! + 1;
      name = name.slice(dot + 1);
    }
  }

  private name(name: string): boolean {
    let rest = name;
    const added: string[] = [];
    for (;;) {
      if (rest === '') {
        if (this.len + 1 > this.limit) return this.undo(added);
        this.buf[this.len++] = 0;
        return true;
      }
      const ptr = this.comp.get(rest);
      if (ptr !== undefined) {
        if (this.len + 2 > this.limit) return this.undo(added);
        this.buf.writeUInt16BE(0xc000 | ptr, this.len);
        this.len += 2;
        return true;
      }
      if (this.len < 0x4000) {
        this.comp.set(rest, this.len);
        added.push(rest);
      }
      const dot = rest.indexOf('.');
      const label = dot < 0 ? rest : rest.slice(0, dot);
      // a label from a query may carry \DDD escapes (see validate.ts): write the bytes they stand for
      const raw = label.includes('\\') ? unescapeLabel(label) : null;
      const len = raw ? raw.length : label.length;
      if (this.len + 1 + len > this.limit) return this.undo(added);
      this.buf[this.len++] = len;
      if (raw) this.len += raw.copy(this.buf, this.len);
      else this.len += this.buf.write(label, this.len, 'latin1');
      rest = dot < 0 ? '' : rest.slice(dot + 1);
    }
  }

  private undo(added: string[]): false {
    for (const a of added) this.comp.delete(a);
    return false;
  }

  /** Writes one record; false (and nothing written) when it does not fit. */
  rr(rr: WireRR): boolean {
    const start = this.len;
    if (!this.name(rr.name) || this.len + 10 + rr.rdata.length > this.limit) {
      this.rollback(start);
      return false;
    }
    const b = this.buf;
    b.writeUInt16BE(rr.type, this.len);
    b.writeUInt16BE(1, this.len + 2);
    b.writeUInt32BE(rr.ttl >>> 0, this.len + 4);
    b.writeUInt16BE(rr.rdata.length, this.len + 8);
    this.len += 10;
    rr.rdata.copy(b, this.len);
    this.len += rr.rdata.length;
    return true;
  }

  /** Forget everything written at or after `offset`. */
  rollback(offset: number): void {
    for (const [k, v] of this.comp) if (v >= offset) this.comp.delete(k);
    this.len = offset;
  }

  opt(o: OptOut): void {
    const b = this.buf;
    b[this.len] = 0;
    b.writeUInt16BE(TYPE.OPT, this.len + 1);
    b.writeUInt16BE(o.udpSize, this.len + 3);
    b.writeUInt32BE((((o.rcode >> 4) & 0xff) << 24) | (o.dnssecOk ? 0x8000 : 0), this.len + 5);
    b.writeUInt16BE(0, this.len + 9);
    this.len += 11;
  }

  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

export const OPT_LEN = 11;

function unescapeLabel(label: string): Buffer {
  return Buffer.from(
    label.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(Number(d))),
    'latin1',
  );
}

/** Response flags: QR, opcode, AA, TC, RD copied, RA 0, low 4 rcode bits. */
export function responseFlags(opcode: number, aa: boolean, tc: boolean, rd: boolean, rcode: number): number {
  return (
    0x8000 | ((opcode & 0xf) << 11) | (aa ? 0x400 : 0) | (tc ? 0x200 : 0) | (rd ? 0x100 : 0) | (rcode & 0xf)
  );
}

/**
 * Encodes a complete response within `limit` bytes (512 classic UDP, the EDNS size, or 65535 on TCP).
 * RFC 2181 §9: when the answer or authority section does not fit, TC is set and those sections are dropped;
 * records that do not fit in the additional section are just left out.
 */
export function encodeResponse(
  query: Pick<Message, 'id' | 'opcode' | 'rd' | 'question'>,
  sections: ResponseSections,
  limit: number,
  opt: OptOut | null,
): { bytes: Buffer; truncated: boolean } {
  const w = new MessageWriter(limit);
  w.header(query.id, 0);
  let qd = 0;
  if (query.question) {
    w.question(query.question);
    qd = 1;
  }
  w.setCount(0, qd);
  const afterQuestion = w.len;
  w.limit = limit - (opt ? OPT_LEN : 0); // keep room for the OPT record
  let truncated = false;
  const counts = [0, 0, 0];
  const sectionsList = [sections.answer, sections.authority, sections.additional];
  outer: for (let s = 0; s < 3; s++) {
    for (const rr of sectionsList[s]!) {
      if (!w.rr(rr)) {
        if (s < 2) {
          truncated = true;
          w.rollback(afterQuestion);
          counts[0] = counts[1] = counts[2] = 0;
        }
        break outer;
      }
      counts[s]! += 1;
    }
  }
  w.limit = limit;
  w.setCount(1, counts[0]!);
  w.setCount(2, counts[1]!);
  let ar = counts[2]!;
  if (opt) {
    w.opt(opt);
    ar += 1;
  }
  w.setCount(3, ar);
  w.setFlags(responseFlags(query.opcode, sections.aa, truncated, query.rd, sections.rcode));
  return { bytes: w.bytes(), truncated };
}
