import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBody } from './common';
import { openApiPath, V1_ROUTES, type RouteDef } from './routes';

extendZodWithOpenApi(z);

export type { RouteConfig };
export { OpenAPIRegistry };
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorBody } },
});

function v1Security(def: RouteDef): RouteConfig['security'] {
  if (def.auth === 'none') return [];
  if (def.auth === 'account') return [{ session: [] }, { apiKey: [] }];
  return [{ session: [] }];
}

function v1RouteConfig(def: RouteDef): RouteConfig {
  const responses: RouteConfig['responses'] = {
    [String(def.status)]: def.response
      ? {
          description: def.summary,
          content: { [def.contentType ?? 'application/json']: { schema: def.response } },
        }
      : { description: def.summary },
    '400': errorResponse('invalid request: `error.fields` names each offending field'),
    '429': errorResponse('too many requests (Retry-After)'),
  };
  if (def.auth !== 'none') {
    responses['401'] = errorResponse('not logged in, or a wrong or expired API key');
    responses['403'] = errorResponse('not allowed (scope, CSRF, another account, not an admin)');
  }
  if (def.params) responses['404'] = errorResponse('not found');
  const request: RouteConfig['request'] = {};
  if (def.params) request.params = def.params;
  if (def.query) request.query = def.query as z.AnyZodObject;
  if (def.body) request.body = { required: true, content: { 'application/json': { schema: def.body } } };
  return {
    method: def.method,
    path: openApiPath(def.path),
    operationId: def.id,
    tags: [`v1 ${def.tag}`],
    summary: def.summary,
    security: v1Security(def),
    request,
    responses,
  };
}

/**
 * The OpenAPI 3.1 document: every /v1 route from V1_ROUTES, plus `extra` routes (the API's other surfaces
 * declare their wire formats with zod in their own folders and pass them here). Nothing is written by hand.
 */
export function buildOpenApiDocument(opts: {
  extra?: readonly RouteConfig[];
  /** registers more paths and components (zod) on the same registry: the API's older surfaces */
  extend?: (registry: OpenAPIRegistry) => void;
  title?: string;
  description?: string;
  servers?: { url: string }[];
  version?: string;
}): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.register('V1Error', ErrorBody);
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'ddns_session',
    description: 'browser session from POST /v1/auth/login; unsafe methods also need the X-CSRF-Token header',
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'an API key from POST /v1/api-keys, within its scopes',
  });
  for (const def of V1_ROUTES) registry.registerPath(v1RouteConfig(def));
  for (const route of opts.extra ?? []) registry.registerPath(route);
  opts.extend?.(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: opts.title ?? 'ddns',
      version: opts.version ?? '0.1.0',
      description:
        opts.description ??
        'Dynamic DNS and gateway registration. /v1 is the REST API for people and scripts; the other paths ' +
          'keep the wire formats of the clients that already speak them.',
    },
    servers: opts.servers ?? [{ url: '/' }],
  });
}
