import type { OpenAPIRegistry, RouteConfig } from '@ddns/v1-schema/openapi';
import { z } from 'zod';

/** The records API's wire format (seed 000, EnlightNS, DRF-style errors) in zod, for /openapi.json. */
export function registerRecordsApi(reg: OpenAPIRegistry): void {
  const Record = reg.register(
    'Record',
    z.object({
      id: z.number().int(),
      name: z.string(),
      type: z.string(),
      content: z.string(),
      ttl: z.number().int(),
      auth: z.null(),
      active: z.boolean(),
      is_free: z.boolean().describe('true for names under a shared zone'),
      owner: z.string().describe("the account's e-mail"),
    }),
  );
  const drf = (description: string) => ({
    description,
    content: {
      'application/json': {
        schema: z.object({}).passthrough().describe('DRF-style: {"detail": "..."} or {"field": ["..."]}'),
      },
    },
  });
  const json = (schema: z.ZodTypeAny, description: string) => ({
    description,
    content: { 'application/json': { schema } },
  });
  const security: RouteConfig['security'] = [{ recordsToken: [] }];
  const typeQuery = z.object({ type: z.string().optional().describe('a filter, e.g. A,AAAA') });

  reg.registerPath({
    method: 'post',
    path: '/api-token-auth',
    summary: 'Exchange e-mail and password for a records-API token',
    operationId: 'tokenAuth',
    tags: ['records API'],
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: z.object({ email: z.string(), password: z.string() }) } },
      },
    },
    responses: {
      '200': json(z.object({ token: z.string() }), 'the token (shown once)'),
      '400': drf('missing fields or wrong credentials'),
      '429': drf('too many failed logins from this address: locked for 10 minutes'),
    },
  });
  reg.registerPath({
    method: 'get',
    path: '/user/record/',
    summary: 'List your records',
    operationId: 'recordsApiList',
    tags: ['records API'],
    security,
    request: { query: typeQuery },
    responses: {
      '200': json(z.array(Record), 'your records'),
      '400': drf('unknown type in the filter'),
      '401': drf('no or invalid token'),
      '429': drf('more than 5 calls in 10 s'),
    },
  });
  reg.registerPath({
    method: 'get',
    path: '/user/record/{id}',
    summary: 'One of your records, or (a host name instead of the id) your records at that name',
    description:
      'A numeric id answers that record. A host name (`GET /user/record/home.dyn.example/`, as enlightns-cli ' +
      'asks) answers a list of your records at that name, A and AAAA first; `?type=` filters it.',
    operationId: 'recordsApiGet',
    tags: ['records API'],
    security,
    request: {
      params: z.object({
        id: z.union([z.number().int(), z.string()]).describe('a record id, or a host name'),
      }),
      query: typeQuery,
    },
    responses: {
      '200': json(
        z.union([Record, z.array(Record)]),
        'the record (by id), or your records at the name (by host name)',
      ),
      '401': drf('no or invalid token'),
      '404': drf('not one of your records'),
    },
  });
  const put = (method: 'put' | 'patch', operationId: string): RouteConfig => ({
    method,
    path: '/user/record/{id}',
    summary: 'Update the content (and optionally the TTL) of one of your records',
    operationId,
    tags: ['records API'],
    security,
    request: {
      params: z.object({ id: z.number().int() }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.object({ content: z.string(), ttl: z.number().int().min(1).max(604800).optional() }),
          },
        },
      },
    },
    responses: {
      '200': json(Record, 'the updated record'),
      '400': drf('invalid content or ttl'),
      '401': drf('no or invalid token'),
      '404': drf('not one of your records'),
      '429': drf('more than 5 calls in 10 s'),
    },
  });
  reg.registerPath(put('put', 'recordsApiPut'));
  reg.registerPath(put('patch', 'recordsApiPatch'));
  reg.registerPath({
    method: 'get',
    path: '/tools/whatismyip/',
    summary: "The caller's public address (TRUST_PROXY-aware)",
    operationId: 'whatIsMyIp',
    tags: ['records API'],
    responses: { '200': json(z.object({ ip: z.string() }), 'e.g. {"ip": "184.55.30.206"}') },
  });
  reg.registerComponent('securitySchemes', 'recordsToken', {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'the token from /api-token-auth, bare or as `Token <t>` / `Bearer <t>`',
  });
}
