import type { OpenAPIRegistry, RouteConfig } from '@ddns/v1-schema/openapi';
import { z } from 'zod';
import { ACTIONS } from './format';

/**
 * The account API's wire format (seed 003, IPv64 envelope) and the health-check ping, declared in zod for
 * /openapi.json. Documentation only: the surface parses its own bodies (form fields, aliases).
 */
export function registerAccountApi(reg: OpenAPIRegistry): void {
  const Envelope = reg.register(
    'Ipv64Envelope',
    z
      .object({ info: z.enum(['success', 'error']), status: z.string().describe('e.g. "200 OK"') })
      .passthrough()
      .describe(
        "plus a key named after the call (its answer) and the call's payload (subdomains, logs, ...)",
      ),
  );
  const json = (description: string) => ({
    description,
    content: { 'application/json': { schema: Envelope } },
  });
  const error = json('error: `info` is "error", the call key holds the reason');
  const responses: RouteConfig['responses'] = {
    '200': json('success (reads and deletions)'),
    '201': json('created (add_domain, add_record, add_healthcheck)'),
    '400': error,
    '401': error,
    '403': json('the name is not (or cannot be) in your account'),
    '429': json('more than 5 calls in 10 s, or the daily quota is used up; see Retry-After'),
    '503': json('rate limits cannot be checked right now; see Retry-After'),
  };
  const FormFields = z
    .object({
      ...Object.fromEntries(ACTIONS.map((a) => [a, z.string().optional()])),
      praefix: z
        .string()
        .optional()
        .describe('add_record/del_record: name prefix below the domain ("" or "@" = the domain)'),
      type: z.enum(['A', 'AAAA', 'TXT', 'CNAME', 'MX', 'NS', 'SRV', 'CAA']).optional(),
      content: z
        .string()
        .optional()
        .describe('record data in presentation form (MX "10 host", SRV "prio weight port host")'),
      ttl: z.number().int().min(1).max(604800).default(60).optional(),
      period: z.number().int().min(60).optional().describe('add_healthcheck: seconds between expected pings'),
      grace: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('add_healthcheck: extra seconds before the check is down'),
      apikey: z.string().optional(),
      token: z.string().optional(),
    })
    .describe(
      'exactly one call name as a field (its value: the domain, record id or check name; empty for reads)',
    );
  const body = {
    content: {
      'application/x-www-form-urlencoded': { schema: FormFields },
      'multipart/form-data': { schema: FormFields },
    },
  };
  const security: RouteConfig['security'] = [{ bearerApiKey: [] }, { basicApiKey: [] }, { queryApiKey: [] }];
  const reads = ACTIONS.filter((a) => a.startsWith('get_')) as [string, ...string[]];
  for (const path of ['/api', '/api.php']) {
    const suffix = path === '/api' ? '' : 'Php';
    reg.registerPath({
      method: 'get',
      path,
      summary: 'Read calls: get_account_info, get_logs (last 100), get_domains, get_healthchecks',
      operationId: `apiGet${suffix}`,
      tags: ['account API'],
      security,
      request: {
        query: z.object({
          call: z
            .enum(reads)
            .optional()
            .describe(
              `the call, given as a bare parameter name (e.g. \`?${reads[0]}\`): ${reads.join(', ')}`,
            ),
          apikey: z.string().optional(),
        }),
      },
      responses,
    });
    reg.registerPath({
      method: 'post',
      path,
      summary: 'add_domain, add_record, add_healthcheck (and reads, and deletions)',
      operationId: `apiPost${suffix}`,
      tags: ['account API'],
      security,
      request: { body },
      responses,
    });
    reg.registerPath({
      method: 'delete',
      path,
      summary: 'del_domain, del_record (by praefix+type+content, or by id), del_healthcheck',
      operationId: `apiDelete${suffix}`,
      tags: ['account API'],
      security,
      request: { body },
      responses,
    });
  }
  const ping = (method: 'get' | 'post', summary: string, operationId: string) =>
    reg.registerPath({
      method,
      path: '/health/{token}',
      summary,
      operationId,
      tags: ['health checks'],
      request: { params: z.object({ token: z.string() }) },
      responses: { '200': { description: 'OK' }, '404': { description: 'unknown token' } },
    });
  ping('get', 'Ping a health check', 'healthPingGet');
  ping('post', 'Ping a health check (any body is ignored)', 'healthPingPost');
  reg.registerComponent('securitySchemes', 'bearerApiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'the account API key',
  });
  reg.registerComponent('securitySchemes', 'basicApiKey', {
    type: 'http',
    scheme: 'basic',
    description: 'the account API key as either half',
  });
  reg.registerComponent('securitySchemes', 'queryApiKey', {
    type: 'apiKey',
    in: 'query',
    name: 'apikey',
    description: 'also `token`, and in form bodies',
  });
}
