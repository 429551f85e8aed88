import type { IncomingMessage } from 'node:http';
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isHealthPoll, pathOnly } from '../logger';

declare module 'http' {
  interface IncomingMessage {
    /** the service's logger with this request's method, path and address bound (made on first use) */
    log: Logger;
  }
}

/** What a log line tells of a request: no query string (it may carry tokens), no headers. */
export interface RequestFields {
  method: string | undefined;
  url: string;
  remoteAddress: string | undefined;
}

const requestFields = (req: IncomingMessage & { originalUrl?: string }): RequestFields => ({
  method: req.method,
  url: pathOnly(req.originalUrl ?? req.url),
  remoteAddress: req.socket.remoteAddress,
});

const childLog = Symbol('ddns.childLog');

/**
 * The access log: one `request completed` line per request at info level (health polls excepted), with the
 * fields and messages pino-http wrote before, and `req.log` for handlers that log.
 *
 * Lighter than pino-http on purpose (issue #16: it cost ~4% of the API's CPU per DynDNS2 update): `req.log` is
 * a getter on the app's request prototype that makes its child logger only when a handler logs (most
 * requests never do), and with info disabled nothing is done per request at all.
 */
export function accessLog(app: Express, logger: Logger): RequestHandler {
  Object.defineProperty(app.request, 'log', {
    configurable: true,
    get(this: IncomingMessage & { [childLog]?: Logger }): Logger {
      return (this[childLog] ??= logger.child({ req: requestFields(this) }));
    },
    set(this: IncomingMessage & { [childLog]?: Logger }, value: Logger) {
      this[childLog] = value;
    },
  });
  return (req, res, next) => {
    if (!logger.isLevelEnabled('info') || isHealthPoll(req.url)) return next();
    const start = Date.now();
    const fields = requestFields(req);
    const done = () => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      const line = { req: fields, res: { statusCode: res.statusCode }, responseTime: Date.now() - start };
      if (res.statusCode >= 500)
        logger.info(
          { ...line, err: new Error(`failed with status code ${res.statusCode}`) },
          'request errored',
        );
      else logger.info(line, res.writableEnded ? 'request completed' : 'request aborted');
    };
    res.on('close', done);
    res.on('finish', done);
    next();
  };
}
