import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { buildWeb, firstLoadWeight, formatWeight } from '../../../../scripts/web-build';
import { createApp } from '../../src/app';
import { DASHBOARD_CSP } from '../../src/surfaces/web/headers';
import { createTestApp, type TestApp } from '../support/test-app';
import { CHROMIUM_ARGS } from './support/browser';

/** The dashboard as the API serves it: built by Vite, index.html for its paths only, strict CSP, hashed assets. */
jest.setTimeout(120_000);

let h: TestApp;
let dir: string;
let server: Server;
let base: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ddns-web-'));
  await buildWeb(dir);
  h = await createTestApp();
  h.deps.web = { dir };
  h.app = createApp(h.deps);
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('dashboard paths answer index.html with a strict CSP; nothing inline', async () => {
  for (const path of ['/', '/login', '/domains', '/domains/home.dyn.test', '/account/', '/admin/accounts']) {
    const res = await request(h.app).get(path);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/html');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(res.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
    // no inline script or style that the CSP would block
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/<style|style="/);
  }
});

test('hashed assets: a year immutable, brotli or gzip as asked; unknown assets 404', async () => {
  const html = (await request(h.app).get('/')).text;
  const js = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
  const css = /href="(\/assets\/[^"]+\.css)"/.exec(html)![1]!;
  const br = await request(h.app).get(js).set('Accept-Encoding', 'gzip, deflate, br');
  expect(br.status).toBe(200);
  expect(br.headers['content-encoding']).toBe('br');
  expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect(br.headers['content-type']).toMatch(/^text\/javascript/);
  const gz = await request(h.app).get(css).set('Accept-Encoding', 'gzip');
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gz.headers['content-type']).toMatch(/^text\/css/);
  expect((await request(h.app).get('/assets/nope-123.js')).status).toBe(404);
});

test('the other surfaces keep their answers: the dashboard shadows none of them', async () => {
  expect((await request(h.app).get('/healthz')).body).toEqual({ status: 'ok' });
  const openapi = await request(h.app).get('/openapi.json');
  expect(openapi.status).toBe(200);
  expect(openapi.type).toBe('application/json');
  const nic = await request(h.app).get('/nic/update');
  expect(nic.type).not.toBe('text/html');
  expect((await request(h.app).get('/admin/queues')).status).toBe(401);
  for (const path of ['/v1/nothing-here', '/api/x', '/mail/x', '/nope', '/domains/a/b', '/favicon.ico'])
    expect((await request(h.app).get(path)).type).not.toBe('text/html');
  expect((await request(h.app).post('/login')).status).toBe(404);
});

test('first-load weight stays under 200 KB compressed', () => {
  const w = firstLoadWeight(dir);
  process.stdout.write(`dashboard ${formatWeight(w)}\n`);
  expect(w.gzip).toBeLessThan(200 * 1024);
});

test('Chromium: the login page renders under the CSP, no violation, no request leaves this host', async () => {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    const page = await browser.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${base}/`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor({ timeout: 60_000 });
    expect(await page.getByLabel('E-mail').count()).toBe(1);
    expect(page.url()).toBe(`${base}/login`);
    expect(problems).toEqual([]);
    expect(requested.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
  } finally {
    await browser?.close();
  }
});
