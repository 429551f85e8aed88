import request from 'supertest';
import { account, sharedZone } from '@ddns/testkit';
import { createTestApp, type TestApp } from '../../support/test-app';

export const MAIL_HOST = 'mx.mailhost.test';
export const PASSWORD = 'password123';

type CreatedAccount = Awaited<ReturnType<typeof account>>;

export interface MailHarness {
  h: TestApp;
  alice: CreatedAccount;
  bob: CreatedAccount;
  admin: CreatedAccount;
  tokens: { alice: string; bob: string; admin: string };
}

/** A test app with a shared zone and three accounts (two users, one admin), each with an Auth-token. */
export async function mailHarness(): Promise<MailHarness> {
  const h = await createTestApp({ MAIL_HOST });
  await sharedZone(h.t.db, 'dyn.test');
  const alice = await account(h.t.db);
  const bob = await account(h.t.db);
  const admin = await account(h.t.db, { admin: true });
  const tokens = {
    alice: await login(h, alice.email),
    bob: await login(h, bob.email),
    admin: await login(h, admin.email),
  };
  return { h, alice, bob, admin, tokens };
}

export async function login(h: TestApp, email: string, password = PASSWORD): Promise<string> {
  const res = await request(h.app).post('/mail/auth').field('username', email).field('password', password);
  if (res.status !== 200 || typeof res.body.token !== 'string') throw new Error(`login failed: ${res.text}`);
  return res.body.token as string;
}

/** Creates a mail domain (form-data, as the document's curl) and returns the response body. */
export async function createMailDomain(
  h: TestApp,
  token: string,
  domain: string,
  username = 'admin',
  password = 'mailbox-pass-1',
): Promise<{ domain: { id: number; name: string }; user: { id: number; email: string } }> {
  const res = await request(h.app)
    .post('/mail/domains')
    .set('Auth-token', token)
    .field('domain', domain)
    .field('username', username)
    .field('password', password);
  if (res.status !== 201) throw new Error(`create domain failed: ${res.status} ${res.text}`);
  return res.body as { domain: { id: number; name: string }; user: { id: number; email: string } };
}
