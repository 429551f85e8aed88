import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { isLingering, lingeringClose } from './lingering-close';

/** The status for a request Node's parser refused before any surface saw it. */
export function clientErrorStatus(code: string | undefined): number {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431; // request line + headers over 16 KiB
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408; // headers or body not received within API_HEADERS/REQUEST_TIMEOUT_SECONDS
    default:
      return 400;
  }
}

const REASONS: Record<number, string> = {
  400: 'the request is not valid HTTP/1.1',
  408: 'the request was not received in time',
  413: 'the request is too large',
  431: 'the request line or headers are too large (at most 16 KiB)',
};

/** A complete plain-text response with `Connection: close`. */
export function cannedResponse(status: number, message: string, extra: string[] = []): string {
  const body = `${message}\n`;
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...extra,
    '',
    body,
  ].join('\r\n');
}

/**
 * The server's `clientError` handler: a request Node could not parse (too long, malformed, too slow) gets a
 * plain-text answer (400, 408, 413, 431) and a lingering close, instead of Node's default of writing the status
 * and destroying the socket with the client's input unread (which the client sees as a TCP reset).
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (isLingering(socket)) return; // already answered; the parser keeps complaining about what follows
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || inFlight?.headersSent) {
    // the client went away, or a response is half-written: nothing sensible can be added
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(err.code);
  socket.write(cannedResponse(status, REASONS[status] ?? 'bad request'));
  lingeringClose(socket);
}
