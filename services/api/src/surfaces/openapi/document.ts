/**
 * The OpenAPI 3.1 description of the account API (/api), the health-check ping, the EnlightNS records API and
 * the ACME httpreq endpoints. Pure data; served at GET /openapi.json. A test checks that every path and method
 * in it is routed.
 */
import { ACTIONS } from '../account-api/format';
import { ACME_BASE } from '../acme/format';

type Obj = { [key: string]: unknown };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Obj, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const envelopeError = json(ref('Ipv64Envelope'), 'error: `info` is "error", the call key holds the reason');
const apiResponses = {
  '200': json(ref('Ipv64Envelope'), 'success (reads and deletions)'),
  '201': json(ref('Ipv64Envelope'), 'created (add_domain, add_record, add_healthcheck)'),
  '400': envelopeError,
  '401': envelopeError,
  '403': { ...envelopeError, description: 'the name is not (or cannot be) in your account' },
  '429': {
    ...envelopeError,
    description: 'more than 5 calls in 10 s, or the daily quota is used up; see Retry-After',
  },
  '503': { ...envelopeError, description: 'rate limits cannot be checked right now; see Retry-After' },
};

const formFields: Obj = {
  type: 'object',
  description:
    'exactly one call name as a field (its value: the domain, record id or check name; empty for reads)',
  properties: {
    ...Object.fromEntries(ACTIONS.map((a) => [a, { type: 'string' }])),
    praefix: {
      type: 'string',
      description: 'add_record/del_record: name prefix below the domain ("" or "@" = the domain)',
    },
    type: { type: 'string', enum: ['A', 'AAAA', 'TXT', 'CNAME', 'MX', 'NS', 'SRV', 'CAA'] },
    content: {
      type: 'string',
      description: 'record data in presentation form (MX "10 host", SRV "prio weight port host")',
    },
    ttl: { type: 'integer', minimum: 1, maximum: 604800, default: 60 },
    period: { type: 'integer', minimum: 60, description: 'add_healthcheck: seconds between expected pings' },
    grace: {
      type: 'integer',
      minimum: 0,
      description: 'add_healthcheck: extra seconds before the check is down',
    },
    apikey: { type: 'string' },
    token: { type: 'string' },
  },
};
const formBody = {
  content: {
    'application/x-www-form-urlencoded': { schema: formFields },
    'multipart/form-data': { schema: formFields },
  },
};
const apiSecurity = [{ bearerApiKey: [] }, { basicApiKey: [] }, { queryApiKey: [] }];
const callParam = (names: readonly string[]) => ({
  name: 'call',
  in: 'query',
  required: false,
  description: `the call, given as a bare parameter name (e.g. \`?${names[0]}\`): ${names.join(', ')}`,
  schema: { type: 'string', enum: names },
});

const reads = ACTIONS.filter((a) => a.startsWith('get_'));
const apiPathItem: Obj = {
  get: {
    summary: 'Read calls: get_account_info, get_logs (last 100), get_domains, get_healthchecks',
    operationId: 'apiGet',
    tags: ['account API'],
    security: apiSecurity,
    parameters: [
      callParam(reads),
      { name: 'apikey', in: 'query', required: false, schema: { type: 'string' } },
    ],
    responses: apiResponses,
  },
  post: {
    summary: 'add_domain, add_record, add_healthcheck (and reads, and deletions)',
    operationId: 'apiPost',
    tags: ['account API'],
    security: apiSecurity,
    requestBody: formBody,
    responses: apiResponses,
  },
  delete: {
    summary: 'del_domain, del_record (by praefix+type+content, or by id), del_healthcheck',
    operationId: 'apiDelete',
    tags: ['account API'],
    security: apiSecurity,
    requestBody: formBody,
    responses: apiResponses,
  },
};

const drfError = (description: string) =>
  json(
    {
      type: 'object',
      additionalProperties: true,
      description: 'DRF-style: {"detail": "..."} or {"field": ["..."]}',
    },
    description,
  );
