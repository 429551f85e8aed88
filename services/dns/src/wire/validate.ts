import { HEADER_LEN, TYPE } from './constants';
import type { TsigLocation } from './tsig';

/** TSIG record type (RFC 8945): only ever the last record of a message */
const TYPE_TSIG = 250;

/**
 * The incoming-packet validator. It walks every name of a message before anything else reads it:
 * compression pointers must point strictly backward (each jump lands before the previous segment, so
 * loops are impossible), names ≤ 255 bytes, labels ≤ 63, counts and lengths consistent, no trailing bytes.
 * It also decodes what the responder needs (header, question, EDNS), so the hot path parses once.
 */

export interface Question {
  /** presentation form as sent (case kept, no trailing dot, odd bytes as \DDD); '' is the root */
  name: string;
  /** lowercase `name`: the lookup key */
  lname: string;
  /** uncompressed wire form of the name as sent, for echoing */
  wire: Buffer;
  type: number;
  class: number;
  /** true when the question name was written without compression pointers (the packet cache relies on it) */
  plain: boolean;
}

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface Message {
  id: number;
  /** raw 16-bit flags word */
  flags: number;
  qr: boolean;
  opcode: number;
  rd: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  question: Question | null;
  edns: Edns | null;
  /** serial of an SOA in the authority section (what an IXFR request carries), else null */
  authoritySoaSerial: number | null;
  /** where the TSIG record is, when the message is signed (RFC 8945; checked by wire/tsig.ts) */
  tsig: TsigLocation | null;
  /** answer-section records (only kept when asked for: NOTIFY replies, tests) */
  answers: { name: string; type: number; rdata: Buffer }[];
}

export type ParseResult =
  | { ok: true; msg: Message }
  /** `id`/`flags` are set when at least a header could be read (a FORMERR reply is then possible) */
  | { ok: false; reason: string; id: number | null; flags: number };

/** Thrown (and caught) inside the validator only. Not an Error: no stack trace to capture on hostile input. */
export class WireError {
  constructor(readonly message: string) {}
}

const MAX_NAME = 255;
const PLAIN_LABEL = /^[a-zA-Z0-9_*-]*$/;

interface NameRead {
  /** offset just after the name in the stream being read */
  end: number;
  /** wire length of the uncompressed name */
  length: number;
  compressed: boolean;
}

/** Walks (and checks) a possibly compressed name starting at `off`; optionally collects its labels. */
export function walkName(buf: Buffer, off: number, labels?: Buffer[]): NameRead {
  let p = off;
  /** a pointer must land strictly before this offset */
  let limit = off;
  let end = -1;
  let length = 0;
  for (;;) {
    if (p >= buf.length) throw new WireError('name runs past the end');
    const len = buf[p]!;
    if (len === 0) {
      length += 1;
      if (length > MAX_NAME) throw new WireError('name longer than 255 bytes');
      return { end: end < 0 ? p + 1 : end, length, compressed: end >= 0 };
    }
    const top = len & 0xc0;
    if (top === 0xc0) {
      if (p + 1 >= buf.length) throw new WireError('truncated pointer');
      const target = ((len & 0x3f) << 8) | buf[p + 1]!;
      if (target < HEADER_LEN || target >= limit)
        throw new WireError('compression pointer not strictly backward');
      if (end < 0) end = p + 2;
      limit = target;
      p = target;
      continue;
    }
    if (top !== 0) throw new WireError('reserved label type');
    if (p + 1 + len > buf.length) throw new WireError('label runs past the end');
    length += len + 1;
    if (length + 1 > MAX_NAME) throw new WireError('name longer than 255 bytes');
    labels?.push(buf.subarray(p + 1, p + 1 + len));
    p += 1 + len;
  }
}

/** Presentation form of one label: plain bytes as-is, everything else (dots included) as \DDD. */
function labelText(label: Buffer): string {
  const s = label.toString('latin1');
  if (PLAIN_LABEL.test(s)) return s;
  let out = '';
  for (const b of label) {
    const c = String.fromCharCode(b);
    out += /[a-zA-Z0-9_*-]/.test(c) ? c : `\\${b.toString().padStart(3, '0')}`;
  }
  return out;
}

/** Reads a name fully: presentation text and uncompressed wire form. */
export function readName(
  buf: Buffer,
  off: number,
): { name: string; wire: Buffer; end: number; compressed: boolean } {
  const labels: Buffer[] = [];
  const r = walkName(buf, off, labels);
  const wire = Buffer.allocUnsafe(r.length);
  let w = 0;
  for (const l of labels) {
    wire[w++] = l.length;
    l.copy(wire, w);
    w += l.length;
  }
  wire[w] = 0;
  return { name: labels.map(labelText).join('.'), wire, end: r.end, compressed: r.compressed };
}

