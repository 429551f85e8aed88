import { v1Route } from '@ddns/v1-schema';
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { AddressEventHub, type EventSubscriber } from './events-hub';
import { V1Error } from './http/errors';
import { mount, streamed } from './http/route';

/** Bounds of one event stream: unread output before the stream is dropped, lifetime, heartbeat. */
export const EVENT_STREAM_LIMITS = {
  maxBufferedBytes: 64 * 1024,
  maxLifetimeSeconds: 3600,
  heartbeatSeconds: 25,
} as const;

/**
 * GET /v1/events: server-sent events of the caller's domains' address changes, fed by the DNS change feed.
 * At most V1_EVENTS_MAX_PER_ACCOUNT streams per account (per API process: 429 beyond); a stream whose
 * client does not read is dropped, and every stream ends after an hour (EventSource reconnects by itself).
 */
export function eventRoutes(deps: ApiDeps): Router {
  const r = Router();
  const hub = new AddressEventHub(
    deps.db,
    deps.config.DATABASE_URL,
    deps.config.V1_EVENTS_MAX_PER_ACCOUNT,
    deps.logger,
  );

  mount(r, deps, v1Route('events'), async ({ req, res, principal }) => {
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(beat);
      clearTimeout(life);
      hub.unsubscribe(sub);
      res.end();
    };
    const write = (chunk: string) => {
      if (closed) return;
      if (res.writableLength > EVENT_STREAM_LIMITS.maxBufferedBytes) return close();
      res.write(chunk);
    };
    const sub: EventSubscriber = {
      accountId: principal.account.id,
      domains: principal.via === 'api-key' ? principal.key.domains : null,
      send: (e) => write(`event: address\ndata: ${JSON.stringify(e)}\n\n`),
    };
    const beat = setInterval(() => write(': keep-alive\n\n'), EVENT_STREAM_LIMITS.heartbeatSeconds * 1000);
    const life = setTimeout(close, EVENT_STREAM_LIMITS.maxLifetimeSeconds * 1000);
    beat.unref();
    life.unref();
    if (!(await hub.subscribe(sub))) {
      clearInterval(beat);
      clearTimeout(life);
      throw new V1Error('rate_limited', 'too many open event streams for this account', undefined, 30);
    }
    req.on('close', close);
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    write('retry: 3000\nevent: ready\ndata: {}\n\n');
    return streamed;
  });
  return r;
}
