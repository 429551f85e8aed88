import request from 'supertest';
import { addDomain, setAccountDisabled, type CreatedAccount } from '@ddns/registry';
import { account, sharedZone } from '@ddns/testkit';
import { resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

/** What `ddns account disable` promises: every secret of the account stops working, and enable restores it. */
let h: TestApp;
let a: CreatedAccount;
let domainToken: string;
let recordsToken: string;
let mailToken: string;
const HOST = 'disabled-home.dyn.test';

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await account(h.t.db, { class: 'unlimited' });
  domainToken = (await addDomain(h.t.db, { name: HOST, accountId: a.id })).token;
  recordsToken = (
    await request(h.app).post('/api-token-auth').send({ email: a.email, password: 'password123' })
  ).body.token as string;
  mailToken = (
    await request(h.app).post('/mail/auth').type('form').send({ username: a.email, password: 'password123' })
  ).body.token as string;
  expect(recordsToken).toBeTruthy();
  expect(mailToken).toBeTruthy();
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

/** Each way in, as a status code (and the DynDNS2 reply text). */
async function attempts() {
  const update = (token: string) =>
    request(h.app).get('/nic/update').query({ hostname: HOST, myip: '192.0.2.7' }).auth('none', token);
  return {
    apiKey: (await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${a.apiKey}`))
      .status,
    updateToken: (await update(a.updateToken)).text.trim(),
    domainToken: (await update(domainToken)).text.trim(),
    password: (await request(h.app).post('/api-token-auth').send({ email: a.email, password: 'password123' }))
      .status,
    recordsToken: (await request(h.app).get('/user/record/').set('Authorization', `Token ${recordsToken}`))
      .status,
    mailLogin: (
      await request(h.app)
        .post('/mail/auth')
        .type('form')
        .send({ username: a.email, password: 'password123' })
    ).status,
    mailToken: (await request(h.app).get('/mail/domains').set('Auth-token', mailToken)).status,
  };
}

test('a disabled account is refused on every surface, and enabled again it works', async () => {
  const working = {
    apiKey: 200,
    updateToken: expect.stringMatching(/^(good|nochg) 192\.0\.2\.7$/),
    domainToken: expect.stringMatching(/^(good|nochg) 192\.0\.2\.7$/),
    password: 200,
    recordsToken: 200,
    mailLogin: 200,
    mailToken: 200,
  };
  expect(await attempts()).toEqual(working);

  await setAccountDisabled(h.t.db, a.email, true);
  await resetLimits(h);
  expect(await attempts()).toEqual({
    apiKey: 401,
    updateToken: 'badauth',
    domainToken: 'badauth',
    password: 400,
    recordsToken: 401,
    mailLogin: 401,
    mailToken: 401,
  });

  await setAccountDisabled(h.t.db, a.email, false);
  await resetLimits(h);
  expect(await attempts()).toEqual(working);
});
