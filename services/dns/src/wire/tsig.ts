import { createHmac, timingSafeEqual } from 'node:crypto';
import { nameToWire } from './rdata';
import { readName } from './validate';

/**
 * TSIG (RFC 8945): HMAC-signed messages between us and our secondaries (AXFR/IXFR, the SOA queries before
 * them, NOTIFY). Pure functions over wire bytes; keys come from DNS_TSIG_KEYS.
 */

const ALGORITHMS = { 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512' } as const;
export type TsigAlgorithm = keyof typeof ALGORITHMS;

export interface TsigKey {
  /** lowercase, no trailing dot */
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** TSIG errors (RFC 8945 §3), carried in the TSIG record of a NOTAUTH response. */
export const TSIG_ERROR = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export const TYPE_TSIG = 250;
const CLASS_ANY = 255;
/** seconds of clock difference allowed (RFC 8945 §10 recommends 300) */
export const FUDGE = 300;

/** `[algorithm:]name:base64secret`, the `dig -y` / `kdig -y` format; algorithm hmac-sha256 by default. */
export function parseTsigKey(spec: string): TsigKey {
  const parts = spec.trim().split(':');
  if (parts.length === 2) parts.unshift('hmac-sha256');
  if (parts.length !== 3) throw new Error(`"${parts[1] ?? spec}": expected [algorithm:]name:base64-secret`);
  const [alg, rawName, secret] = parts as [string, string, string];
  const algorithm = alg.toLowerCase() as TsigAlgorithm;
  if (!(algorithm in ALGORITHMS))
    throw new Error(`key "${rawName}": algorithm must be one of ${Object.keys(ALGORITHMS).join(', ')}`);
  const name = rawName.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) || name.length > 253)
    throw new Error(`key "${rawName}": the name must be a domain name`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret) || secret.length % 4 !== 0)
    throw new Error(`key "${name}": the secret must be base64`);
  const bytes = Buffer.from(secret, 'base64');
  if (bytes.length < 16) throw new Error(`key "${name}": the secret must be at least 16 bytes`);
  return { name, algorithm, secret: bytes };
}

/** A comma- or space-separated list of keys; names must be unique. */
export function parseTsigKeys(list: string): TsigKey[] {
  const keys = list
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(parseTsigKey);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.name)) throw new Error(`key "${k.name}" is listed twice`);
    seen.add(k.name);
  }
  return keys;
}

/** Where the TSIG record sits in a message (found by the validator: it must be the last record). */
export interface TsigLocation {
  /** offset of the record's owner name: the message without TSIG is everything before */
  start: number;
  rdataStart: number;
  rdataEnd: number;
}

