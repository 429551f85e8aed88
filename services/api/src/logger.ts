import type { Logger } from 'pino';
import { createLogger as createServiceLogger } from '@ddns/logging';

/** JSON logs (readable ones on a terminal), from the shared factory. Secrets are redacted. */
export function createLogger(level: string, name = 'api'): Logger {
  return createServiceLogger({ name, level });
}

/** The path of a URL without its query string (which may carry tokens). */
export function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const i = url.indexOf('?');
  return i < 0 ? url : url.slice(0, i) + '?[redacted]';
}

/** Health polls (`/healthz`, `/readyz`, with or without a query) are not logged: they would drown the rest. */
export function isHealthPoll(url: string | undefined): boolean {
  const path = pathOnly(url).replace(/\?.*$/, '');
  return path === '/healthz' || path === '/readyz';
}
