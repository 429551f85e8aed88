import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';
import { apiAccount } from '../support/api-helpers';

let h: TestApp;
let pingToken = '';
beforeAll(async () => {
  h = await createTestApp();
  const a = await apiAccount(h.t.db);
  const res = await request(h.app)
    .post('/api')
    .set('Authorization', `Bearer ${a.apiKey}`)
    .type('form')
    .send({ add_healthcheck: 'openapi' });
  pingToken = res.body.healthtoken;
});
afterAll(async () => {
  await h.close();
});

type Doc = { openapi: string; paths: Record<string, Record<string, { responses?: object }>> };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

test('/openapi.json is an OpenAPI 3.1 document', async () => {
  const res = await request(h.app).get('/openapi.json');
  expect(res.status).toBe(200);
  expect(res.type).toBe('application/json');
  const doc = res.body as Doc;
  expect(doc.openapi).toBe('3.1.0');
  for (const [path, item] of Object.entries(doc.paths))
    for (const m of METHODS)
      if (item[m])
        expect({ path, m, responses: Boolean(item[m]!.responses) }).toEqual({ path, m, responses: true });
});

test('every path and method in the document is routed (never 404)', async () => {
  const doc = (await request(h.app).get('/openapi.json')).body as Doc;
  const checked: string[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const path = template.replace('{token}', pingToken).replace('{id}', '1');
    for (const m of METHODS) {
      if (!item[m]) continue;
      const res = await request(h.app)[m](path).send({});
      expect({
        route: `${m.toUpperCase()} ${template}`,
        status: res.status === 404 ? 404 : 'routed',
      }).toEqual({
        route: `${m.toUpperCase()} ${template}`,
        status: 'routed',
      });
      checked.push(`${m.toUpperCase()} ${template}`);
    }
  }
  expect(checked).toEqual(
    expect.arrayContaining([
      'GET /api',
      'POST /api',
      'DELETE /api',
      'GET /api.php',
      'GET /health/{token}',
      'POST /health/{token}',
      'POST /api-token-auth',
      'GET /user/record/',
      'GET /user/record/{id}',
      'PUT /user/record/{id}',
      'POST /acme/httpreq/present',
      'POST /acme/httpreq/cleanup',
      'GET /openapi.json',
    ]),
  );
});

test('a route that does not exist is 404 (the check above can fail)', async () => {
  expect((await request(h.app).get('/user/records-nope')).status).toBe(404);
  expect((await request(h.app).put('/api-token-auth')).status).toBe(404);
});
