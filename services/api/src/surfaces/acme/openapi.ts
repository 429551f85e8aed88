import type { OpenAPIRegistry } from '@ddns/v1-schema/openapi';
import { z } from 'zod';
import { ACME_BASE } from './format';

/** The lego httpreq endpoints' wire format in zod, for /openapi.json. */
export function registerAcme(reg: OpenAPIRegistry): void {
  const AcmeError = reg.register('Error', z.object({ error: z.string() }));
  const err = (description: string) => ({
    description,
    content: { 'application/json': { schema: AcmeError } },
  });
  const Body = z.union([
    z.object({ fqdn: z.string().describe('e.g. _acme-challenge.name.zone.'), value: z.string() }),
    z
      .object({ domain: z.string(), token: z.string().optional(), keyAuth: z.string() })
      .describe('lego HTTPREQ_MODE=RAW'),
  ]);
  const op = (what: string, operationId: string, path: string) =>
    reg.registerPath({
      method: 'post',
      path,
      summary: what,
      operationId,
      tags: ['ACME DNS-01'],
      security: [{ basicApiKey: [] }, { bearerApiKey: [] }],
      request: { body: { required: true, content: { 'application/json': { schema: Body } } } },
      responses: {
        '200': {
          description: 'done (idempotent)',
          content: {
            'application/json': { schema: z.object({ fqdn: z.string(), value: z.string() }).partial() },
          },
        },
        '400': err('bad body, not an _acme-challenge name, or a CNAME at that name'),
        '401': err('missing or wrong API key'),
        '403': err('not inside one of your domains'),
        '429': err('more than 20 calls in 10 s'),
      },
    });
  op('lego httpreq: set the TXT value of an _acme-challenge name', 'acmePresent', `${ACME_BASE}/present`);
  op('lego httpreq: remove that TXT value', 'acmeCleanup', `${ACME_BASE}/cleanup`);
}