/** RDATA layouts that hold names (walked too, so a reply or NOTIFY carrying them is checked). */
function walkRdataNames(buf: Buffer, type: number, start: number, end: number): void {
  const name = (p: number): number => {
    const r = walkName(buf, p);
    if (r.end > end) throw new WireError('name runs past its RDATA');
    return r.end;
  };
  switch (type) {
    case TYPE.NS:
    case TYPE.CNAME:
    case 12: // PTR
      if (name(start) !== end) throw new WireError('RDATA length mismatch');
      break;
    case TYPE.MX:
      if (end - start < 3 || name(start + 2) !== end) throw new WireError('RDATA length mismatch');
      break;
    case TYPE.SRV:
      if (end - start < 7 || name(start + 6) !== end) throw new WireError('RDATA length mismatch');
      break;
    case TYPE.SOA: {
      const p = name(name(start));
      if (p + 20 !== end) throw new WireError('RDATA length mismatch');
      break;
    }
    default:
      break;
  }
}

/**
 * Validates and decodes a whole message. Never throws; never loops; O(length of the packet).
 * `keepAnswers` collects the answer section (used for NOTIFY replies and in tests).
 */
export function parseMessage(buf: Buffer, keepAnswers = false): ParseResult {
  if (buf.length < HEADER_LEN) return { ok: false, reason: 'shorter than a header', id: null, flags: 0 };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  try {
    const qdcount = buf.readUInt16BE(4);
    const ancount = buf.readUInt16BE(6);
    const nscount = buf.readUInt16BE(8);
    const arcount = buf.readUInt16BE(10);
    let p = HEADER_LEN;
    let question: Question | null = null;
    for (let i = 0; i < qdcount; i++) {
      const n = readName(buf, p);
      p = n.end;
      if (p + 4 > buf.length) throw new WireError('question runs past the end');
      if (i === 0) {
        question = {
          name: n.name,
          lname: n.name.toLowerCase(),
          wire: n.wire,
          type: buf.readUInt16BE(p),
          class: buf.readUInt16BE(p + 2),
          plain: !n.compressed,
        };
      }
      p += 4;
    }
    let edns: Edns | null = null;
    let authoritySoaSerial: number | null = null;
    let tsig: TsigLocation | null = null;
    const answers: Message['answers'] = [];
    const total = ancount + nscount + arcount;
    for (let i = 0; i < total; i++) {
      const owner = p;
      const n = walkName(buf, p);
      p = n.end;
      if (p + 10 > buf.length) throw new WireError('record header runs past the end');
      const type = buf.readUInt16BE(p);
      const klass = buf.readUInt16BE(p + 2);
      const ttl = buf.readUInt32BE(p + 4);
      const rdlen = buf.readUInt16BE(p + 8);
      p += 10;
      if (p + rdlen > buf.length) throw new WireError('RDATA runs past the end');
      walkRdataNames(buf, type, p, p + rdlen);
      if (type === TYPE.OPT) {
        if (i < ancount + nscount) throw new WireError('OPT outside the additional section');
        if (edns) throw new WireError('more than one OPT');
        if (n.length !== 1) throw new WireError('OPT owner is not the root');
        for (let o = p; o < p + rdlen;) {
          if (o + 4 > p + rdlen) throw new WireError('truncated EDNS option');
          o += 4 + buf.readUInt16BE(o + 2);
          if (o > p + rdlen) throw new WireError('EDNS option runs past its RDATA');
        }
        edns = { udpSize: klass, version: (ttl >>> 16) & 0xff, dnssecOk: (ttl & 0x8000) !== 0 };
      } else if (type === TYPE_TSIG) {
        if (i !== total - 1 || i < ancount + nscount) throw new WireError('TSIG is not the last record');
        tsig = { start: owner, rdataStart: p, rdataEnd: p + rdlen };
      } else if (type === TYPE.SOA && i >= ancount && i < ancount + nscount) {
        // RDATA already checked to be two names + 20 bytes
        authoritySoaSerial = buf.readUInt32BE(p + rdlen - 20);
      } else if (keepAnswers && i < ancount) {
        answers.push({
          name: readName(buf, owner).name.toLowerCase(),
          type,
          rdata: buf.subarray(p, p + rdlen),
        });
      }
      p += rdlen;
    }
    if (p !== buf.length) throw new WireError('trailing bytes after the last record');
    return {
      ok: true,
      msg: {
        id,
        flags,
        qr: (flags & 0x8000) !== 0,
        opcode: (flags >> 11) & 0xf,
        rd: (flags & 0x100) !== 0,
        rcode: flags & 0xf,
        qdcount,
        ancount,
        nscount,
        arcount,
        question,
        edns,
        authoritySoaSerial,
        tsig,
        answers,
      },
    };
  } catch (err) {
    if (err instanceof WireError) return { ok: false, reason: err.message, id, flags };
    if (err instanceof RangeError) return { ok: false, reason: 'out of bounds', id, flags };
    throw err;
  }
}
