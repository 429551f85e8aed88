import { buildOpenApiDocument } from '@ddns/v1-schema/openapi';
import { openApiPath, pathFor, RecordInput, V1_ROUTES } from '@ddns/v1-schema';

describe('the /v1 route table', () => {
  it('has one route per method and path, and unique ids', () => {
    const keys = V1_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(V1_ROUTES.map((r) => r.id)).size).toBe(V1_ROUTES.length);
    for (const r of V1_ROUTES) expect(r.path.startsWith('/v1/')).toBe(true);
  });

  it('scopes only account routes, and path parameters have schemas', () => {
    for (const r of V1_ROUTES) {
      if ('scope' in r) expect(r.auth).toBe('account');
      if (r.path.includes(':')) expect('params' in r && r.params).toBeTruthy();
    }
  });

  it('documents every route in OpenAPI 3', () => {
    const doc = buildOpenApiDocument({});
    expect(doc.openapi).toBe('3.1.0');
    for (const r of V1_ROUTES) expect(doc.paths?.[openApiPath(r.path)]?.[r.method]?.operationId).toBe(r.id);
  });

  it('fills path parameters', () => {
    expect(pathFor('/v1/domains/:name/records/:id', { name: 'a b', id: 3 })).toBe(
      '/v1/domains/a%20b/records/3',
    );
  });

  it('reports record errors per field', () => {
    const r = RecordInput.safeParse({ type: 'MX', priority: 70000, target: '' });
    expect(r.success).toBe(false);
    const fields = r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['priority', 'target']));
  });
});
