import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { accessLog } from '../../src/http/access-log';

/** An app with the access log and a few routes, logging JSON lines into `lines`. */
function appWithLog(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = pino({ level }, sink);
  const app = express();
  app.use(accessLog(app, logger));
  app.get('/nic/update', (_req, res) => void res.type('text/plain').send('good 192.0.2.1'));
  app.get('/healthz', (_req, res) => void res.send('ok'));
  app.get('/boom', (req, res) => {
    req.log.warn('handler says');
    res.status(500).send('internal error\n');
  });
  return { app, lines };
}

test('one line per request: method, path without the query (tokens), address, status; health polls not', async () => {
  const { app, lines } = appWithLog('info');
  await request(app).get('/nic/update?hostname=a.example&password=secret-token').expect(200);
  await request(app).get('/healthz?x=1').expect(200);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    msg: 'request completed',
    req: { method: 'GET', url: '/nic/update?[redacted]' },
    res: { statusCode: 200 },
  });
  expect(typeof lines[0]!.responseTime).toBe('number');
  expect(JSON.stringify(lines)).not.toContain('secret-token');
});

test("req.log carries the request; a 5xx is 'request errored'", async () => {
  const { app, lines } = appWithLog('info');
  await request(app).get('/boom?token=t').expect(500);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({
    level: 40,
    msg: 'handler says',
    req: { method: 'GET', url: '/boom?[redacted]' },
  });
  expect(lines[1]).toMatchObject({ msg: 'request errored', res: { statusCode: 500 } });
});

test('above info: no access lines, req.log still works', async () => {
  const { app, lines } = appWithLog('warn');
  await request(app).get('/nic/update').expect(200);
  await request(app).get('/boom').expect(500);
  expect(lines.map((l) => l.msg)).toEqual(['handler says']);
});
