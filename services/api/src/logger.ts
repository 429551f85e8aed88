import pino, { type Logger } from 'pino';

/** JSON logs. Secrets never reach them: query strings and credentials are redacted. */
export function createLogger(level: string, name = 'api'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["auth-token"]',
        'req.headers.cookie',
        '*.password',
        '*.token',
      ],
      censor: '[redacted]',
    },
  });
}

/** The path of a URL without its query string (which may carry tokens). */
export function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i) + '?[redacted]';
}
