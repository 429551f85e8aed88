import net from 'node:net';

/** What a client saw for one request sent as raw bytes. */
export type RawOutcome =
  | { kind: 'response'; status: number; head: string; body: Buffer }
  /** the connection was reset (ECONNRESET/EPIPE) before a complete response arrived */
  | { kind: 'reset'; code: string; partial: string }
  /** the server closed the connection without answering */
  | { kind: 'empty' }
  /** bytes arrived but they were not an HTTP response */
  | { kind: 'garbled'; partial: string }
  | { kind: 'timeout'; partial: string };

export interface RawOptions {
  port: number;
  host?: string;
  /** source address (e.g. 127.0.1.1: another /24 on loopback) */
  localAddress?: string;
  timeoutMs?: number;
}

const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/;

/** Drops interim (1xx) responses; returns the final response's status, head and the rest. */
function finalResponse(buf: Buffer): { status: number; head: string; body: Buffer } | null {
  let rest = buf;
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const head = rest.subarray(0, end).toString('latin1');
    const m = STATUS_LINE.exec(head + '\r\n');
    if (!m) return null;
    const status = Number(m[1]);
    if (status >= 200 || status < 100) return { status, head, body: rest.subarray(end + 4) };
    rest = rest.subarray(end + 4);
  }
}

/** Whether `buf` holds a complete final response (by Content-Length or chunked framing). */
function complete(buf: Buffer): boolean {
  const r = finalResponse(buf);
  if (!r) return false;
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(r.head);
  if (len) return r.body.length >= Number(len[1]);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(r.head))
    return r.body.includes('\r\n0\r\n\r\n') || r.body.subarray(0, 5).toString() === '0\r\n\r\n';
  return r.status === 204 || r.status === 304;
}

/**
 * Sends `bytes` as they are (no framing, no validation) and reads until the server closes, the response is
 * complete, or the timeout. The client never half-closes (servers may treat a FIN as an abort).
 */
export function rawRequest(bytes: Buffer, opts: RawOptions & { head?: boolean }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = net.connect({
      port: opts.port,
      host: opts.host ?? '127.0.0.1',
      localAddress: opts.localAddress,
    });
    const got = () => Buffer.concat(chunks);
    const finish = (o: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const fromBuffer = (): RawOutcome => {
      const buf = got();
      if (buf.length === 0) return { kind: 'empty' };
      const r = finalResponse(buf);
      return r
        ? { kind: 'response', ...r }
        : { kind: 'garbled', partial: buf.subarray(0, 200).toString('latin1') };
    };
    const timer = setTimeout(
      () => finish({ kind: 'timeout', partial: got().subarray(0, 200).toString('latin1') }),
      opts.timeoutMs ?? 20_000,
    );
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      const buf = got();
      // HEAD answers carry a Content-Length but no body
      if (opts.head ? finalResponse(buf) !== null : complete(buf)) finish(fromBuffer());
    });
    sock.on('end', () => finish(fromBuffer()));
    sock.on('close', () => finish(fromBuffer()));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const buf = got();
      if (complete(buf)) return finish(fromBuffer());
      finish({
        kind: 'reset',
        code: err.code ?? err.message,
        partial: buf.subarray(0, 200).toString('latin1'),
      });
    });
    sock.on('connect', () => {
      sock.write(bytes, () => undefined);
    });
  });
}
