import { Router } from 'express';
import { OPENAPI_DOCUMENT } from './document';

/** GET /openapi.json */
export function openapiRoutes(): Router {
  const r = Router();
  const body = JSON.stringify(OPENAPI_DOCUMENT);
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  return r;
}
