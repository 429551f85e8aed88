import { buildOpenApiDocument } from '@ddns/v1-schema/openapi';
import { Router } from 'express';
import { OPENAPI_DOCUMENT } from './document';

type Obj = Record<string, unknown>;

/**
 * The served document: /v1 generated from its zod schemas (@ddns/v1-schema), merged with the older surfaces'
 * description (document.ts, still written by hand; their wire formats are unchanged).
 */
export function openapiDocument(): Obj {
  const v1 = buildOpenApiDocument({}) as unknown as Obj;
  const legacy = OPENAPI_DOCUMENT;
  const comp = (d: Obj, k: string) => ((d.components as Obj | undefined)?.[k] as Obj | undefined) ?? {};
  return {
    ...legacy,
    info: {
      ...(legacy.info as Obj),
      title: 'ddns APIs',
      description:
        '/v1: the REST API for people and scripts (sessions or scoped API keys). ' +
        String((legacy.info as Obj).description ?? ''),
    },
    paths: { ...(legacy.paths as Obj), ...(v1.paths as Obj) },
    components: {
      ...(legacy.components as Obj),
      schemas: { ...comp(legacy, 'schemas'), ...comp(v1, 'schemas') },
      securitySchemes: { ...comp(legacy, 'securitySchemes'), ...comp(v1, 'securitySchemes') },
    },
  };
}

/** GET /openapi.json */
export function openapiRoutes(): Router {
  const r = Router();
  const body = JSON.stringify(openapiDocument());
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  return r;
}
