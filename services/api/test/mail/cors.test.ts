import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { createApp } from '../../src/app';
import { TestPki } from './support/certs';
import { createMailDomain, mailHarness, PASSWORD, type MailHarness } from './support/harness';

// EasyMail admin panels run in a browser on another origin: /mail/* must answer CORS preflights (no Auth-token
// on them) and carry Access-Control-Allow-Origin on every answer, as the original server did (origin `*`,
// `Auth-token` allowed); the real request still needs its Auth-token.

jest.setTimeout(90_000);

let m: MailHarness;
const listen = async (s: Server): Promise<string> => {
  s.listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};
const close = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

beforeAll(async () => {
  m = await mailHarness();
});
afterAll(async () => {
  await m.h.close();
});

const preflight = (app: Parameters<typeof request>[0], path: string, origin: string, method = 'GET') =>
  request(app)
    .options(path)
    .set('Origin', origin)
    .set('Access-Control-Request-Method', method)
    .set('Access-Control-Request-Headers', 'auth-token,content-type');

test('a preflight on /mail/* is answered without credentials: origin *, Auth-token allowed', async () => {
  for (const [path, method] of [
    ['/mail/domains', 'GET'],
    ['/mail/domain', 'DELETE'],
    ['/mail/users/1', 'POST'],
    ['/mail/ssl/get-left-days', 'POST'],
  ] as const) {
    const r = await preflight(m.h.app, path, 'https://panel.example', method);
    expect({ path, status: r.status }).toEqual({ path, status: 204 });
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers['access-control-allow-headers']).toMatch(/\bAuth-token\b/);
    expect(r.headers['access-control-allow-methods']).toContain(method);
  }
});

test('the real request still needs its Auth-token; both answers carry the CORS header', async () => {
  const none = await request(m.h.app).get('/mail/domains').set('Origin', 'https://panel.example');
  expect(none.status).toBe(401);
  expect(none.headers['access-control-allow-origin']).toBe('*');
  const ok = await request(m.h.app)
    .get('/mail/domains')
    .set('Origin', 'https://panel.example')
    .set('Auth-token', m.tokens.alice);
  expect(ok.status).toBe(200);
  expect(ok.headers['access-control-allow-origin']).toBe('*');
});

test('MAIL_CORS_ORIGINS: only the listed origins are allowed', async () => {
  const app = createApp({
    ...m.h.deps,
    config: { ...m.h.deps.config, MAIL_CORS_ORIGINS: ['https://panel.example'] },
  });
  const good = await preflight(app, '/mail/domains', 'https://panel.example');
  expect(good.status).toBe(204);
  expect(good.headers['access-control-allow-origin']).toBe('https://panel.example');
  expect(good.headers.vary).toMatch(/Origin/);
  const bad = await preflight(app, '/mail/domains', 'https://evil.example');
  expect(bad.headers['access-control-allow-origin']).toBeUndefined();
  const real = await request(app)
    .get('/mail/domains')
    .set('Origin', 'https://evil.example')
    .set('Auth-token', m.tokens.alice);
  expect(real.headers['access-control-allow-origin']).toBeUndefined();
});

describe('headless Chromium: a panel page on another origin', () => {
  let browser: Browser | undefined;
  let api: Server;
  let panel: Server;
  let apiBase = '';
  let panelBase = '';

  beforeAll(async () => {
    api = createServer(m.h.app);
    apiBase = await listen(api);
    panel = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>panel</title>');
    });
    panelBase = await listen(panel);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await close(api);
    await close(panel);
  });

  test('logs in, lists domains, uploads a certificate, reads days_left: the browser lets the panel read each', async () => {
    // a mail domain and a certificate for its mail host (the panel uploads it through the API)
    await createMailDomain(m.h, m.tokens.alice, 'panel-cors.example');
    const pki = new TestPki();
    const root = pki.root();
    const leaf = pki.sign(root, { cn: 'mail.panel-cors.example', names: ['mail.panel-cors.example'] });
    pki.cleanup();
    const page = await browser!.newPage();
    await page.goto(`${panelBase}/`);
    const result = await page.evaluate(
      async ({ api, email, password, cert, key }) => {
        const form = new URLSearchParams({ username: email, password });
        const login = await fetch(`${api}/mail/auth`, { method: 'POST', body: form });
        const { token } = (await login.json()) as { token: string };
        const domains = await fetch(`${api}/mail/domains`, { headers: { 'Auth-token': token } });
        const upload = new FormData();
        upload.set('hostname', 'mail.panel-cors.example');
        upload.set('ssl_certificate', cert);
        upload.set('ssl_certificate_key', key);
        const uploaded = await fetch(`${api}/mail/ssl/upload`, {
          method: 'POST',
          headers: { 'Auth-token': token },
          body: upload,
        });
        const ask = async (hostname: string) => {
          const body = new FormData();
          body.set('hostname', hostname);
          return fetch(`${api}/mail/ssl/get-left-days`, {
            method: 'POST',
            headers: { 'Auth-token': token },
            body,
          });
        };
        const days = await ask('mail.panel-cors.example');
        const none = await ask('nothing-here.example');
        const unauth = await fetch(`${api}/mail/domains`, { headers: { 'Auth-token': 'forged' } });
        const listed = (await domains.json()) as { domains: { name: string }[] };
        return {
          login: login.status,
          domains: [domains.status, listed.domains.map((d) => d.name)],
          uploaded: uploaded.status,
          // the original answers {"days_left": N}: what a panel reads
          days: [days.status, ((await days.json()) as { days_left: unknown }).days_left],
          none: none.status,
          unauth: [unauth.status, await unauth.json()],
        };
      },
      { api: apiBase, email: m.alice.email, password: PASSWORD, cert: leaf.cert, key: leaf.key },
    );
    expect(result).toEqual({
      login: 200,
      domains: [200, ['panel-cors.example']],
      uploaded: 200,
      days: [200, expect.any(Number) as unknown as number],
      none: 404,
      unauth: [401, { result: false, msg: expect.any(String) as unknown as string }],
    });
    expect((result.days as [number, number])[1]).toBeGreaterThan(20);
  });
});
