import type http from 'node:http';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { answerClientError, cannedResponse } from './client-error';
import { ConnectionCounter, plainAddress, type ConnectionCaps } from './connection-caps';
import { lingeringClose } from './lingering-close';

/** What one listener tolerates from its clients (Knot-style names: what each setting bounds). */
export interface HttpLimits {
  /** time from the connection (or the end of the previous response) to complete request headers */
  headersTimeoutMs: number;
  /** time to receive a whole request, body included */
  requestTimeoutMs: number;
  /** how long an idle keep-alive connection is kept */
  keepAliveTimeoutMs: number;
  caps: ConnectionCaps;
  /** addresses the caps do not apply to: trusted reverse proxies (TRUST_PROXY), which carry many clients */
  exempt(address: string): boolean;
}

/** A connection with no activity at all for this long is closed (a client that stopped reading our answer). */
const IDLE_SOCKET_MS = 60_000;
/** How often Node checks the header and request timeouts (its default of 30 s lets them overrun). */
const TIMEOUT_CHECK_MS = 1000;
const MAX_REQUESTS_PER_CONNECTION = 1000;

/** Options for http.createServer / https.createServer: the timeouts, enforced every second. */
export function serverOptions(l: HttpLimits): http.ServerOptions & tls.TlsOptions {
  return {
    requestTimeout: l.requestTimeoutMs,
    headersTimeout: Math.min(l.headersTimeoutMs, l.requestTimeoutMs),
    keepAliveTimeout: l.keepAliveTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    // a TLS client that connects and never finishes its handshake
    handshakeTimeout: l.headersTimeoutMs,
  };
}

/**
 * Makes a server fit for the internet:
 * 1. requests Node cannot parse are answered (400/408/413/431) and closed gracefully (see answerClientError);
 * 2. every `Connection: close` ends with a lingering close (RFC 9112 §9.6) instead of a reset;
 * 3. CONNECT is refused with 405 instead of a dropped connection;
 * 4. open connections are capped per client address and per /24 (IPv4) or /56 (IPv6): a client over its cap
 *    gets `503` (plain HTTP) or a closed connection (TLS) at once, others are still served;
 * 5. sockets with no activity at all are closed, keep-alive connections serve a bounded number of requests.
 * Call it before listen, with the server created with serverOptions().
 */
export function hardenServer(server: http.Server, limits: HttpLimits): void {
  const isTls = server instanceof tls.Server;
  server.timeout = IDLE_SOCKET_MS;
  server.maxRequestsPerSocket = MAX_REQUESTS_PER_CONNECTION;
  server.on('clientError', answerClientError);
  server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
    socket.write(cannedResponse(405, 'CONNECT is not supported'));
    lingeringClose(socket);
  });
  // Node closes a `Connection: close` exchange with socket.destroySoon(): make that a lingering close
  server.on(isTls ? 'secureConnection' : 'connection', (socket: Socket) => {
    socket.destroySoon = () => lingeringClose(socket);
  });
  capConnections(server, limits, isTls);
}

/**
 * Wraps the server's own 'connection' listeners (HTTP parser, TLS handshake) so that they only see admitted
 * connections. A refused connection never reaches the HTTP parser.
 */
function capConnections(server: http.Server, limits: HttpLimits, isTls: boolean): void {
  if (limits.caps.perAddress <= 0 && limits.caps.perNetwork <= 0) return;
  const counter = new ConnectionCounter(limits.caps);
  const inner = server.listeners('connection') as ((s: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const address = plainAddress(socket.remoteAddress);
    if (!address || limits.exempt(address)) {
      for (const l of inner) l.call(server, socket);
      return;
    }
    if (!counter.admit(address)) {
      socket.on('error', () => undefined);
      // over TLS we cannot answer in HTTP before a handshake: just close (gracefully)
      if (!isTls)
        socket.write(
          cannedResponse(503, 'too many open connections from your address or network', ['Retry-After: 10']),
        );
      lingeringClose(socket, 1000);
      return;
    }
    socket.once('close', () => counter.release(address));
    for (const l of inner) l.call(server, socket);
  });
}
