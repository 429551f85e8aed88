import request from 'supertest';
import { sharedZone } from '@ddns/testkit';
import { startSmtpCapture, type SmtpCapture } from '../../../mailer/test/support/smtp-capture';
import { startTestMailer } from '../../../mailer/test/support/test-mailer';
import type { RunningMailer } from '../../../mailer/src/worker';
import { createTestApp, type TestApp } from '../support/test-app';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PUBLIC_URL = 'http://gateways.example.test';

let h: TestApp;
let smtp: SmtpCapture;
let mailer: RunningMailer;

beforeAll(async () => {
  h = await createTestApp({ PUBLIC_URL });
  await sharedZone(h.t.db, 'dyn.test');
  smtp = await startSmtpCapture();
  mailer = await startTestMailer({
    db: h.t.db,
    databaseUrl: h.t.url,
    smtpUrl: smtp.url,
    prefix: h.deps.redisPrefix,
    // the mailer writes the links (it mints their secrets)
    env: { PUBLIC_URL },
  });
});

afterAll(async () => {
  await mailer.stop();
  await smtp.close();
  await h.close();
});

test('the whole gateway life cycle, as the WebThings gateway performs it', async () => {
  const api = request(h.app);
  const owner = 'Owner@Example.COM';

  // subscribe
  const sub = await api.get('/subscribe').query({ name: ' Demo ', email: owner });
  expect(sub.status).toBe(200);
  expect(sub.type).toBe('application/json');
  expect(Object.keys(sub.body).sort()).toEqual(['name', 'token']);
  expect(sub.body.name).toBe('demo');
  expect(sub.body.token).toMatch(UUID4);
  const token1: string = sub.body.token;
  const row = await h.t.db
    .selectFrom('domains')
    .selectAll()
    .where('name', '=', 'demo.dyn.test')
    .executeTakeFirstOrThrow();
  expect(row.mode).toBe(0);
  expect(row.token_hash).not.toContain(token1);
  expect(row.description).toContain('demo');

  // setemail with optout, then verify through the link in the captured mail
  const set = await api.get('/setemail').query({ token: token1, email: owner, optout: '1' });
  expect(set.status).toBe(200);
  expect(set.text).toBe('');
  const verifyMail = await smtp.waitFor((m) => m.to.includes('Owner@example.com'));
  expect(verifyMail.subject).toContain('demo.dyn.test');
  const link = /(https?:\/\/\S+\/verifyemail\?s=[0-9a-f-]+)/.exec(verifyMail.text)?.[1];
  expect(link).toBeDefined();
  expect(link!.startsWith(`${PUBLIC_URL}/verifyemail?s=`)).toBe(true);
  expect(verifyMail.html).toContain(link!.replace(/&/g, '&amp;'));
  const url = new URL(link!);
  const verified = await api.get(url.pathname + url.search);
  expect(verified.status).toBe(200);
  expect(verified.type).toBe('text/html');
  expect(verified.text).toContain('verified');
  let info = await api.get('/info').query({ token: token1 });
  expect(info.status).toBe(200);
  expect(info.body).toMatchObject({
    name: 'demo',
    domain: 'demo.dyn.test',
    email: 'Owner@example.com',
    emailVerified: true,
    emailOptout: true,
    mode: 0,
  });
  // the link works once
  expect((await api.get(url.pathname + url.search)).status).toBe(404);

  // dnsconfig: the ACME TXT value
  const challenge = 'x'.repeat(20) + '_-' + 'A1b2C3d4e5F6g7h8i9J0k'; // 43 chars, base64url
  expect(challenge).toHaveLength(43);
  expect((await api.get('/dnsconfig').query({ token: token1, challenge })).status).toBe(200);
  const txt = await h.t.db
    .selectFrom('records')
    .selectAll()
    .where('name', '=', '_acme-challenge.demo.dyn.test')
    .execute();
  expect(txt).toHaveLength(1);
  expect(txt[0]).toMatchObject({ type: 'TXT', content: challenge, domain_id: row.id, zone_id: row.zone_id });
  expect(txt[0]!.ttl).toBeLessThanOrEqual(120);

  // ping: the source address and time
  expect((await api.get('/ping').query({ token: token1 })).status).toBe(200);
  info = await api.get('/info').query({ token: token1 });
  expect(info.body.lastPingIpv4).toBe('127.0.0.1');
  expect(typeof info.body.lastPing).toBe('string');

  // the name is taken; the owner's e-mail says reclamation is possible
  const taken = await api.get('/subscribe').query({ name: 'demo', email: owner });
  expect(taken.status).toBe(400);
  expect(taken.body).toEqual({ error: 'UnavailableNameReclamationPossible' });

  // reclaim: the token arrives by mail
  const reclaim = await api.get('/reclaim?name=demo');
  expect(reclaim.status).toBe(200);
  expect(reclaim.text).toBe('');
  const reclaimMail = await smtp.waitFor((m) => /reclamation token/i.test(m.text));
  expect(reclaimMail.to).toEqual(['Owner@example.com']);
  const reclamationToken = /Reclamation token: ([0-9a-f-]{36})/.exec(reclaimMail.text)?.[1];
  expect(reclamationToken).toMatch(UUID4);
  expect(reclaimMail.html).toContain(reclamationToken!);

  // subscribe with it: a new token; the old one is dead
  const again = await api.get('/subscribe').query({ name: 'demo', reclamationToken, mode: 'DynamicDNS' });
  expect(again.status).toBe(200);
  expect(again.body.name).toBe('demo');
  expect(again.body.token).toMatch(UUID4);
  const token2: string = again.body.token;
  expect(token2).not.toBe(token1);
  expect((await api.get('/info').query({ token: token1 })).status).toBe(404);
  info = await api.get('/info').query({ token: token2 });
  expect(info.body).toMatchObject({ mode: 1, email: 'Owner@example.com', emailVerified: true });

  // revokeemail
  expect((await api.get('/revokeemail').query({ token: token2 })).status).toBe(200);
  info = await api.get('/info').query({ token: token2 });
  expect(info.body).toMatchObject({ email: null, emailVerified: false });
  const noMail = await api.get('/reclaim?name=demo');
  expect(noMail.status).toBe(400);
  expect(noMail.body).toEqual({ error: 'NoEmail' });

  // unsubscribe
  const un = await api.get('/unsubscribe').query({ token: token2 });
  expect(un.status).toBe(200);
  expect(un.text).toBe('');
  expect((await api.get('/info').query({ token: token2 })).status).toBe(404);
  expect(
    await h.t.db.selectFrom('domains').select('id').where('name', '=', 'demo.dyn.test').executeTakeFirst(),
  ).toBeUndefined();
  expect(
    await h.t.db.selectFrom('records').select('id').where('domain_id', '=', row.id).executeTakeFirst(),
  ).toBeUndefined();
  // the name is free again
  expect((await api.get('/subscribe').query({ name: 'demo' })).status).toBe(200);
  expect(smtp.mails).toHaveLength(2);
});
