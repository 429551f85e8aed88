import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { startServers, type RunningServers } from '../src/server';
import { createTestApp, type TestApp } from './support/test-app';

let h: TestApp;
let servers: RunningServers;
let dir: string;

function makeCert(cn: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}

function get(url: string): Promise<{ status: number; body: string; cn?: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const peer =
          'getPeerCertificate' in res.socket
            ? (res.socket as import('node:tls').TLSSocket).getPeerCertificate(false)
            : undefined;
        const cn = peer?.raw ? new X509Certificate(peer.raw).subject.replace(/^CN=/, '') : undefined;
        resolve({ status: res.statusCode ?? 0, body, cn });
      });
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ddns-tls-'));
  makeCert('first.test');
  h = await createTestApp();
  const config = {
    ...h.deps.config,
    API_HOST: '127.0.0.1',
    API_PORT: 0,
    API_HTTP_PORT: 0,
    TLS_CERT_FILE: join(dir, 'cert.pem'),
    TLS_KEY_FILE: join(dir, 'key.pem'),
  };
  servers = await startServers(h.app, config, h.deps.logger, { tlsReloadIntervalMs: 50 });
});
afterAll(async () => {
  await servers.close();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

const port = (s: http.Server) => (s.address() as AddressInfo).port;

test('with TLS files set, the API answers over HTTPS', async () => {
  const r = await get(`https://127.0.0.1:${port(servers.main)}/healthz`);
  expect(r.status).toBe(200);
  expect(r.cn).toBe('first.test');
});

test('the plain-HTTP port answers only the updater paths', async () => {
  const plain = `http://127.0.0.1:${port(servers.plain!)}`;
  const other = await get(`${plain}/healthz`);
  expect(other.status).toBe(404);
  expect(other.body).toMatch(/use HTTPS/);
  for (const p of ['/nic/update', '/update', '/update.php', '/tools/whatismyip/']) {
    const r = await get(`${plain}${p}?hostname=x.example`);
    expect(r.body).not.toMatch(/use HTTPS/);
  }
});

test('a renewed certificate is picked up without a restart', async () => {
  makeCert('second.test');
  const until = Date.now() + 10_000;
  let cn: string | undefined;
  while (Date.now() < until) {
    cn = (await get(`https://127.0.0.1:${port(servers.main)}/healthz`)).cn;
    if (cn === 'second.test') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(cn).toBe('second.test');
});
