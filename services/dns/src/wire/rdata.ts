import { isIP } from 'node:net';
import { expandIPv6 } from '@ddns/records';

/**
 * Encoders for RDATA, built once when a record is loaded (never per query). Names inside RDATA are written
 * uncompressed: always legal, and mandatory for SRV (RFC 2782). These cover what the codec lacks or gets
 * wrong: CAA (RFC 8659), TXT split into 255-byte strings, SRV without compression.
 */

export class RdataError extends Error {}

/** Uncompressed wire form of a lowercase name without trailing dot ('' or '.' = root). */
export function nameToWire(name: string): Buffer {
  if (name === '' || name === '.') return Buffer.from([0]);
  const labels = name.split('.');
  const out = Buffer.allocUnsafe(name.length + 2);
  let p = 0;
  for (const l of labels) {
    const len = Buffer.byteLength(l, 'latin1');
    if (len === 0 || len > 63) throw new RdataError(`bad label in "${name}"`);
    out[p++] = len;
    p += out.write(l, p, 'latin1');
  }
  out[p++] = 0;
  if (p > 255) throw new RdataError(`name "${name}" longer than 255 bytes`);
  return out.subarray(0, p);
}

export function encodeA(addr: string): Buffer {
  if (isIP(addr) !== 4) throw new RdataError(`"${addr}" is not IPv4`);
  const out = Buffer.allocUnsafe(4);
  let octet = 0;
  let i = 0;
  for (let k = 0; k < addr.length; k++) {
    const c = addr.charCodeAt(k);
    if (c === 46) {
      out[i++] = octet;
      octet = 0;
    } else octet = octet * 10 + (c - 48);
  }
  out[i] = octet;
  return out;
}

export function encodeAAAA(addr: string): Buffer {
  const groups = expandIPv6(addr);
  if (!groups) throw new RdataError(`"${addr}" is not IPv6`);
  const out = Buffer.allocUnsafe(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** TXT: the raw value as a sequence of <character-string>s of at most 255 bytes each. */
export function encodeTxt(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  if (bytes.length === 0) return Buffer.from([0]);
  for (let i = 0; i < bytes.length; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

export function encodeMx(pref: number, host: string): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(pref);
  return Buffer.concat([b, nameToWire(host)]);
}

export function encodeSrv(priority: number, weight: number, port: number, target: string): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeUInt16BE(priority, 0);
  b.writeUInt16BE(weight, 2);
  b.writeUInt16BE(port, 4);
  return Buffer.concat([b, nameToWire(target)]);
}

/** CAA (RFC 8659): flags, tag length, tag, value (the rest of the RDATA, no length byte). */
export function encodeCaa(flags: number, tag: string, value: string): Buffer {
  const t = Buffer.from(tag, 'ascii');
  if (t.length < 1 || t.length > 15) throw new RdataError('CAA tag must be 1-15 characters');
  return Buffer.concat([Buffer.from([flags & 0xff, t.length]), t, Buffer.from(value, 'utf8')]);
}

export interface SoaFields {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export function encodeSoa(s: SoaFields): Buffer {
  const tail = Buffer.allocUnsafe(20);
  tail.writeUInt32BE(s.serial >>> 0, 0);
  tail.writeUInt32BE(s.refresh >>> 0, 4);
  tail.writeUInt32BE(s.retry >>> 0, 8);
  tail.writeUInt32BE(s.expire >>> 0, 12);
  tail.writeUInt32BE(s.minimum >>> 0, 16);
  return Buffer.concat([nameToWire(s.mname), nameToWire(s.rname), tail]);
}
