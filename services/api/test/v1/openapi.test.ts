import { openApiPath, V1_ROUTES } from '@ddns/v1-schema';
import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp();
});
afterAll(async () => {
  await h.close();
});

type Op = { operationId?: string; responses?: Record<string, unknown> };
type Doc = { openapi: string; paths: Record<string, Record<string, Op>>; components: { schemas: object } };

test('/openapi.json documents every /v1 route next to the older surfaces', async () => {
  const res = await request(h.app).get('/openapi.json');
  expect(res.status).toBe(200);
  const doc = res.body as Doc;
  expect(doc.openapi).toBe('3.1.0');
  for (const r of V1_ROUTES) {
    const op = doc.paths[openApiPath(r.path)]?.[r.method];
    expect({ route: r.id, op: op?.operationId, ok: Boolean(op?.responses?.[String(r.status)]) }).toEqual({
      route: r.id,
      op: r.id,
      ok: true,
    });
  }
  for (const p of ['/api', '/api-token-auth', '/user/record/{id}']) expect(doc.paths[p]).toBeDefined();
  // valid OpenAPI 3.1 (the specification's JSON schema), every $ref resolves
  await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeTruthy();
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
    (m) => m[1]!,
  );
  for (const name of refs) expect(Object.keys(doc.components.schemas)).toContain(name);
});
