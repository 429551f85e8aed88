import type { AddressInfo } from 'node:net';
import { startServers, type RunningServers } from '../../src/server';
import { createTestApp, type TestApp } from '../support/test-app';
import { rawRequest, type RawOutcome } from './support/raw-http';

/**
 * What Node's parser refuses is answered and closed gracefully (RFC 9112 §9.6): the audit saw a request line
 * over 16 KiB with a body reset (no 431) in 2-35 of 1500 requests. On loopback the race rarely shows with one
 * kind of request; the fuzz (fuzz.test.ts: 134 resets in 10,000 before, 0 after) is the test that catches it.
 */
const COUNT = 1500;
let h: TestApp;
let servers: RunningServers;
let port: number;

beforeAll(async () => {
  // headers timeout 6 s: short enough for the 408 test below, long enough that none of the 1500 requests of the
  // first test (a loaded 2-core CI machine delays some by 2 s and more) ends as a 408
  h = await createTestApp({ API_HEADERS_TIMEOUT_SECONDS: '6', API_REQUEST_TIMEOUT_SECONDS: '8' });
  servers = await startServers(
    h.app,
    { ...h.deps.config, API_HOST: '127.0.0.1', API_PORT: 0 },
    h.deps.logger,
  );
  port = (servers.main.address() as AddressInfo).port;
});
afterAll(async () => {
  await servers.close();
  await h.close();
});

const kind = (o: RawOutcome) => (o.kind === 'response' ? o.status : o.kind);

test(`${COUNT} request lines over 16 KiB with a body: all 431 with a body, no reset`, async () => {
  const outcomes: (number | string)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < COUNT) {
      const i = next++;
      const body = Buffer.alloc(20_000 + (i % 20) * 2000, 0x62);
      const head = `POST /update?pad=${'q'.repeat(16_500 + (i % 7) * 1000)} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`;
      outcomes.push(kind(await rawRequest(Buffer.concat([Buffer.from(head), body]), { port })));
    }
  };
  await Promise.all(Array.from({ length: 30 }, worker));
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o] = (counts[o] ?? 0) + 1;
  expect(counts).toEqual({ 431: COUNT });
}, 180_000);

test('a 413 with the body unread and Connection: close is not reset either', async () => {
  const body = Buffer.alloc(3_000_000, 0x61);
  const head = `POST /api HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  const o = await rawRequest(Buffer.concat([Buffer.from(head), body]), { port });
  expect(kind(o)).toBe(413);
});

test('CONNECT: 405; headers that never finish: 408; garbage: 400', async () => {
  expect(kind(await rawRequest(Buffer.from('CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n'), { port }))).toBe(405);
  expect(kind(await rawRequest(Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n'), { port }))).toBe(408);
  expect(kind(await rawRequest(Buffer.from('\u0000\u0001garbage\r\n\r\n'), { port }))).toBe(400);
});