const recordsSecurity = [{ recordsToken: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' }, example: 1 };
const putRecord = {
  summary: 'Update the content (and optionally the TTL) of one of your records',
  tags: ['records API'],
  security: recordsSecurity,
  parameters: [idParam],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['content'],
          properties: { content: { type: 'string' }, ttl: { type: 'integer', minimum: 1, maximum: 604800 } },
        },
      },
    },
  },
  responses: {
    '200': json(ref('Record'), 'the updated record'),
    '400': drfError('invalid content or ttl'),
    '401': drfError('no or invalid token'),
    '404': drfError('not one of your records'),
    '429': drfError('more than 5 calls in 10 s'),
  },
};

const acmeOp = (what: string, operationId: string) => ({
  summary: what,
  operationId,
  tags: ['ACME DNS-01'],
  security: [{ basicApiKey: [] }, { bearerApiKey: [] }],
  requestBody: {
    required: true,
    content: {
      'application/json': {
        schema: {
          oneOf: [
            {
              type: 'object',
              required: ['fqdn', 'value'],
              properties: {
                fqdn: { type: 'string', example: '_acme-challenge.name.zone.' },
                value: { type: 'string', example: 'LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmttw' },
              },
            },
            {
              type: 'object',
              description: 'lego HTTPREQ_MODE=RAW',
              required: ['domain', 'keyAuth'],
              properties: {
                domain: { type: 'string' },
                token: { type: 'string' },
                keyAuth: { type: 'string' },
              },
            },
          ],
        },
      },
    },
  },
  responses: {
    '200': json(
      { type: 'object', properties: { fqdn: { type: 'string' }, value: { type: 'string' } } },
      'done (idempotent)',
    ),
    '400': json(ref('Error'), 'bad body, not an _acme-challenge name, or a CNAME at that name'),
    '401': json(ref('Error'), 'missing or wrong API key'),
    '403': json(ref('Error'), 'not inside one of your domains'),
    '429': json(ref('Error'), 'more than 20 calls in 10 s'),
  },
});