interface TsigRdata {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function readRdata(buf: Buffer, at: TsigLocation): TsigRdata | null {
  try {
    const key = readName(buf, at.start);
    const alg = readName(buf, at.rdataStart);
    let p = alg.end;
    const timeSigned = buf.readUIntBE(p, 6);
    const fudge = buf.readUInt16BE(p + 6);
    const macLen = buf.readUInt16BE(p + 8);
    p += 10;
    const mac = buf.subarray(p, p + macLen);
    p += macLen;
    const originalId = buf.readUInt16BE(p);
    const error = buf.readUInt16BE(p + 2);
    const otherLen = buf.readUInt16BE(p + 4);
    const other = buf.subarray(p + 6, p + 6 + otherLen);
    if (mac.length !== macLen || p + 6 + otherLen !== at.rdataEnd) return null;
    return {
      keyName: key.name.toLowerCase(),
      algorithm: alg.name.toLowerCase(),
      timeSigned,
      fudge,
      mac,
      originalId,
      error,
      other,
    };
  } catch {
    return null;
  }
}

const u48 = (n: number) => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

/** TSIG variables (RFC 8945 §4.3.3): name, class, TTL, algorithm, time, fudge, error, other. */
function variables(key: TsigKey, timeSigned: number, fudge: number, error: number, other: Buffer): Buffer {
  const fixed = Buffer.alloc(6);
  fixed.writeUInt16BE(CLASS_ANY, 0);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(error, 0);
  tail.writeUInt16BE(other.length, 2);
  return Buffer.concat([
    nameToWire(key.name),
    fixed,
    nameToWire(key.algorithm),
    timers(timeSigned, fudge),
    tail,
    other,
  ]);
}

function timers(timeSigned: number, fudge: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUIntBE(timeSigned, 0, 6);
  b.writeUInt16BE(fudge, 6);
  return b;
}

const lenPrefixed = (mac: Buffer) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(mac.length, 0);
  return Buffer.concat([b, mac]);
};

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(ALGORITHMS[key.algorithm], key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The message as it was before its TSIG record was added: TSIG cut off, ARCOUNT − 1, the original ID. */
function unsignedPart(buf: Buffer, at: TsigLocation, originalId: number): Buffer {
  const m = Buffer.from(buf.subarray(0, at.start));
  m.writeUInt16BE(originalId, 0);
  m.writeUInt16BE(m.readUInt16BE(10) - 1, 10);
  return m;
}

/** A verified request: what signing its response needs. */
export interface TsigRequest {
  key: TsigKey;
  mac: Buffer;
  originalId: number;
  timeSigned: number;
  fudge: number;
  /** the request without its TSIG record (what the responder answers) */
  message: Buffer;
}

export type TsigVerdict =
  | { ok: true; request: TsigRequest }
  /** answer NOTAUTH with this TSIG error; `request` is set when the error reply is to be signed (BADTIME) */
  | {
      ok: false;
      error: number;
      keyName: string;
      algorithm: string;
      request: TsigRequest | null;
      raw: TsigRdata;
    }
  | { ok: false; error: 'formerr' };

/** Verifies a signed request (RFC 8945 §5.2): known key and algorithm, MAC, then time within the fudge. */
export function verifyRequest(
  buf: Buffer,
  at: TsigLocation,
  keys: ReadonlyMap<string, TsigKey>,
  now = Math.floor(Date.now() / 1000),
): TsigVerdict {
  const r = readRdata(buf, at);
  if (!r) return { ok: false, error: 'formerr' };
  const fail = (error: number, request: TsigRequest | null = null): TsigVerdict => ({
    ok: false,
    error,
    keyName: r.keyName,
    algorithm: r.algorithm,
    request,
    raw: r,
  });
  const key = keys.get(r.keyName);
  if (!key || key.algorithm !== r.algorithm) return fail(TSIG_ERROR.BADKEY);
  const message = unsignedPart(buf, at, r.originalId);
  const expected = hmac(key, [message, variables(key, r.timeSigned, r.fudge, r.error, r.other)]);
  if (r.mac.length > expected.length) return { ok: false, error: 'formerr' };
  // truncated MACs (RFC 8945 §5.2.2.1) are not accepted: secondaries send the full one
  if (r.mac.length < expected.length) return fail(TSIG_ERROR.BADTRUNC);
  if (!timingSafeEqual(r.mac, expected)) return fail(TSIG_ERROR.BADSIG);
  const request: TsigRequest = {
    key,
    mac: Buffer.from(r.mac),
    originalId: r.originalId,
    timeSigned: r.timeSigned,
    fudge: r.fudge,
    message,
  };
  if (Math.abs(now - r.timeSigned) > r.fudge) return fail(TSIG_ERROR.BADTIME, request);
  return { ok: true, request };
}

/** Bytes a TSIG record adds to a message (reserve it when sizing a UDP reply). */
export function tsigLength(key: TsigKey, otherLen = 0): number {
  const macLen = { 'hmac-sha256': 32, 'hmac-sha384': 48, 'hmac-sha512': 64 }[key.algorithm];
  return nameToWire(key.name).length + 10 + nameToWire(key.algorithm).length + 16 + macLen + otherLen;
}

/** Appends a TSIG record (owner = key name) to `msg`, incrementing ARCOUNT. */
function appendTsig(
  msg: Buffer,
  key: { name: string; algorithm: string },
  f: { timeSigned: number; fudge: number; mac: Buffer; originalId: number; error: number; other: Buffer },
): Buffer {
  const alg = nameToWire(key.algorithm);
  const rdata = Buffer.alloc(alg.length + 16 + f.mac.length + f.other.length);
  let p = alg.copy(rdata, 0);
  rdata.writeUIntBE(f.timeSigned, p, 6);
  rdata.writeUInt16BE(f.fudge, p + 6);
  rdata.writeUInt16BE(f.mac.length, p + 8);
  p += 10;
  p += f.mac.copy(rdata, p);
  rdata.writeUInt16BE(f.originalId, p);
  rdata.writeUInt16BE(f.error, p + 2);
  rdata.writeUInt16BE(f.other.length, p + 4);
  f.other.copy(rdata, p + 6);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE_TSIG, 0);
  head.writeUInt16BE(CLASS_ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  const out = Buffer.concat([msg, nameToWire(key.name), head, rdata]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}

/** Signs a request we send (NOTIFY): MAC over the message and the TSIG variables. */
export function signRequest(msg: Buffer, key: TsigKey, now = Math.floor(Date.now() / 1000)): Buffer {
  const id = msg.readUInt16BE(0);
  const mac = hmac(key, [msg, variables(key, now, FUDGE, 0, Buffer.alloc(0))]);
  return appendTsig(msg, key, {
    timeSigned: now,
    fudge: FUDGE,
    mac,
    originalId: id,
    error: 0,
    other: Buffer.alloc(0),
  });
}

/**
 * Signs the messages of a response (RFC 8945 §5.3): the first over the request's MAC, the message and the
 * TSIG variables; each following one (a zone transfer) over the previous MAC, the message and the timers.
 */
export class ResponseSigner {
  private prior: Buffer;
  private first = true;

  constructor(
    private readonly request: TsigRequest,
    private readonly error = 0,
  ) {
    this.prior = request.mac;
  }

  sign(msg: Buffer, now = Math.floor(Date.now() / 1000)): Buffer {
    const key = this.request.key;
    // BADTIME: tell the client our clock (RFC 8945 §5.2.3)
    const other = this.error === TSIG_ERROR.BADTIME ? u48(now) : Buffer.alloc(0);
    const timeSigned = this.error === TSIG_ERROR.BADTIME ? this.request.timeSigned : now;
    const digest = this.first
      ? [lenPrefixed(this.prior), msg, variables(key, timeSigned, FUDGE, this.error, other)]
      : [lenPrefixed(this.prior), msg, timers(timeSigned, FUDGE)];
    const mac = hmac(key, digest);
    this.prior = mac;
    this.first = false;
    return appendTsig(msg, key, {
      timeSigned,
      fudge: FUDGE,
      mac,
      originalId: this.request.originalId,
      error: this.error,
      other,
    });
  }
}

/** The NOTAUTH reply's TSIG for BADKEY/BADSIG/BADTRUNC: unsigned (no MAC), as RFC 8945 §5.3.2 requires. */
export function unsignedError(
  msg: Buffer,
  v: {
    keyName: string;
    algorithm: string;
    error: number;
    raw: { timeSigned: number; fudge: number; originalId: number };
  },
): Buffer {
  return appendTsig(
    msg,
    { name: v.keyName, algorithm: v.algorithm },
    {
      timeSigned: v.raw.timeSigned,
      fudge: v.raw.fudge,
      mac: Buffer.alloc(0),
      originalId: v.raw.originalId,
      error: v.error,
      other: Buffer.alloc(0),
    },
  );
}
