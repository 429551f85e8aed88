import type net from 'node:net';
import { FrameDecoder, frame } from '../wire/framing';
import type { Client, Responder } from '../responder';

export interface TcpPolicy {
  /** a complete query must arrive within this long of the connection or the previous query (not "any byte") */
  idleMs: number;
  /** answers may wait unread (output blocked) this long before the connection is closed */
  ioMs: number;
  /** then no further query is read; the connection closes once its answers are out */
  lifetimeMs: number;
  /** reading stops while more than this many bytes of answers wait to be read by the client */
  maxUnread: number;
}

export type TcpCloseReason = 'idle' | 'io_timeout' | 'lifetime';

/**
 * One DNS-over-TCP connection (RFC 7766): 2-byte framing, pipelined queries answered in order, a zone
 * transfer streamed with backpressure. The client's memory cost is bounded: its input is not read while
 * `maxUnread` bytes of answers wait, and it is closed if it leaves them unread for `ioMs`; a trickle of
 * bytes does not keep it open (`idleMs` runs from the last complete query), nor does a stream of queries
 * (`lifetimeMs`).
 */
export function serveTcp(
  sock: net.Socket,
  responder: Responder,
  policy: TcpPolicy,
  onClose?: (reason: TcpCloseReason) => void,
): void {
  const client: Client = { address: sock.remoteAddress ?? '', transport: 'tcp' };
  const decoder = new FrameDecoder();
  const queue: Buffer[] = [];
  let busy = false;
  let expired = false;
  sock.setNoDelay(true);

  const close = (reason: TcpCloseReason) => {
    if (sock.destroyed) return;
    onClose?.(reason);
    sock.destroy();
  };
  // restarted (refresh) after each answered query; while answers are being written it does not count
  const idle = setTimeout(() => (busy ? idle.refresh() : close('idle')), policy.idleMs);
  const lifetime = setTimeout(() => {
    expired = true;
    if (!busy) finish();
  }, policy.lifetimeMs);
  let ending: NodeJS.Timeout | null = null;
  /** lifetime over: no more queries; FIN once the answers are flushed, or closed if they stay unread */
  const finish = () => {
    clearTimeout(idle);
    sock.pause();
    onClose?.('lifetime');
    sock.end();
    ending = setTimeout(() => sock.destroy(), policy.ioMs);
  };
  sock.on('close', () => {
    clearTimeout(idle);
    clearTimeout(lifetime);
    if (ending) clearTimeout(ending);
  });
  sock.on('error', () => sock.destroy());

  /** Answers the queued queries in order; waits (not reading) whenever the client leaves answers unread. */
  const pump = async (): Promise<void> => {
    busy = true;
    while (queue.length && !sock.destroyed && !expired) {
      const out = responder.handle(queue.shift()!, client);
      if (!out) continue;
      if (Buffer.isBuffer(out)) {
        sock.write(frame(out));
        if (sock.writableLength > policy.maxUnread && !(await unblocked(sock, policy.ioMs)))
          return close('io_timeout');
      } else {
        sock.pause(); // queries behind a transfer wait in the kernel, not in our memory
        if (!(await stream(sock, out, policy.ioMs))) return close('io_timeout');
      }
    }
    busy = false;
    if (expired) return finish();
    idle.refresh();
    sock.resume();
  };

  sock.on('data', (chunk: Buffer) => {
    const msgs = decoder.push(chunk);
    if (!msgs.length) return;
    for (const m of msgs) queue.push(m);
    if (!busy) void pump();
  });
}

/**
 * Waits, not reading the client's input, until its unread answers drain (true), or closes nothing and
 * returns false once `ioMs` passed without that happening.
 */
function unblocked(sock: net.Socket, ioMs: number): Promise<boolean> {
  sock.pause();
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(t);
      sock.off('drain', drained);
      sock.off('close', closed);
      resolve(ok);
    };
    const drained = () => done(true);
    const closed = () => done(false);
    const t = setTimeout(() => done(false), ioMs);
    sock.on('drain', drained);
    sock.on('close', closed);
  });
}

/** Writes a multi-message answer (AXFR/IXFR), yielding to other work and waiting for the client to read. */
async function stream(sock: net.Socket, messages: Iterable<Buffer>, ioMs: number): Promise<boolean> {
  let n = 0;
  for (const m of messages) {
    if (sock.destroyed) return false;
    if (!sock.write(frame(m)) && !(await unblocked(sock, ioMs))) return false;
    if (++n % 8 === 0) await new Promise<void>((r) => setImmediate(r));
  }
  return true;
}
