/** TCP framing (RFC 1035 4.2.2, RFC 7766): every message is preceded by its 2-byte length. */

export function frame(msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(msg.length + 2);
  out.writeUInt16BE(msg.length, 0);
  msg.copy(out, 2);
  return out;
}

/** Accumulates stream bytes and yields whole messages; several may arrive in one chunk (pipelining). */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    let p = 0;
    while (this.pending.length - p >= 2) {
      const len = this.pending.readUInt16BE(p);
      if (this.pending.length - p - 2 < len) break;
      out.push(this.pending.subarray(p + 2, p + 2 + len));
      p += 2 + len;
    }
    this.pending = this.pending.subarray(p);
    return out;
  }

  /** bytes waiting for the rest of a message */
  get buffered(): number {
    return this.pending.length;
  }
}
