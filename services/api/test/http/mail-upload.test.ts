import { account, createTestDatabase, testEnv, type TestDatabase } from '@ddns/testkit';
import { issueMailToken } from '../../src/surfaces/mail/token';
import { startApiProcess, type ApiProcess } from './support/api-process';
import { rawRequest, type RawOutcome } from './support/raw-http';

/**
 * /mail checks the Auth-token before it reads a body: 40 anonymous 5 MB uploads (the audit measured +126 to
 * +245 MiB of API memory) are answered 401 without being buffered, and even an authenticated caller cannot
 * send more than the mail surface's small body limit.
 */
let t: TestDatabase;
let api: ApiProcess;
let jwt: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const a = await account(t.db);
  jwt = await issueMailToken(testEnv().JWT_SECRET!, a);
  api = await startApiProcess(t.url);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await t?.destroy();
});

const MiB = 1024 * 1024;

function upload(path: string, size: number, headers: string[] = []): Promise<RawOutcome> {
  const boundary = '----upload';
  const body = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="ssl_certificate"; filename="c.pem"\r\n\r\n`,
    ),
    Buffer.alloc(size, 0x41),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const head = [
    `POST ${path} HTTP/1.1`,
    'Host: x',
    `Content-Type: multipart/form-data; boundary=${boundary}`,
    `Content-Length: ${body.length}`,
    ...headers,
    'Connection: close',
  ].join('\r\n');
  return rawRequest(Buffer.concat([Buffer.from(`${head}\r\n\r\n`), body]), {
    port: api.port,
    timeoutMs: 60_000,
  });
}

const statusOf = (o: RawOutcome) => (o.kind === 'response' ? o.status : o.kind);

test('40 anonymous 5 MB uploads: 401 each, API memory stays flat', async () => {
  // warm up (first requests load code) before taking the baseline
  await upload('/mail/ssl/upload', 1000);
  const before = api.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, api.rss())), 20);
  const outcomes = await Promise.all(Array.from({ length: 40 }, () => upload('/mail/ssl/upload', 5 * MiB)));
  clearInterval(sampler);
  peak = Math.max(peak, api.rss());
  const grewMiB = (peak - before) / MiB;
  process.stdout.write(`40 anonymous 5 MB uploads: API RSS +${grewMiB.toFixed(1)} MiB at peak\n`);
  expect(outcomes.map(statusOf)).toEqual(Array(40).fill(401));
  // 40 buffered uploads would be 200 MiB; discarding them costs a few socket buffers
  expect(grewMiB).toBeLessThan(48);
}, 120_000);

test('a 5 MB body is refused (413 JSON) before reading, for /mail/auth and for an authenticated caller', async () => {
  for (const o of [
    await upload('/mail/auth', 5 * MiB),
    await upload('/mail/ssl/upload', 5 * MiB, [`Auth-token: ${jwt}`]),
  ]) {
    expect(statusOf(o)).toBe(413);
    if (o.kind === 'response') expect(JSON.parse(o.body.toString())).toMatchObject({ result: false });
  }
});

test('an authenticated upload within the limits is read (a bad certificate: 400, not 401/413)', async () => {
  const o = await upload('/mail/ssl/upload', 2000, [`Auth-token: ${jwt}`]);
  expect(statusOf(o)).toBe(400);
});
