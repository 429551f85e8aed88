import { buildOpenApiDocument, type OpenApiDocument } from '@ddns/v1-schema/openapi';
import { registerAccountApi } from '../account-api/openapi';
import { registerAcme } from '../acme/openapi';
import { registerRecordsApi } from '../records-api/openapi';

/**
 * The OpenAPI 3.1 document served at GET /openapi.json, generated (zod-to-openapi): /v1 from
 * @ddns/v1-schema, and the account API, health-check pings, records API and ACME httpreq endpoints from the
 * zod declarations next to each surface (`<surface>/openapi.ts`). The DynDNS2 updater, gateway registration
 * and mail APIs are documented in their surfaces' READMEs. A test checks that every path and method is routed.
 */
export function openapiDocument(): OpenApiDocument {
  return buildOpenApiDocument({
    title: 'ddns APIs',
    version: '1.0.0',
    description:
      '/v1: the REST API for people and scripts (sessions or scoped API keys). IPv64-style account API ' +
      "(/api, /api.php), health-check pings, the EnlightNS records API and a DNS-01 endpoint for lego's " +
      'httpreq provider keep the wire formats of the clients that already speak them. The DynDNS2 updater, ' +
      "gateway registration and mail APIs are documented in their surfaces' READMEs.",
    extend: (reg) => {
      registerAccountApi(reg);
      registerRecordsApi(reg);
      registerAcme(reg);
      reg.registerPath({
        method: 'get',
        path: '/openapi.json',
        summary: 'This document',
        operationId: 'openapi',
        tags: ['operations'],
        responses: { '200': { description: 'OpenAPI 3.1 JSON' } },
      });
    },
  });
}
