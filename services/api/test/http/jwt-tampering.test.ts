import { createHmac } from 'node:crypto';
import request from 'supertest';
import { SignJWT } from 'jose';
import { account } from '@ddns/testkit';
import { issueMailToken } from '../../src/surfaces/mail/token';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * Tampered mail Auth-tokens (the audit's JWT probes): every variant an attacker can make from a token of
 * their own, without the server's secret, is 401 `{"result":false,...}`, and the untouched token works.
 */
let h: TestApp;
let own: string;
let adminId: number;

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const parts = (t: string) => t.split('.') as [string, string, string];
const claims = (t: string) =>
  JSON.parse(Buffer.from(parts(t)[1], 'base64url').toString()) as Record<string, unknown>;

beforeAll(async () => {
  h = await createTestApp();
  const mallory = await account(h.t.db);
  adminId = (await account(h.t.db, { admin: true })).id;
  own = await issueMailToken(h.deps.config.JWT_SECRET, mallory);
});
afterAll(async () => {
  await h.close();
});

test('the untouched token is accepted', async () => {
  expect((await request(h.app).get('/mail/domains').set('Auth-token', own)).status).toBe(200);
});

test.each<[string, () => Promise<string> | string]>([
  [
    'signed with the real secret but without an expiry (a token that would never die)',
    () =>
      new SignJWT({ username: 'x' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(adminId))
        .setAudience('ddns-mail')
        .setIssuedAt()
        .sign(new TextEncoder().encode(h.deps.config.JWT_SECRET)),
  ],
  [
    'signed with the real secret, valid for a year (longer than any token we issue)',
    () =>
      new SignJWT({ username: 'x' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(adminId))
        .setAudience('ddns-mail')
        .setIssuedAt()
        .setExpirationTime('365d')
        .sign(new TextEncoder().encode(h.deps.config.JWT_SECRET)),
  ],
  [
    'payload changed to the admin, signature kept',
    () => {
      const [hd, , sig] = parts(own);
      return `${hd}.${b64({ ...claims(own), sub: String(adminId) })}.${sig}`;
    },
  ],
  [
    'alg none, no signature',
    () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(own), sub: String(adminId) })}.`,
  ],
  ['alg none, signature kept', () => `${b64({ alg: 'none' })}.${parts(own)[1]}.${parts(own)[2]}`],
  ['signature stripped', () => `${parts(own)[0]}.${parts(own)[1]}.`],
  [
    'expiry pushed out, signature kept',
    () => {
      const [hd, , sig] = parts(own);
      return `${hd}.${b64({ ...claims(own), exp: 4102444800 })}.${sig}`;
    },
  ],
  [
    'HS512 with a guessed secret',
    () =>
      new SignJWT({ username: 'x' })
        .setProtectedHeader({ alg: 'HS512' })
        .setSubject(String(adminId))
        .setAudience('ddns-mail')
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('secret')),
  ],
  [
    'HS256 with an empty-ish secret',
    () => {
      const head = b64({ alg: 'HS256', typ: 'JWT' });
      const body = b64({ sub: String(adminId), aud: 'ddns-mail', exp: Math.floor(Date.now() / 1000) + 600 });
      const sig = createHmac('sha256', '').update(`${head}.${body}`).digest('base64url');
      return `${head}.${body}.${sig}`;
    },
  ],
  [
    'RS256 header over the HMAC signature',
    () => `${b64({ alg: 'RS256', typ: 'JWT' })}.${parts(own)[1]}.${parts(own)[2]}`,
  ],
  [
    'another audience',
    () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(adminId))
        .setAudience('someone-else')
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('not-the-secret-0123456789')),
  ],
  ['two tokens glued', () => `${own}.${own}`],
  ['header with a NUL', () => `${b64('{"alg":"HS256\u0000"}')}.${parts(own)[1]}.${parts(own)[2]}`],
  [
    'kid / jku injection',
    () =>
      `${b64({ alg: 'HS256', kid: '../../dev/null', jku: 'http://evil.test/k' })}.${parts(own)[1]}.${parts(own)[2]}`,
  ],
])('%s: 401', async (_name, make) => {
  const token = await make();
  const res = await request(h.app).get('/mail/domains').set('Auth-token', token);
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ result: false });
  const bearer = await request(h.app).get('/mail/domains').set('Authorization', `Bearer ${token}`);
  expect(bearer.status).toBe(401);
});