export const OPENAPI_DOCUMENT: Obj = {
  openapi: '3.1.0',
  info: {
    title: 'ddns account, records and ACME APIs',
    version: '1.0.0',
    description:
      'IPv64-style account API (/api, /api.php), health-check pings, the EnlightNS records API and a DNS-01 ' +
      "endpoint for lego's httpreq provider. The DynDNS2 updater, gateway registration and mail APIs are documented " +
      "in their surfaces' READMEs.",
  },
  paths: {
    '/api': apiPathItem,
    '/api.php': apiPathItem,
    '/health/{token}': {
      parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'Ping a health check',
        operationId: 'healthPingGet',
        tags: ['health checks'],
        responses: { '200': { description: 'OK' }, '404': { description: 'unknown token' } },
      },
      post: {
        summary: 'Ping a health check (any body is ignored)',
        operationId: 'healthPingPost',
        tags: ['health checks'],
        responses: { '200': { description: 'OK' }, '404': { description: 'unknown token' } },
      },
    },
    '/api-token-auth': {
      post: {
        summary: 'Exchange e-mail and password for a records-API token',
        operationId: 'tokenAuth',
        tags: ['records API'],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['email', 'password'],
                properties: { email: { type: 'string' }, password: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          '200': json(
            { type: 'object', required: ['token'], properties: { token: { type: 'string' } } },
            'the token (shown once)',
          ),
          '400': drfError('missing fields or wrong credentials'),
          '429': drfError('too many failed logins from this address: locked for 10 minutes'),
        },
      },
    },
    '/user/record/': {
      get: {
        summary: 'List your records',
        operationId: 'listRecords',
        tags: ['records API'],
        security: recordsSecurity,
        parameters: [
          { name: 'type', in: 'query', required: false, schema: { type: 'string' }, example: 'A,AAAA' },
        ],
        responses: {
          '200': json({ type: 'array', items: ref('Record') }, 'your records'),
          '400': drfError('unknown type in the filter'),
          '401': drfError('no or invalid token'),
          '429': drfError('more than 5 calls in 10 s'),
        },
      },
    },
    '/user/record/{id}': {
      get: {
        summary: 'One of your records, or (a host name instead of the id) your records at that name',
        description:
          'A numeric id answers that record. A host name (`GET /user/record/home.dyn.example/`, as enlightns-cli ' +
          'asks) answers a list of your records at that name, A and AAAA first; `?type=` filters it.',
        operationId: 'getRecord',
        tags: ['records API'],
        security: recordsSecurity,
        parameters: [
          {
            ...idParam,
            description: 'a record id, or a host name',
            schema: { oneOf: [{ type: 'integer' }, { type: 'string', format: 'hostname' }] },
          },
          { name: 'type', in: 'query', required: false, schema: { type: 'string' }, example: 'A,AAAA' },
        ],
        responses: {
          '200': json(
            { oneOf: [ref('Record'), { type: 'array', items: ref('Record') }] },
            'the record (by id), or your records at the name (by host name)',
          ),
          '401': drfError('no or invalid token'),
          '404': drfError('not one of your records'),
        },
      },
      put: { ...putRecord, operationId: 'putRecord' },
      patch: { ...putRecord, operationId: 'patchRecord' },
    },
    '/tools/whatismyip/': {
      get: {
        summary: "The caller's public address (TRUST_PROXY-aware)",
        operationId: 'whatIsMyIp',
        tags: ['records API'],
        responses: {
          '200': json(
            { type: 'object', required: ['ip'], properties: { ip: { type: 'string' } } },
            'e.g. {"ip": "184.55.30.206"}',
          ),
        },
      },
    },
    [`${ACME_BASE}/present`]: {
      post: acmeOp('lego httpreq: set the TXT value of an _acme-challenge name', 'acmePresent'),
    },
    [`${ACME_BASE}/cleanup`]: { post: acmeOp('lego httpreq: remove that TXT value', 'acmeCleanup') },
    '/openapi.json': {
      get: {
        summary: 'This document',
        operationId: 'openapi',
        tags: ['operations'],
        responses: { '200': { description: 'OpenAPI 3.1 JSON' } },
      },
    },
  },
  components: {
    securitySchemes: {
      bearerApiKey: { type: 'http', scheme: 'bearer', description: 'the account API key' },
      basicApiKey: { type: 'http', scheme: 'basic', description: 'the account API key as either half' },
      queryApiKey: {
        type: 'apiKey',
        in: 'query',
        name: 'apikey',
        description: 'also `token`, and in form bodies',
      },
      recordsToken: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: 'the token from /api-token-auth, bare or as `Token <t>` / `Bearer <t>`',
      },
    },
    schemas: {
      Ipv64Envelope: {
        type: 'object',
        required: ['info', 'status'],
        properties: {
          info: { type: 'string', enum: ['success', 'error'] },
          status: { type: 'string', example: '200 OK' },
        },
        additionalProperties: true,
        description:
          "plus a key named after the call (its answer) and the call's payload (subdomains, logs, ...)",
      },
      Record: {
        type: 'object',
        required: ['id', 'name', 'type', 'content', 'ttl', 'auth', 'active', 'is_free', 'owner'],
        properties: {
          id: { type: 'integer' },
          name: { type: 'string' },
          type: { type: 'string' },
          content: { type: 'string' },
          ttl: { type: 'integer' },
          auth: { type: 'null' },
          active: { type: 'boolean' },
          is_free: { type: 'boolean', description: 'true for names under a shared zone' },
          owner: { type: 'string', description: "the account's e-mail" },
        },
      },
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
    },
  },
};
