import { nameWire } from './name';

export const TYPE_RRSIG = 46;
export const TYPE_NSEC = 47;
export const TYPE_DNSKEY = 48;
export const TYPE_CDS = 59;
export const TYPE_CDNSKEY = 60;

/** NSEC type bit maps (RFC 4034 §4.1.2): per 256-type window, its number, length, and the bits up to the last set. */
export function typeBitmap(types: Iterable<number>): Buffer {
  const windows = new Map<number, number[]>();
  for (const t of types) {
    const w = t >> 8;
    const list = windows.get(w);
    if (list) list.push(t & 0xff);
    else windows.set(w, [t & 0xff]);
  }
  const parts: Buffer[] = [];
  for (const w of [...windows.keys()].sort((a, b) => a - b)) {
    const low = windows.get(w)!;
    const len = (Math.max(...low) >> 3) + 1;
    const block = Buffer.alloc(2 + len);
    block[0] = w;
    block[1] = len;
    for (const b of low) block[2 + (b >> 3)]! |= 0x80 >> (b & 7);
    parts.push(block);
  }
  return Buffer.concat(parts);
}

/** The types a bitmap lists, ascending. */
export function bitmapTypes(bitmap: Buffer): number[] {
  const out: number[] = [];
  for (let p = 0; p + 2 <= bitmap.length;) {
    const w = bitmap[p]!;
    const len = bitmap[p + 1]!;
    for (let i = 0; i < len; i++) {
      const byte = bitmap[p + 2 + i]!;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) out.push(w * 256 + i * 8 + bit);
    }
    p += 2 + len;
  }
  return out;
}

/** NSEC RDATA (RFC 4034 §4.1): the next owner name in canonical order, then the types at this owner. */
export function nsecRdata(next: string, types: Iterable<number>): Buffer {
  return Buffer.concat([nameWire(next), typeBitmap(types)]);
}
