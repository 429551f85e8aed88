import type { Duplex } from 'node:stream';

/** How long a closing connection keeps reading (and discarding) what the client still sends. */
export const LINGER_MS = 2000;

const lingering = new WeakSet<Duplex>();
const discard = () => undefined;

/** Whether lingeringClose has started on this socket. */
export function isLingering(socket: Duplex): boolean {
  return lingering.has(socket);
}

/**
 * Closes a connection the way RFC 9112 §9.6 asks: finish writing what is queued (the response), half-close
 * (FIN), then keep reading and discarding the client's input until it closes its side or `lingerMs` passed,
 * and only then close. Closing with unread input makes the kernel send a TCP reset, which can destroy the
 * response before the client has read it (a 431 for a long request line with a body arrived as a reset).
 * From here on nothing reaches the HTTP parser: a pipelined request after `Connection: close` is not run.
 */
export function lingeringClose(socket: Duplex, lingerMs = LINGER_MS): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  // a 'data' listener takes the socket back from Node's HTTP parser (it stops consuming the handle)
  socket.removeAllListeners('data');
  socket.on('data', discard);
  socket.on('error', discard);
  socket.resume();
  const destroy = () => socket.destroy();
  const timer = setTimeout(destroy, lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // the client closed its side: nothing more to drain, close as soon as our output is out
  socket.once('end', () => (socket.writableFinished ? destroy() : socket.once('finish', destroy)));
  socket.end();
}
